"""Official Journal acts under Regulations 833/2014 and 269/2014, discovered through CELLAR SPARQL.

UNTESTED AGAINST A LIVE RESPONSE: no real answer of the endpoint is recorded. ``parse`` reads the
W3C "SPARQL 1.1 Query Results JSON Format" (``head.vars``, ``results.bindings``, RDF terms with
``type``/``value``/``datatype``/``xml:lang``), and its tests build documents in that structure. The
query (``eu_oj.rq`` beside this module) uses the CDM ontology: ``resource_legal_id_celex``,
``work_date_document``, ``resource_legal_amends_resource_legal``, ``resource_legal_based_on_resource_legal``,
``act_consolidated_consolidates_resource_legal``, ``resource_legal_eli``, ``work_has_resource-type``
and the English ``expression_title``. Virtuoso (which serves CELLAR) writes typed literals as
``"type": "typed-literal"``; that older form is accepted as a literal.

One ``NoticeRecord`` per CELEX (kind legal_act): regime "RUS-833" / "RUS-269" from the act it
relates to ("RUS-269+RUS-833" if both), url = ELI or the EUR-Lex page, locator = JSON pointer of
the first row's ``celex`` value.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Iterable

from extractors import celex as celex_numbers
from extractors.base import (
    CheckResult, Document, FetchOptions, LayoutChanged, NoticeRecord, Parsed, SourceClient, SourceInfo,
)
from extractors.jsonutil import load_json, need, pointer

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
    parser_version="1",
)
ENDPOINT = "https://publications.europa.eu/webapi/rdf/sparql"
QUERY_FILE = Path(__file__).with_name("eu_oj.rq")
QUERY = "".join(line for line in QUERY_FILE.read_text(encoding="utf-8").splitlines(True)
                if not line.startswith("#"))  # the file's comment lines are not sent
REGIMES = {"32014R0833": "RUS-833", "32014R0269": "RUS-269"}
REQUIRED_VARS = ("celex", "base", "relation")
TERM_TYPES = {"uri", "literal", "typed-literal", "bnode"}
MIN_NOTICES = 20  # the two base acts, 15+ packages amending 833/2014, implementing acts of 269/2014


def fetch(client: SourceClient, options: FetchOptions) -> Iterable[Document]:
    yield client.get(ENDPOINT, params={"query": QUERY, "format": "application/sparql-results+json"})


def parse(doc: Document) -> Parsed:
    body = load_json(doc)
    if not isinstance(body, dict):
        raise LayoutChanged(doc.source_id, doc.url, "not a SPARQL results object")
    variables = need(doc, need(doc, body, "head", (), dict), "vars", ("head",), list)
    missing = [v for v in REQUIRED_VARS if v not in variables]
    if missing or not all(isinstance(v, str) for v in variables):
        raise LayoutChanged(doc.source_id, doc.url, f"head/vars {variables!r} lacks {missing}")
    bindings = need(doc, need(doc, body, "results", (), dict), "bindings", ("results",), list)
    rows = [_row(doc, binding, i, variables) for i, binding in enumerate(bindings)]
    if not rows:
        raise LayoutChanged(doc.source_id, doc.url, "no acts in results/bindings")
    acts: dict[str, dict] = {}
    for i, row in enumerate(rows):
        act = acts.setdefault(row["celex"], {"i": i, "regimes": set(), "title": "", "date": None, "eli": ""})
        act["regimes"].add(REGIMES[row["base"]])
        act["title"] = act["title"] or row.get("title", "")
        act["eli"] = act["eli"] or row.get("eli", "")
        act["date"] = act["date"] or _day(doc, row.get("date"), pointer("results", "bindings", i, "date", "value"))
    return Parsed(notices=[
        NoticeRecord(celex, "legal_act", "+".join(sorted(a["regimes"])), a["title"], a["date"], "",
                     a["eli"] or celex_numbers.eurlex_url(celex),
                     pointer("results", "bindings", a["i"], "celex", "value"))
        for celex, a in acts.items()])


def _row(doc: Document, binding: object, i: int, variables: list[str]) -> dict[str, str]:
    path = ("results", "bindings", i)
    if not isinstance(binding, dict) or not set(binding) <= set(variables):
        raise LayoutChanged(doc.source_id, doc.url, f"{pointer(*path)[5:]} is not a binding of {variables}")
    row = {}
    for name, term in binding.items():
        kind = need(doc, term, "type", (*path, name), str) if isinstance(term, dict) else None
        value = need(doc, term, "value", (*path, name), str) if kind in TERM_TYPES else None
        if value is None:
            raise LayoutChanged(doc.source_id, doc.url, f"{pointer(*path, name)[5:]} is not an RDF term")
        row[name] = value.strip()
    for name in REQUIRED_VARS:
        need(doc, row, name, path)
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
