"""Kazakhstan, Bureau of National Statistics: "Основные показатели внешней торговли" by country.

Annual Excel 97 releases in Russian, thousand USD. Each release holds its year's sheet and the
previous year's, so every year arrives twice; the later release is a revision (often at full
precision where the earlier one rounded). A data sheet is found by its header row (the words
"Товарооборот", "Экспорт", "Импорт" and a "Наименование ..." country column), never by fixed
rows: header rows move between releases and the 2023 release adds cover, legend, contents and
methodology sheets. The publication date is read from the cover ("Дата опубликования: dd.mm.yyyy")
where there is one; otherwise it is inferred and flagged (see ``stat_tables.inferred_vintage``).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Iterable
from urllib.parse import quote

from extractors import kz_stat_checks, sheets
from extractors.base import (
    CheckResult, Document, FetchOptions, LayoutChanged, Parsed, Record, SourceClient, SourceInfo,
)
from extractors.stat_tables import cell_value, inferred_vintage, year_in, year_period

SOURCE = SourceInfo(
    id="kz-stat-trade",
    family="trade",
    publisher="Bureau of National Statistics of the Republic of Kazakhstan",
    name="Основные показатели внешней торговли (main indicators of foreign trade, by country)",
    homepage="https://stat.gov.kz/",
    licence="Bureau of National Statistics terms of use",
    cadence="annual",
    hosts=("stat.gov.kz", "raw.githubusercontent.com"),
    landing_urls=("https://stat.gov.kz/ru/industries/economy/foreign-market/",),
    parser_version="1",
)

# The recorded copies: the byte copies a public research project kept of the Bureau's files (see
# replay/kz-stat-trade/ORIGIN.md); the Bureau's own download URLs were not kept.
MIRROR = "https://raw.githubusercontent.com/mary-lev/eu-export-sanctions/4b6a5df/data/kazakhstan_data/"
RELEASE_FILES = tuple(f"Основные показатели внешней торговли{part}.xls" for part in (
    "_2019", "_2020", "_2021", " по странам_2022", " по странам_2023"))
RELEASE_URLS = tuple(MIRROR + quote(name) for name in RELEASE_FILES)

REPORTER, INDICATOR, UNIT, COMMODITY = "Казахстан", "trade_value", "thousand USD", "TOTAL"
FLOWS = {"товарооборот": "T", "экспорт": "X", "импорт": "M"}
PUBLISHED = re.compile(r"Дата опубликования:\s*(\d{2}\.\d{2}\.\d{4})")


def fetch(client: SourceClient, options: FetchOptions) -> Iterable[Document]:
    """The recorded releases, then any release URL a run adds (``extra["release_urls"]``)."""
    for url in dict.fromkeys((*RELEASE_URLS, *options.extra.get("release_urls", ()))):
        yield client.get(url)


def parse(doc: Document) -> Parsed:
    book = sheets.load_workbook(doc)
    tables = {name: rows for name, rows in book.items() if _header_row(rows) is not None}
    if not tables:
        raise LayoutChanged(doc.source_id, doc.url, "no sheet with a Товарооборот/Экспорт/Импорт header "
                            f"and a Наименование column; sheets: {sheets.headers_seen(book)}")
    years = {name: _year(doc, name, rows) for name, rows in tables.items()}
    vintage, flags = _vintage(doc, book, max(years.values()))
    records = [r for name, rows in tables.items()
               for r in _sheet(doc, name, rows, years[name], vintage, flags)]
    return Parsed(records=records)


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


def _vintage(doc: Document, book: dict[str, sheets.Rows], last_year: int) -> tuple[date, tuple[str, ...]]:
    for rows in book.values():
        for row in rows[:20]:
            match = PUBLISHED.search(" ".join(sheets.text(v) for v in row))
            if match:
                return datetime.strptime(match.group(1), "%d.%m.%Y").date(), ()
    return inferred_vintage(last_year)


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
