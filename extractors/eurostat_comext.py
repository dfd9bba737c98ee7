"""Eurostat Comext: EU member states' trade by partner, product and month, in EUR (the EU side of the route).

Why one source and not a registry line per format: the XLSX, the CSVs and the API answers are the same
publisher's own formats of the same Comext database (the workbook is dataset DS-045409, the dataset
the API path requests), they state the same figures (a member state's trade with a partner in a
product and month, in EUR) under the same series, and one live path (the Comext API) supersedes
them all. Two sources would hold the same figure twice as current.

One source, three formats (``parse`` tells them by their bytes):
- the Data Browser "spreadsheet" (XLSX) download of a Comext view, one sheet per CN8 product, months
  across, reporters and partners down the rows (extractors/comext_xlsx.py). Every published cell is a
  figure; ':' (not available or confidential) is never a figure and is counted. HS4 headings, years
  and the EU's 27 member states together are derived totals (extractors/comext_totals.py);
- the Data Browser's CSV downloads and the API's SDMX-CSV, in any of their styles, read by the meaning
  of their columns (extractors/comext_csv.py). EU and euro-area rows are flagged ``aggregate`` and
  never added to the member states; ``check`` verifies the EU-27 row equals their sum;
- the answers of Eurostat's dissemination API for Comext datasets (extractors/comext_api.py).

The live path asks the API, by product code, for the watch list: each watched HS code to each
transit partner (and Russia), from every EU member state, monthly. It first reads the dataset's
dataflow, whose UPDATE_DATA annotation is the dataset's "last update of data", and re-requests only
when that moves (Comext's ``DS-`` datasets are not in Eurostat's table of contents). No API answer
was ever recorded: that path is built from Eurostat's documentation and tested up to the requests
it makes. Data Browser downloads are generated per request and their URLs are not kept, so the
recorded ones are read through ``Params.downloads`` (replay/eurostat-comext/ORIGIN.md).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterable

from pydantic import Field

from extractors import comext_api, comext_csv, comext_totals, comext_xlsx
from extractors.base import (
    LIVE_UNTESTED, Assertions, Candidate, CheckResult, Discovery, Document, FetchOptions, LayoutChanged,
    Parsed,
    Record, SourceClient, SourceInfo, SourceParams,
)
from extractors.client import recorded_urls
from extractors.comext_labels import MEMBER_STATES, member_name
from extractors.discovery import fetch_candidates, fetch_named, get_or_report
from extractors.locators import cell_name

SOURCE = SourceInfo(
    id="eurostat-comext",
    family="trade",
    publisher="Eurostat",
    name="Comext international trade in goods (DS-045409 by CN8 and HS code): EU exports by partner, in EUR",
    homepage="https://ec.europa.eu/eurostat/comext/newxtweb/",
    licence="Eurostat copyright notice (reuse authorised, source acknowledged)",
    cadence="monthly",
    hosts=("ec.europa.eu",),
    landing_urls=("https://ec.europa.eu/eurostat/databrowser/view/DS-045409/default/table?lang=en",),
    parser_version="2",
    discovery=Discovery(
        kind="api-availability", index_url=comext_api.dataflow_url(), status=LIVE_UNTESTED,
        note="Comext's DS- datasets are not in Eurostat's table of contents: the Comext API base's own "
             "dataflow (SDMX 2.1 structure query) gives UPDATE_DATA, the dataset's last update of data; "
             "each watch-list request (HS code x partner, all EU reporters, monthly, API Statistics "
             "JSON-stat) is a candidate keyed by its URL whose version is that date. Untested: no "
             "dataflow or data answer was ever recorded; only Data Browser downloads were."),
    assertions=Assertions(min_records=1, max_records=3_000_000,
                          fill_rates=(("partner", 1.0), ("commodity", 1.0), ("flow", 1.0), ("value", 1.0))),
)
MIN_MEMBERS = 20  # a CSV download of member-state rows names at least this many
EU27_ROW = re.compile(r"^European Union - 27 countries|^EU27_2020\b")  # as a label, a code or both


class Params(SourceParams):
    """What a Comext run reads besides the watch list (HS codes, partners) every trade run passes."""

    dataset: str = Field(comext_api.DATASET, pattern=r"^DS-\d+$",
                         description="Comext dataset requested from Eurostat's Comext API "
                                     "(DS-045409: EU trade since 1988 by HS2-4-6 and CN8).")
    since: str = Field("2020-01", pattern=r"^\d{4}-\d{2}$",
                       description="First month requested from the API (YYYY-MM).")
    use_api: bool = Field(True, description="Request the watch list from Eurostat's Comext API "
                                            "(untested against a real answer: none was recorded).")
    downloads: list[str] = Field(
        default_factory=list,
        description="Data Browser downloads (XLSX spreadsheet or CSV) to read, as ec.europa.eu URLs. "
                    "The Data Browser does not keep a download's URL, so a live run has none by default; "
                    "a replay run reads every download its archive holds.")


def replay_defaults(archive: Path) -> dict[str, Any]:
    """A replay run reads what its archive holds: every recorded download, and the API path only
    when an API answer was recorded (none is in replay/ today: see its ORIGIN.md)."""
    if not (Path(archive) / SOURCE.id / "manifest.json").exists():
        return {}  # nothing recorded for Comext: its parameters' own defaults
    urls = recorded_urls(archive, SOURCE.id)
    return {"downloads": [u for u in urls if not comext_api.is_api_url(u)],
            "use_api": any(comext_api.is_dataflow_url(u) for u in urls)}


def fetch(client: SourceClient, options: FetchOptions) -> Iterable[Document]:
    params = options.params or Params()
    if params.use_api:
        yield from _api(client, options, params)
    yield from fetch_named(client, options, params.downloads, "Comext download")


def _api(client: SourceClient, options: FetchOptions, params: Params) -> Iterable[Document]:
    index = comext_api.dataflow_url(params.dataset)
    if not client.has(index):
        options.discovery.no_copy.append(f"{params.dataset} dataflow (index)")
        return
    flow = get_or_report(client, options, index, "Comext dataflow")
    if flow is None:
        return
    version = comext_api.update_of_data(flow)  # LayoutChanged when the answer lacks it: loud
    yield flow
    requests = comext_api.requests_for(options.watch, params.since, params.dataset)
    yield from fetch_candidates(client, options, [
        Candidate(r.url, key=r.url, version=version, title=f"{params.dataset} {r.product} to {r.partner}",
                  dataset=params.dataset) for r in requests])


def parse(doc: Document) -> Parsed:
    if comext_xlsx.is_workbook(doc):
        return _workbook(doc)
    if comext_api.is_api_url(doc.url):
        if comext_api.is_dataflow_url(doc.url):
            comext_api.update_of_data(doc)
            return Parsed()  # the index: its candidates are fetched as their own documents
        records, missing = comext_api.read_jsonstat(doc)
        return Parsed(records=records, missing_marks=missing)
    if not comext_csv.is_csv(doc):
        raise LayoutChanged(doc.source_id, doc.url, f"neither a workbook nor CSV (starts {doc.content[:40]!r}): "
                            "a Data Browser view page, not its download?")
    return comext_csv.parse(doc)


def _workbook(doc: Document) -> Parsed:
    book = comext_xlsx.read(doc)
    records = [r for sheet in book.sheets for r in _published(doc, sheet, book)]
    records += comext_totals.totals(doc, book)
    return Parsed(records=records, unread=book.unread, missing_marks=book.missing, reference_date=book.updated)


def _published(doc: Document, sheet: comext_xlsx.Sheet, book: comext_xlsx.Workbook) -> Iterable[Record]:
    for line in sheet.lines:
        code = comext_xlsx.product_code(doc, sheet, line)
        flow, unit = comext_xlsx.flow_code(doc, sheet, line), comext_xlsx.unit(doc, sheet, line)
        reporter, partner = sheet.dim(line, "REPORTER"), sheet.dim(line, "PARTNER")
        for p in sheet.periods:
            value = line.values[p.col]
            if value is not None:
                yield Record("trade_value", reporter, p.start, p.end, value, unit,
                             f"cell:{sheet.name}!{cell_name(line.row, p.col)}", partner=partner, commodity=code,
                             flow=flow, raw=str(value), vintage=book.updated)


def is_derived(record: Record) -> bool:
    return any(f.startswith("derived=") for f in record.flags)


def check(parsed: list[Parsed]) -> CheckResult:
    result = CheckResult()
    for p in parsed:
        published = [r for r in p.records if not is_derived(r)]
        if not published:
            continue  # the dataflow (index) holds no figures
        periods = f"{min(r.period_start for r in published)}..{max(r.period_end for r in published)}"
        result.expect(all(r.value >= 0 for r in p.records), f"{periods}: no negative values")
        if published[0].locator.startswith("csv:"):
            _check_csv(result, published)
        else:
            _unused_members(result, published)
    return result


def _check_csv(result: CheckResult, records: list[Record]) -> None:
    members = [r for r in records if "aggregate" not in r.flags]
    periods = sorted({r.period_end for r in records})
    result.expect(len(members) >= MIN_MEMBERS, f"{periods}: {len(members)} member-state rows >= {MIN_MEMBERS}")
    for eu in (r for r in records if EU27_ROW.search(r.geo)):
        same = [m.value for m in members if (m.period_end, m.partner, m.flow, m.commodity)
                == (eu.period_end, eu.partner, eu.flow, eu.commodity)]
        result.expect(sum(same) == eu.value, f"{eu.period_end}: member states sum {sum(same):.0f} "
                      f"equals the EU-27 row {eu.value:.0f} ({eu.locator})")


def _unused_members(result: CheckResult, records: list[Record]) -> None:
    """The member-state table reports entries no row used (zavod's way: code tables report their unused)."""
    seen = {member_name(r.geo) for r in records}
    unused = sorted(set(MEMBER_STATES) - seen)
    if unused and seen & set(MEMBER_STATES):
        result.warnings.append(f"member states with no published figure in the workbook: {', '.join(unused)}")
