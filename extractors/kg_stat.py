"""Kyrgyzstan, National Statistical Committee: table 4.03.00.18, exports of goods by country.

One XLSX sheet, trilingual (Kyrgyz, Russian, English name columns), thousand USD, one column per
year (1994 onwards): reshaped wide to long, one record per (country, year) cell. The English column
names the partner; it and the unit are found by the unit row's "(thousand US dollars)", the years by
the row of year numbers, not by fixed positions. "-" is the Committee's mark for no exports: kept as
a missing value with its raw text. The table states no publication date (see ``inferred_vintage``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable
from urllib.parse import urljoin

from bs4 import BeautifulSoup
from pydantic import Field

from extractors import sheets
from extractors.base import (
    LIVE_UNTESTED, Assertions, Candidate, CheckResult, Discovery, Document, FetchOptions, LayoutChanged, Parsed,
    Record, SourceClient, SourceInfo, SourceParams,
)
from extractors.client import recorded_urls
from extractors.discovery import fetch_candidates, fetch_named
from extractors.stat_tables import cell_value, inferred_vintage, year_period

LISTING = "https://stat.gov.kg/ru/statistics/vneshneekonomicheskaya-deyatelnost/"
SOURCE = SourceInfo(
    id="kg-stat-trade",
    family="trade",
    publisher="National Statistical Committee of the Kyrgyz Republic",
    name="4.03.00.18 Geographic distribution of exports of goods",
    homepage="https://stat.gov.kg/",
    licence="National Statistical Committee terms of use",
    cadence="annual",
    hosts=("stat.gov.kg", "www.stat.gov.kg"),
    landing_urls=(LISTING,),
    parser_version="1",
    discovery=Discovery(
        kind="listing-page", index_url=LISTING, status=LIVE_UNTESTED,
        note="the Committee's foreign-trade statistics page: the link (.xls/.xlsx) whose text names table "
             "4.03.00.18; its file URL is the version (a new upload gets a new file name). No copy of the page "
             "was ever recorded. The Committee also serves tables as JSON (/ru/opendata/category/<id>/json); "
             "this table's category id is not known, so it is not used."),
    # ~230 rows x 30 years; early years are '-' (no exports) for most countries.
    assertions=Assertions(min_records=3_000, max_records=20_000, fill_rates=(("partner", 1.0), ("value", 0.4))),
)


class Params(SourceParams):
    table_urls: list[str] = Field(
        default_factory=list,
        description="Files of table 4.03.00.18 to fetch directly (stat.gov.kg links), skipping the listing. "
                    "Empty: find the table's link on the Committee's foreign-trade page.")
    listing_url: str = Field(default=LISTING, description="The Committee's foreign-trade statistics page.")


TITLE, UNIT_TEXT = "4.03.00.18", "thousand us dollars"
REPORTER, INDICATOR, UNIT, COMMODITY, FLOW = "Kyrgyzstan", "trade_value", "thousand USD", "TOTAL", "X"
FIRST_YEAR = 1994
NAME_COLUMNS = {0: "Kyrgyz names", 1: "Russian names"}  # the English column is the one read
_SPREADSHEET = re.compile(r"\.xlsx?$", re.I)


def replay_defaults(archive: Path) -> dict:
    """Replay has no recorded listing page: it names the recorded table."""
    return {"table_urls": recorded_urls(archive, SOURCE.id)}


def fetch(client: SourceClient, options: FetchOptions) -> Iterable[Document]:
    params = options.params or Params()
    if params.table_urls:
        yield from fetch_named(client, options, params.table_urls, "named table")
        return
    listing = client.get(params.listing_url)
    yield from fetch_candidates(client, options, table_candidates(listing))


def table_candidates(doc: Document) -> list[Candidate]:
    """The spreadsheet link of table 4.03.00.18 on the listing page; none is a layout change."""
    soup = BeautifulSoup(doc.content, "lxml")
    found = []
    for link in soup.find_all("a", href=True):
        context = sheets.text((link.parent or link).get_text(" "))
        if TITLE in context and _SPREADSHEET.search(link["href"].split("?")[0]):
            found.append(Candidate(url=urljoin(doc.url, link["href"]), key=f"table-{TITLE}",
                                   version=urljoin(doc.url, link["href"]), title=context[:200]))
    if not found:
        raise LayoutChanged(doc.source_id, doc.url, f"no .xls/.xlsx link beside the text '{TITLE}' "
                            f"({len(soup.find_all('a', href=True))} links on the page)")
    return found[:1]  # the first link is the table; a second (another language) is the same figures


def parse(doc: Document) -> Parsed:
    book = sheets.load_workbook(doc)
    name, rows = _table(doc, book)
    unit_row = sheets.find_row(rows, lambda cells: any(UNIT_TEXT in c.lower() for c in cells))
    if unit_row is None:
        raise LayoutChanged(doc.source_id, doc.url, f"sheet {name!r}: no '(thousand US dollars)' unit row")
    english = next(c for c, v in enumerate(rows[unit_row]) if UNIT_TEXT in sheets.text(v).lower())
    year_row, years = _years(doc, name, rows)
    vintage, flags = inferred_vintage(max(years.values()))
    records = []
    for i in range(year_row + 1, len(rows)):
        partner = sheets.text(sheets.at(rows, i, english))
        for col, year in years.items():
            where = sheets.cell_locator(name, i, col)
            cell = cell_value(doc, sheets.at(rows, i, col), where)
            if cell is None:
                continue  # an empty cell (a blank separator row, or a year the Committee left blank)
            if not partner:
                raise LayoutChanged(doc.source_id, doc.url, f"{where} holds a value in a row with no name")
            start, end = year_period(year)
            records.append(Record(INDICATOR, REPORTER, start, end, cell[0], UNIT, where, partner=partner,
                                  commodity=COMMODITY, flow=FLOW, raw=cell[1], vintage=vintage, flags=flags))
    if not records:
        raise LayoutChanged(doc.source_id, doc.url, f"sheet {name!r}: no values under the year row")
    unread = [f"{name}!{'AB'[col]} ({label})" for col, label in NAME_COLUMNS.items() if col != english]
    return Parsed(records=records, unread=unread)


def _table(doc: Document, book: dict[str, sheets.Rows]) -> tuple[str, sheets.Rows]:
    for name, rows in book.items():
        if sheets.find_row(rows, lambda cells: any(c.startswith(TITLE) and "export" in c.lower()
                                                   for c in cells), limit=3) is not None:
            return name, rows
    raise LayoutChanged(doc.source_id, doc.url, f"no sheet titled {TITLE} ... exports; "
                        f"sheets: {sheets.headers_seen(book)}")


def _years(doc: Document, name: str, rows: sheets.Rows) -> tuple[int, dict[int, int]]:
    """The row whose cells from some column on are consecutive years starting at ``FIRST_YEAR``."""
    for i, row in enumerate(rows[:10]):
        years = {c: int(v) for c, v in enumerate(row)
                 if isinstance(v, (int, float)) and not isinstance(v, bool) and float(v).is_integer()}
        ordered = list(years.values())
        if ordered and ordered[0] == FIRST_YEAR and ordered == list(range(FIRST_YEAR, FIRST_YEAR + len(ordered))):
            return i, years
    raise LayoutChanged(doc.source_id, doc.url, f"sheet {name!r}: no row of years {FIRST_YEAR}, "
                        f"{FIRST_YEAR + 1}, ... in its first 10 rows")


def check(parsed: list[Parsed]) -> CheckResult:
    """Russia and the total have a value for every year from 2000 on (earlier years: '-')."""
    result = CheckResult()
    records = [r for p in parsed for r in p.records]
    years = sorted({r.period_start.year for r in records if r.period_start.year >= 2000})
    stated = {name: {r.period_start.year: r.value for r in records if r.partner == name and r.value is not None}
              for name in ("Russia", "Total")}
    for name, values in stated.items():
        missing = [y for y in years if y not in values]
        result.expect(bool(years) and not missing, f"{name} has a value for every year 2000 on (missing {missing})")
    above = [y for y, v in stated["Russia"].items() if v > stated["Total"].get(y, float("inf"))]
    result.expect(not above, f"exports to Russia not above the total in any year (above in {above})")
    return result
