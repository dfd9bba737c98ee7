"""Kazakhstan, Bureau of National Statistics: "Основные показатели внешней торговли" by country.

Annual Excel 97 releases in Russian, thousand USD. Each release holds its year's sheet and the
previous year's, so every year arrives twice; the later release is a revision (often at full
precision where the earlier one rounded). A data sheet is found by its header row (the words
"Товарооборот", "Экспорт", "Импорт" and a "Наименование ..." country column), never by fixed
rows: header rows move between releases and the 2023 release adds cover, legend, contents and
methodology sheets. The publication date is read from the cover ("Дата опубликования: dd.mm.yyyy")
where there is one; otherwise it is inferred and flagged (see ``stat_tables.inferred_vintage``).

Discovery (``kz_releases``): the Bureau's foreign-trade "spreadsheets" listing, untested against a real
page (none was recorded); replay names the recorded releases instead (``replay_defaults``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Iterable

from pydantic import Field

from extractors import kz_releases, kz_stat_checks, sheets
from extractors.base import (
    LIVE_UNTESTED, Assertions, CheckResult, Discovery, Document, FetchOptions, LayoutChanged, Parsed, Record,
    SourceClient, SourceInfo, SourceParams,
)
from extractors.client import recorded_urls
from extractors.discovery import fetch_candidates, fetch_named
from extractors.locators import cell_name
from extractors.stat_tables import cell_value, inferred_vintage, year_in, year_period

LISTING = "https://stat.gov.kz/ru/industries/economy/foreign-market/spreadsheets/"
TITLE_WORDS = "основные показатели внешней торговли"  # "по странам" was added to the title from 2022

SOURCE = SourceInfo(
    id="kz-stat-trade",
    family="trade",
    publisher="Bureau of National Statistics of the Republic of Kazakhstan",
    name="Основные показатели внешней торговли (main indicators of foreign trade, by country)",
    homepage="https://stat.gov.kz/",
    licence="Bureau of National Statistics terms of use",
    cadence="annual",
    hosts=("stat.gov.kz",),
    landing_urls=(LISTING,),
    parser_version="1",
    discovery=Discovery(
        kind="listing-page", index_url=LISTING, status=LIVE_UNTESTED,
        note="the foreign-trade 'spreadsheets' page: rows linking /api/iblock/element/<id>/file/<lang>/, kept "
             "when titled 'Основные показатели внешней торговли'; a release is identified by its element id, "
             "its date read from its cover (with the next publication date). Built from a working scraper of "
             "the site (kz-stat-releases/MANIFEST.md): no listing page was ever recorded. The cover reading is "
             "tested on two real releases."),
    # One release: two years' sheets x ~150 partners x 3 flows. Every record names its partner; a few cells
    # are the Bureau's "-" (no trade), so values are filled in most but not all.
    assertions=Assertions(min_records=500, max_records=20_000,
                          fill_rates=(("partner", 1.0), ("value", 0.95), ("vintage", 1.0))),
)


class Params(SourceParams):
    release_urls: list[str] = Field(
        default_factory=list,
        description="Release files to fetch directly (the Bureau's https://stat.gov.kz/api/iblock/element/<id>/"
                    "file/ru/ links), skipping the listing. Empty: discover the releases on the listing page.")
    listing_url: str = Field(default=LISTING, description="The Bureau's foreign-trade spreadsheets page.")


REPORTER, INDICATOR, UNIT, COMMODITY = "Казахстан", "trade_value", "thousand USD", "TOTAL"
FLOWS = {"товарооборот": "T", "экспорт": "X", "импорт": "M"}


def replay_defaults(archive: Path) -> dict:
    """Replay has no recorded listing: it names the recorded releases."""
    return {"release_urls": recorded_urls(archive, SOURCE.id)}


def fetch(client: SourceClient, options: FetchOptions) -> Iterable[Document]:
    """Releases named in the params, else the listing's foreign-trade releases that are new or changed."""
    params = options.params or Params()
    if params.release_urls:
        yield from fetch_named(client, options, params.release_urls, "named release")
        return
    listing = client.get(params.listing_url)
    candidates = kz_releases.release_candidates(listing, TITLE_WORDS)
    for doc in fetch_candidates(client, options, candidates):
        _dated(options, doc)
        yield doc


def _dated(options: FetchOptions, doc: Document) -> None:
    """The discovery log keeps the release date the fetched release's cover states."""
    published = kz_releases.cover_dates(sheets.load_workbook(doc)).published
    log = options.discovery
    for i, (candidate, sha) in enumerate(log.fetched):
        if sha == doc.sha256 and published:
            log.fetched[i] = (replace(candidate, release_date=published), sha)


def parse(doc: Document) -> Parsed:
    book = sheets.load_workbook(doc)
    tables = {name: rows for name, rows in book.items() if _header_row(rows) is not None}
    if not tables:
        raise LayoutChanged(doc.source_id, doc.url, "no sheet with a Товарооборот/Экспорт/Импорт header "
                            f"and a Наименование column; sheets: {sheets.headers_seen(book)}")
    years = {name: _year(doc, name, rows) for name, rows in tables.items()}
    published = kz_releases.cover_dates(book).published
    vintage, flags = (published, ()) if published else inferred_vintage(max(years.values()))
    records = [r for name, rows in tables.items()
               for r in _sheet(doc, name, rows, years[name], vintage, flags)]
    return Parsed(records=records, unread=_unread(book, tables))


def _header_row(rows: sheets.Rows) -> int | None:
    def is_header(cells: list[str]) -> bool:
        low = [c.lower() for c in cells]
        return bool(low) and low[0].startswith("наименование") and all(
            any(c.startswith(word) for c in low) for word in FLOWS)
    return sheets.find_row(rows, is_header)


def _year(doc: Document, name: str, rows: sheets.Rows) -> int:
    title = " ".join(sheets.text(v) for row in rows[:_header_row(rows)] for v in row)
    year = year_in(title)
    if year is None or (year_in(name) not in (None, year)):
        raise LayoutChanged(doc.source_id, doc.url, f"sheet {name!r}: no year in its title {title[:120]!r} "
                            "or one that disagrees with the sheet name")
    if "тыс. долларов сша" not in title.lower():
        raise LayoutChanged(doc.source_id, doc.url, f"sheet {name!r}: unit 'тыс. долларов США' not stated")
    return year


def _unread(book: dict[str, sheets.Rows], tables: dict[str, sheets.Rows]) -> list[str]:
    """The share columns beside each value (the Bureau's own "% of total") and the sheets with no table
    (cover: only its dates are read; legend, contents, methodology)."""
    unread = [f"sheet {name!r}" for name in book if name not in tables]
    for name, rows in tables.items():
        head = _header_row(rows)
        for col, cell in enumerate(rows[head + 1]):
            label = sheets.text(cell)
            if col and label and label.lower() != "всего":
                unread.append(f"{name}!{cell_name(0, col)[:-1]} {label!r}")  # the column's letters
    return unread


def _columns(doc: Document, name: str, rows: sheets.Rows, head: int) -> dict[str, int]:
    """Flow -> column of its value; the sub-header under it must say "всего" (the share is beside it)."""
    found = {}
    for col, cell in enumerate(rows[head]):
        flow = next((f for word, f in FLOWS.items() if sheets.text(cell).lower().startswith(word)), None)
        if flow and sheets.text(sheets.at(rows, head + 1, col)).lower() == "всего":
            found[flow] = col
    if len(found) != len(FLOWS):
        raise LayoutChanged(doc.source_id, doc.url, f"sheet {name!r}: value columns 'всего' under "
                            f"Товарооборот/Экспорт/Импорт not all found (found {found})")
    return found


def _sheet(doc: Document, name: str, rows: sheets.Rows, year: int, vintage: date,
           flags: tuple[str, ...]) -> list[Record]:
    head = _header_row(rows)
    columns = _columns(doc, name, rows, head)
    start, end = year_period(year)
    records = []
    for i in range(head + 2, len(rows)):
        partner = sheets.text(rows[i][0])
        for flow, col in columns.items():
            where = sheets.cell_locator(name, i, col)
            cell = cell_value(doc, sheets.at(rows, i, col), where)
            if cell is None:
                continue  # an empty cell: the Bureau leaves a flow with no trade blank
            if not partner:
                raise LayoutChanged(doc.source_id, doc.url, f"{where} holds a value in a row with no country")
            records.append(Record(INDICATOR, REPORTER, start, end, cell[0], UNIT, where, partner=partner,
                                  commodity=COMMODITY, flow=flow, raw=cell[1], vintage=vintage, flags=flags))
    if not any(r.partner.lower().startswith("всего") for r in records):
        raise LayoutChanged(doc.source_id, doc.url, f"sheet {name!r}: no 'Всего' (total) row")
    return records


def check(parsed: list[Parsed]) -> CheckResult:
    return kz_stat_checks.check(parsed)
