"""CELLAR SPARQL answers for the OJ acts under Regulations 833/2014 and 269/2014.

NO REAL RESPONSE IS RECORDED (replay/eu-oj-acts/manifest.json has no entries; see its ORIGIN.md):
every document below is BUILT IN THIS TEST following the structure of the W3C "SPARQL 1.1 Query
Results JSON Format" recommendation (head.vars, results.bindings, RDF terms). The CELEX numbers,
dates and titles in the built rows are illustrative, not a claim about what the endpoint returns;
the parser is untested against a live response.
"""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

import pytest

from extractors import eu_oj, locators
from extractors.base import Document, FetchError, FetchOptions, LayoutChanged

REPLAY = Path(__file__).resolve().parent.parent / "replay" / "eu-oj-acts"
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


BUILT = results(
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


def test_one_notice_per_celex_with_regime_from_the_act_it_relates_to():
    parsed = eu_oj.parse(doc(BUILT))
    notices = {n.id: n for n in parsed.notices}
    assert list(notices) == ["32014R0833", "32014R0269", "32099R0001", "32099R0002", "02014R0833-20990101"]
    assert {n.kind for n in notices.values()} == {"legal_act"}
    assert notices["32014R0833"].regime == "RUS-833" and notices["32014R0269"].regime == "RUS-269"
    assert notices["32099R0002"].regime == "RUS-269" and notices["02014R0833-20990101"].regime == "RUS-833"
    assert notices["32014R0833"].url == "http://data.europa.eu/eli/reg/2014/833/oj"  # ELI when given
    assert notices["32014R0269"].url == "https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:32014R0269"
    assert notices["32014R0833"].published_on == date(2014, 7, 31)
    assert notices["32099R0002"].title == ""  # no English title in the row: empty, not invented
    assert parsed.records == [] and parsed.designations == []


def test_locator_reads_back_the_celex():
    document = doc(BUILT)
    for notice in eu_oj.parse(document).notices:
        assert locators.resolve(document.content, notice.locator) == notice.id
    assert eu_oj.parse(document).notices[2].locator == "json:/results/bindings/2/celex/value"


def test_an_act_related_to_both_regulations_names_both():
    body = results(row("32099R0003", "32014R0833", "amends", "2099-02-01"),
                   row("32099R0003", "32014R0269", "amends", "2099-02-01"))
    assert eu_oj.parse(doc(body)).notices[0].regime == "RUS-269+RUS-833"


def test_virtuoso_typed_literal_is_accepted():
    body = results(row("32014R0833", "32014R0833", "base"))
    body["results"]["bindings"][0]["date"] = literal("2014-07-31", "date", kind="typed-literal")
    assert eu_oj.parse(doc(body)).notices[0].published_on == date(2014, 7, 31)


def broken(change) -> dict:
    body = copy.deepcopy(BUILT)
    change(body)
    return body


@pytest.mark.parametrize("body,what", [
    ([], "not a SPARQL results object"),
    (broken(lambda b: b.pop("head")), "missing /head"),
    (broken(lambda b: b["head"].pop("vars")), "missing /head/vars"),
    (broken(lambda b: b["head"].update(vars=["celex", "date"])), "lacks \\['base', 'relation'\\]"),
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
])
def test_strict_reading_of_the_results_format(body, what):
    with pytest.raises(LayoutChanged, match=what):
        eu_oj.parse(doc(body))


def test_not_json_is_layout_changed():
    with pytest.raises(LayoutChanged, match="not JSON"):
        eu_oj.parse(Document.from_bytes("eu-oj-acts", eu_oj.ENDPOINT, b"<sparql/>"))


def test_check():
    result = eu_oj.check([eu_oj.parse(doc(BUILT))])
    assert f"at least {eu_oj.MIN_NOTICES} acts (5)" in result.failed  # a built sample, not the real list
    assert "the base act 32014R0833 (RUS-833) is found" in result.passed
    missing = eu_oj.check([eu_oj.parse(doc(results(row("32099R0001", "32014R0833", "amends"))))]).failed
    assert "the base act 32014R0269 (RUS-269) is found" in missing
    assert any("every act has a date" in f for f in missing)


def test_fetch_sends_the_query_file_and_the_json_format():
    class Client:
        def __init__(self):
            self.asked = []

        def get(self, url, params=None):
            self.asked.append((url, params))
            return doc(BUILT)

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
