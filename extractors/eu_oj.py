"""Official Journal acts under Regulations 833/2014 and 269/2014, discovered through CELLAR SPARQL.

The envelope is read by ``extractors.sparql``, tested on two real answers of the CELLAR endpoint to
another query (tests/data/cellar/: strings come as ``typed-literal`` with an ``xsd:string`` datatype).
UNTESTED AGAINST A LIVE RESPONSE to our own query: no answer to it is recorded, so its columns and
values are unverified. The query (``eu_oj.rq`` beside this module) uses the CDM ontology:
``resource_legal_id_celex``, ``work_date_document``, ``resource_legal_amends_resource_legal``,
``resource_legal_based_on_resource_legal``, ``act_consolidated_consolidates_resource_legal``,
``resource_legal_eli``, ``work_has_resource-type`` and the English ``expression_title``.

One ``NoticeRecord`` per CELEX (kind legal_act): regime "RUS-833" / "RUS-269" from the act it
relates to ("RUS-269+RUS-833" if both), url = ELI or the EUR-Lex page, locator = JSON pointer of
the first row's ``celex`` value. The acts a Council press release links to (its package's acts,
also those amending the CFSP decisions or Belarus's acts, which this query does not ask for) are
discovered by ``eu-council-press`` and loaded as the same kind of notice, keyed by the same CELEX.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Iterable

from extractors import celex as celex_numbers
from extractors import sparql
from extractors.base import (
    LIVE_UNTESTED, Assertions, CheckResult, Discovery, Document, FetchOptions, LayoutChanged, NoticeRecord, Parsed,
    SourceClient, SourceInfo,
)
from extractors.jsonutil import pointer

SOURCE = SourceInfo(
    id="eu-oj-acts",
    family="sanctions",
    publisher="Publications Office of the European Union",
    name="Official Journal acts under Regulations 833/2014 and 269/2014 (CELLAR SPARQL)",
    homepage="https://eur-lex.europa.eu/",
    licence="Commission Decision 2011/833/EU (reuse of Commission documents)",
    cadence="daily",
    hosts=("publications.europa.eu",),
    landing_urls=("https://publications.europa.eu/webapi/rdf/sparql",),
    parser_version="2",
    discovery=Discovery(
        "document-is-index", "https://publications.europa.eu/webapi/rdf/sparql", LIVE_UNTESTED,
        "The SPARQL API's answer to eu_oj.rq lists every act (base, amending, based on, consolidated) and is "
        "itself the index: its envelope is tested on real CELLAR answers, the answer to this query is not "
        "(never recorded). The acts a Council press release links to are found by eu-council-press "
        "(linked-pages, tested on the recorded 19th-package page) and loaded as the same legal_act notices."),
    assertions=Assertions(min_records=20, max_records=5000),
)
ENDPOINT = "https://publications.europa.eu/webapi/rdf/sparql"
QUERY_FILE = Path(__file__).with_name("eu_oj.rq")
QUERY = "".join(line for line in QUERY_FILE.read_text(encoding="utf-8").splitlines(True)
                if not line.startswith("#"))  # the file's comment lines are not sent
REGIMES = {"32014R0833": "RUS-833", "32014R0269": "RUS-269"}
REQUIRED_VARS = ("celex", "base", "relation")
READ_VARS = (*REQUIRED_VARS, "date", "title", "eli")  # ?type is asked for but not read (reported unread)
STRING = (sparql.XSD + "string",)
DATATYPES = {"celex": STRING, "base": STRING, "relation": STRING, "title": STRING,
             "date": (sparql.XSD + "date", sparql.XSD + "dateTime")}
MIN_NOTICES = 20  # the two base acts, 15+ packages amending 833/2014, implementing acts of 269/2014


def fetch(client: SourceClient, options: FetchOptions) -> Iterable[Document]:
    yield client.get(ENDPOINT, params={"query": QUERY, "format": "application/sparql-results+json"})


def parse(doc: Document) -> Parsed:
    answer = sparql.read(doc)
    missing = [v for v in REQUIRED_VARS if v not in answer.variables]
    if missing:
        raise LayoutChanged(doc.source_id, doc.url, f"head/vars {answer.variables!r} lacks {missing}")
    rows = [_row(doc, binding, i) for i, binding in enumerate(answer.rows)]
    if not rows:
        raise LayoutChanged(doc.source_id, doc.url, "no acts in results/bindings")
    acts: dict[str, dict] = {}
    for i, row in enumerate(rows):
        act = acts.setdefault(row["celex"], {"i": i, "regimes": set(), "title": "", "date": None, "eli": ""})
        act["regimes"].add(REGIMES[row["base"]])
        act["title"] = act["title"] or row.get("title", "")
        act["eli"] = act["eli"] or row.get("eli", "")
        act["date"] = act["date"] or _day(doc, row.get("date"), pointer("results", "bindings", i, "date", "value"))
    unread = answer.unread + [f"/head/vars/{v}" for v in answer.variables if v not in READ_VARS]
    return Parsed(unread=unread, notices=[
        NoticeRecord(celex, "legal_act", "+".join(sorted(a["regimes"])), a["title"], a["date"], "",
                     a["eli"] or celex_numbers.eurlex_url(celex),
                     pointer("results", "bindings", a["i"], "celex", "value"))
        for celex, a in acts.items()])


def _row(doc: Document, binding: dict[str, sparql.Term], i: int) -> dict[str, str]:
    path = ("results", "bindings", i)
    for name in REQUIRED_VARS:
        if name not in binding:
            raise LayoutChanged(doc.source_id, doc.url, f"missing {pointer(*path, name)[5:]}")
    for name, term in binding.items():
        expected = DATATYPES.get(name, ())
        if term.datatype and expected and term.datatype not in expected:
            raise LayoutChanged(doc.source_id, doc.url, f"{pointer(*path, name)[5:]} has datatype {term.datatype!r}")
    row = {name: term.value.strip() for name, term in binding.items()}
    if not celex_numbers.PATTERN.fullmatch(row["celex"]) or row["base"] not in REGIMES:
        raise LayoutChanged(doc.source_id, doc.url,
                            f"{pointer(*path)[5:]}: celex {row['celex']!r} / base {row['base']!r} unexpected")
    return row


def _day(doc: Document, text: str | None, where: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise LayoutChanged(doc.source_id, doc.url, f"{where[5:]} is {text!r}, not a date") from None


def check(parsed: list[Parsed]) -> CheckResult:
    result = CheckResult()
    notices = {n.id: n for p in parsed for n in p.notices}
    result.expect(len(notices) >= MIN_NOTICES, f"at least {MIN_NOTICES} acts ({len(notices)})")
    for celex, regime in REGIMES.items():
        result.expect(celex in notices, f"the base act {celex} ({regime}) is found")
    undated = [n.id for n in notices.values() if n.published_on is None]
    result.expect(not undated, "every act has a date" + (f" (missing: {', '.join(undated[:5])})" if undated else ""))
    return result
