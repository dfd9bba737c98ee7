"""OHCHR civilian casualties in Ukraine, as copied by OCHA's "Ukraine key figures" Google Sheet (CSV).

SECONDARY SOURCE: each sheet row copies OHCHR's killed and injured counts (cumulative since
24 Feb 2022) for a date and links the document it took them from. That link becomes ``cites_url``:
the OHCHR update where the row links one, else the first web link given (flag ``cites_non_ohchr``,
early rows cite OCHA situation reports), else none (flag ``no_cited_document``). OHCHR's own update
pages have no recorded copy, so there is no extractor for them.

Line 1 of the CSV is a group header ("Flash Appeal", "Update", "Funding"), line 2 the column names.
Locators are ``csv:row=<physical line>;col=<column name>;header=2``. A count lower than one of an
earlier date is kept and flagged ``decrease_vs_earlier`` (a correction, or an error a user must see).
"""

from __future__ import annotations

import csv
import re
from datetime import date
from typing import Iterable

from extractors.base import (
    LIVE_TESTED, Assertions, CheckResult, Discovery, Document, FetchOptions, LayoutChanged, Parsed, Record,
    SourceClient, SourceInfo,
)
from extractors.cumulative import find_decreases, flag
from extractors.numbers import parse_number

SHEET = ("https://docs.google.com/spreadsheets/d/e/2PACX-1vQIdedbZz0ehRC0b4fsWiP14R7MdtU1mpmwAkuXUPElSa"
         "h2AWCURKGALFDuHjvyJUL8vzZAt3R1B5qg/pub")
SOURCE = SourceInfo(
    id="ohchr-casualties",
    family="casualties",
    publisher="OHCHR (as copied by OCHA's Ukraine key figures sheet)",
    name="Civilian casualties in Ukraine since 24 February 2022",
    homepage="https://data.humdata.org/dataset/ukraine-key-figures-2022",
    licence="OCHA/HDX terms of use; figures (c) OHCHR",
    cadence="daily",
    hosts=("docs.google.com",),
    landing_urls=(SHEET + "?gid=0&single=true&output=csv", "https://www.ohchr.org/en/countries/ukraine"),
    parser_version="1",
    discovery=Discovery(
        kind="document-is-index",
        index_url=SHEET + "?gid=0&single=true&output=csv",
        status=LIVE_TESTED,
        note=("OCHA publishes the key-figures sheet itself (Google Sheets' publish-to-web CSV: the publisher's own "
              "channel, not a mirror). The sheet is its own index: each OHCHR update becomes a new dated row in "
              "the same CSV, so a run GETs it and conditional GET + sha256 skip an unchanged sheet. Parser tested "
              "on the real sheet of 2022-05-02; OHCHR's own update pages have no recorded copy and no extractor."),
    ),
    # 50 dated rows x killed + injured in the recorded sheet; a few early rows cite no document.
    assertions=Assertions(min_records=90, max_records=20_000,
                          fill_rates=(("value", 0.95), ("cites_url", 0.9))),
)
QUERY = {"gid": "0", "single": "true", "output": "csv"}
HEADER_LINE = 2
COUNTS = {"civilians_killed": "Civilian casualities(OHCHR) - Killed",  # sic: "casualities"
          "civilians_injured": "Civilian casualities(OHCHR) - Injured"}
DATE, LINKS = "Date", "Source URL"
SINCE = date(2022, 2, 24)
GEO = "Ukraine"
MIN_DATES = 45
_URL = re.compile(r"https?://[^\s;,]+")


def fetch(client: SourceClient, options: FetchOptions) -> Iterable[Document]:
    yield client.get(SHEET, params=QUERY)


def parse(doc: Document) -> Parsed:
    try:
        lines = doc.content.decode("utf-8-sig").splitlines()
    except UnicodeDecodeError as exc:
        raise LayoutChanged(doc.source_id, doc.url, f"not UTF-8 text: {exc}") from exc
    rows = [next(csv.reader([line]), []) for line in lines]
    if len(rows) <= HEADER_LINE:
        raise LayoutChanged(doc.source_id, doc.url, f"only {len(rows)} line(s), expected a header on line 2")
    header = [h.strip() for h in rows[HEADER_LINE - 1]]
    missing = [h for h in (*COUNTS.values(), DATE, LINKS) if h not in header]
    if missing:
        raise LayoutChanged(doc.source_id, doc.url, f"line {HEADER_LINE} lacks column(s) {missing}; "
                            f"line 1 is {rows[0][:20]}, line {HEADER_LINE} is {header}")
    col = {h: header.index(h) for h in (*COUNTS.values(), DATE, LINKS)}
    by_date: dict[date, list[Record]] = {}
    warnings = []
    for line, row in enumerate(rows[HEADER_LINE:], start=HEADER_LINE + 1):
        cells = {h: row[j].strip() if j < len(row) else "" for h, j in col.items()}
        if not any(cells[h] for h in COUNTS.values()):
            continue  # a row of other key figures only (or an empty row)
        day = _day(doc, cells[DATE], line)
        cites, flags = _cites(cells[LINKS])
        records = [Record(indicator, GEO, SINCE, day, _count(doc, cells[h], line, h), "persons",
                          f"csv:row={line};col={rows[HEADER_LINE - 1][col[h]]};header={HEADER_LINE}", raw=cells[h], cites_url=cites,
                          flags=flags) for indicator, h in COUNTS.items() if cells[h]]
        if day in by_date:
            warnings.append(f"{day} appears twice; line {line} replaces the earlier line")
        by_date[day] = records
    records = [r for day in sorted(by_date) for r in by_date[day]]
    if not records:
        raise LayoutChanged(doc.source_id, doc.url, "no row holds a killed or injured count")
    falls = find_decreases(records)
    records = [flag(r) if i in falls else r for i, r in enumerate(records)]
    return Parsed(records=records, warnings=warnings + [falls[i] for i in sorted(falls)],
                  unread=_unread(header, rows[HEADER_LINE:]))


def _unread(header: list[str], rows: list[list[str]]) -> list[str]:
    """Columns holding values this parser does not read (the sheet's other key figures: OCHA's, not OHCHR's)."""
    read = {*COUNTS.values(), DATE, LINKS}
    return [f"csv column {h!r}" for j, h in enumerate(header)
            if h not in read and any(j < len(row) and row[j].strip() for row in rows)]


def _day(doc: Document, text: str, line: int) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise LayoutChanged(doc.source_id, doc.url, f"line {line}: {DATE} is {text!r}, not YYYY-MM-DD") from None


def _count(doc: Document, text: str, line: int, header: str) -> float | None:
    try:
        value = parse_number(text)
    except ValueError:
        value = -1.0
    if value is not None and (value < 0 or value != int(value)):
        raise LayoutChanged(doc.source_id, doc.url, f"line {line}: {header} is {text!r}, not a count")
    return value


def _cites(cell: str) -> tuple[str | None, tuple[str, ...]]:
    links = [u.rstrip(".)") for u in _URL.findall(cell)]
    ohchr = [u for u in links if re.match(r"https?://(www\.)?ohchr\.org/", u)]
    if ohchr:
        return ohchr[0], ()
    return (links[0], ("cites_non_ohchr",)) if links else (None, ("no_cited_document",))


def check(parsed: list[Parsed]) -> CheckResult:
    """Counts present for enough dates; cumulative series never fall (a fall is a warning + flag)."""
    result = CheckResult()
    where = [(p, i) for p in parsed for i in range(len(p.records))]
    records = [p.records[i] for p, i in where]
    for indicator in COUNTS:
        dates = {r.period_end for r in records if r.indicator == indicator and r.value is not None}
        result.expect(len(dates) >= MIN_DATES, f"{indicator} given for at least {MIN_DATES} dates ({len(dates)})")
    bad = [r.locator for r in records if r.value is not None and not 0 <= r.value <= 1_000_000]
    result.expect(not bad, f"counts between 0 and 1,000,000 ({len(bad)} outside: {bad[:5]})")
    for k, message in sorted(find_decreases(records).items()):
        result.warnings.append(message)
        p, i = where[k]
        p.records[i] = flag(p.records[i])  # a fall across documents gets its flag too
    return result
