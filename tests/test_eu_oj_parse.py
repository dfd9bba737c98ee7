"""CELLAR SPARQL answers: the real envelope, and the refusals of the OJ-acts reader.

The envelope is tested on two REAL answers of the CELLAR endpoint to another query (tests/data/cellar/,
see its ORIGIN.md): strings as ``typed-literal`` with an ``xsd:string`` datatype. No answer to the
source's own query is recorded (replay/eu-oj-acts/ORIGIN.md), so its columns are untested against a live
response. The documents BUILT in this file serve refusal tests only: each must be refused.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from urllib.parse import urlencode

import pytest

from extractors import eu_oj, sparql
from extractors.base import Document, FetchError, FetchOptions, LayoutChanged

REPLAY = Path(__file__).resolve().parent.parent / "replay" / "eu-oj-acts"
CELLAR = Path(__file__).resolve().parent / "data" / "cellar"
REAL_1137 = (CELLAR / "cellar_sparql_formex_query_celex32008R1137_2024-12-14.json").read_bytes()
REAL_AI_ACT = (CELLAR / "cellar_sparql_formex_query_ai_act_2024-12-29.json").read_bytes()
XSD = "http://www.w3.org/2001/XMLSchema#"
VARS = ["celex", "base", "relation", "date", "title", "eli", "type"]


def literal(value: str, datatype: str | None = None, lang: str | None = None, kind: str = "literal") -> dict:
    term = {"type": kind, "value": value}
    if datatype:
        term["datatype"] = XSD + datatype
    if lang:
        term["xml:lang"] = lang
    return term


def row(celex: str, base: str, relation: str, day: str | None = None, title: str | None = None,
        eli: str | None = None) -> dict:
    binding = {"celex": literal(celex, "string"), "base": literal(base, "string"), "relation": literal(relation)}
    if day:
        binding["date"] = literal(day, "date")
    if title:
        binding["title"] = literal(title, lang="en")
    if eli:
        binding["eli"] = {"type": "uri", "value": eli}
    binding["type"] = {"type": "uri", "value": "http://publications.europa.eu/resource/authority/resource-type/REG"}
    return binding


def results(*bindings: dict, variables: list[str] = VARS) -> dict:
    return {"head": {"vars": variables}, "results": {"bindings": list(bindings)}}


BUILT = results(  # a base for refusals only: every test below breaks one thing in it

    row("32014R0833", "32014R0833", "base", "2014-07-31", "Council Regulation (EU) No 833/2014 (built row)",
        "http://data.europa.eu/eli/reg/2014/833/oj"),
    row("32014R0269", "32014R0269", "base", "2014-03-17", "Council Regulation (EU) No 269/2014 (built row)"),
    row("32099R0001", "32014R0833", "amends", "2099-01-01", "Illustrative amending act (built row)"),
    row("32099R0001", "32014R0833", "based_on", "2099-01-01", "Illustrative amending act (built row)"),
    row("32099R0002", "32014R0269", "based_on", "2099-01-02"),
    row("02014R0833-20990101", "32014R0833", "consolidates", "2099-01-01"),
)


def doc(body: object) -> Document:
    return Document.from_bytes("eu-oj-acts", eu_oj.ENDPOINT, json.dumps(body).encode("utf-8"))


def real(content: bytes) -> Document:
    return Document.from_bytes("eu-oj-acts", eu_oj.ENDPOINT, content)


def test_the_real_envelope_of_the_cellar_endpoint():
    answer = sparql.read(real(REAL_1137))
    assert answer.variables == ["cellarURIs", "manif", "format", "expr"]
    assert (answer.distinct, answer.ordered, answer.link, answer.unread) == (False, True, [], [])
    assert len(answer.rows) == 4
    assert answer.rows[0]["cellarURIs"] == sparql.Term(
        "uri", "http://publications.europa.eu/resource/cellar/e115172d-3ab3-4b14-b0a4-dfdcc9871793.0006.04/DOC_1")
    assert {row["format"] for row in answer.rows} == {
        sparql.Term("typed-literal", "fmx4", "http://www.w3.org/2001/XMLSchema#string")}
    (row,) = sparql.read(real(REAL_AI_ACT)).rows
    assert row["cellarURIs"].value == ("http://publications.europa.eu/resource/cellar/"
                                       "dc8116a1-3fe6-11ef-865a-01aa75ed71a1.0006.02/DOC_1")
    assert row["format"].type == "typed-literal" and row["format"].datatype.endswith("#string")


def test_a_real_answer_to_another_query_is_refused_naming_its_columns():
    for content in (REAL_1137, REAL_AI_ACT):
        with pytest.raises(LayoutChanged, match=r"head/vars \['cellarURIs', 'manif', 'format', 'expr'\] lacks "
                                                r"\['celex', 'base', 'relation'\]"):
            eu_oj.parse(real(content))


def from_real(change) -> bytes:
    """The real answer with one thing changed (a refusal test)."""
    body = json.loads(REAL_1137)
    change(body)
    return json.dumps(body).encode("utf-8")


@pytest.mark.parametrize("change,what", [
    (lambda b: b["results"]["bindings"][0]["format"].pop("datatype"), "missing /results/bindings/0/format/datatype"),
    (lambda b: b["results"]["bindings"][0]["format"].update(lang="en"), "format is not an RDF term"),
    (lambda b: b["results"].update(distinct="no"), "results/distinct is str"),
    (lambda b: b["head"].update(link=[1]), "head/link"),
    (lambda b: b.update(boolean=True), "not a SPARQL results object"),
])
def test_the_real_envelope_broken_is_refused(change, what):
    with pytest.raises(LayoutChanged, match=what):
        sparql.read(real(from_real(change)))


def test_what_the_envelope_holds_beyond_the_format_is_reported_unread():
    content = from_real(lambda b: b["results"].update(extra=1))
    assert sparql.read(real(content)).unread == ["/results/extra"]


def broken(change) -> dict:
    body = copy.deepcopy(BUILT)
    change(body)
    return body


@pytest.mark.parametrize("body,what", [
    ([], "not a SPARQL results object"),
    (broken(lambda b: b.pop("head")), "missing /head"),
    (broken(lambda b: b["head"].pop("vars")), "missing /head/vars"),
    (broken(lambda b: b["head"].update(vars=["celex", "date"])), "is not a binding of \\['celex', 'date'\\]"),
    (broken(lambda b: b.pop("results")), "missing /results"),
    (broken(lambda b: b["results"].update(bindings={})), "results/bindings is dict"),
    (broken(lambda b: b["results"].update(bindings=[])), "no acts"),
    (broken(lambda b: b["results"]["bindings"][0].update(other=literal("x"))), "not a binding"),
    (broken(lambda b: b["results"]["bindings"][0]["celex"].pop("type")), "missing /results/bindings/0/celex/type"),
    (broken(lambda b: b["results"]["bindings"][0]["celex"].update(type="triple")), "not an RDF term"),
    (broken(lambda b: b["results"]["bindings"][0].pop("relation")), "missing /results/bindings/0/relation"),
    (broken(lambda b: b["results"]["bindings"][0]["celex"].update(value="833/2014")), "celex '833/2014'"),
    (broken(lambda b: b["results"]["bindings"][0]["base"].update(value="32014R0692")), "base '32014R0692'"),
    (broken(lambda b: b["results"]["bindings"][0]["date"].update(value="31.07.2014")), "not a date"),
    (broken(lambda b: b["results"]["bindings"][0]["celex"].update(datatype=XSD + "date")), "celex has datatype"),
])
def test_strict_reading_of_the_results_format(body, what):
    with pytest.raises(LayoutChanged, match=what):
        eu_oj.parse(doc(body))


def test_not_json_is_layout_changed():
    with pytest.raises(LayoutChanged, match="not JSON"):
        eu_oj.parse(Document.from_bytes("eu-oj-acts", eu_oj.ENDPOINT, b"<sparql/>"))


def test_fetch_sends_the_query_file_and_the_json_format():
    class Client:
        def __init__(self):
            self.asked = []

        def get(self, url, params=None):
            self.asked.append((url, params))
            return real(REAL_1137)

    client = Client()
    list(eu_oj.fetch(client, FetchOptions()))
    ((url, params),) = client.asked
    assert url == "https://publications.europa.eu/webapi/rdf/sparql"
    assert list(params) == ["query", "format"] and params["format"] == "application/sparql-results+json"
    text = (Path(eu_oj.__file__).with_name("eu_oj.rq")).read_text(encoding="utf-8")
    query = params["query"]
    assert query == "".join(line for line in text.splitlines(True) if not line.startswith("#"))
    assert query.startswith("PREFIX cdm: <http://publications.europa.eu/ontology/cdm#>")
    for term in ("cdm:resource_legal_id_celex", "cdm:work_date_document", "cdm:resource_legal_amends_resource_legal",
                 "cdm:resource_legal_based_on_resource_legal", "cdm:resource_legal_eli", "cdm:expression_title",
                 "cdm:work_has_resource-type", '"32014R0833"', '"32014R0269"'):
        assert term in query
    assert len(url + "?" + urlencode(params)) < 8000  # fits a GET


def test_replay_has_no_answer_for_the_query(tmp_path):
    from extractors.client import ReplayClient
    from extractors.snapshots import SnapshotStore

    fetches = []
    client = ReplayClient(eu_oj.SOURCE, REPLAY.parent, SnapshotStore(str(tmp_path)), fetches.append)
    with pytest.raises(FetchError, match="not in the replay archive"):
        list(eu_oj.fetch(client, FetchOptions()))
    assert fetches[0].url.startswith(eu_oj.ENDPOINT + "?query=PREFIX+cdm")


def test_no_made_up_response_is_in_replay():
    manifest = json.loads((REPLAY / "manifest.json").read_text())
    assert manifest == {"source": "eu-oj-acts", "entries": []}
    assert sorted(p.name for p in REPLAY.iterdir()) == ["ORIGIN.md", "manifest.json"]
    assert "untested against a live response" in (REPLAY / "ORIGIN.md").read_text()
    assert "UNTESTED AGAINST A LIVE RESPONSE" in eu_oj.__doc__
