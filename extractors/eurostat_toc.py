"""Eurostat's table of contents (TXT): which datasets exist and when each last got new data.

Live: ``https://ec.europa.eu/eurostat/api/dissemination/catalogue/toc/txt?lang=en``. UTF-8, TAB-separated,
every field double-quoted, a trailing TAB; the tree is shown by leading spaces in the title. Columns:
title, code, type (folder | dataset | table), "last update of data", "last table structure change",
"data start", "data end", "values". Folders leave the dates blank. A code appears once under every
folder that holds it; its rows must agree. "last update of data" is a dataset's version for discovery.
Comext's ``DS-`` datasets are not in it (they live in the Comext dissemination base).
"""

from __future__ import annotations

import calendar
import csv
import io
import re
from dataclasses import dataclass
from datetime import date

from extractors.base import Document, LayoutChanged

URL = "https://ec.europa.eu/eurostat/api/dissemination/catalogue/toc/txt?lang=en"
HEADER = ["title", "code", "type", "last update of data", "last table structure change", "data start",
          "data end", "values"]
KINDS = {"folder", "dataset", "table"}


@dataclass(frozen=True)
class Entry:
    code: str
    title: str
    kind: str  # dataset | table
    last_update: date
    structure_change: date | None
    data_start: str
    data_end: str
    line: int  # first line (1-based) naming it

    @property
    def locator(self) -> str:
        return f"csv:row={self.line};col=last update of data"

    @property
    def period(self) -> tuple[date | None, date | None]:
        """First day of "data start" and last day of "data end" (2022M03, 1992Q1, 1975, 2022-S1 ...)."""
        return _bound(self.data_start, first=True), _bound(self.data_end, first=False)


def read(doc: Document) -> dict[str, Entry]:
    """Every dataset and table by code (folders left out); LayoutChanged naming the line otherwise."""
    try:
        text = doc.content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LayoutChanged(doc.source_id, doc.url, f"table of contents is not UTF-8: {exc}") from None
    rows = csv.reader(io.StringIO(text, newline=""), delimiter="\t")
    header = next(rows, [])
    if header[:len(HEADER)] != HEADER:
        raise LayoutChanged(doc.source_id, doc.url, f"table of contents header is {header[:8]!r}, not {HEADER!r}")
    entries: dict[str, Entry] = {}
    for line, row in enumerate(rows, start=2):
        if not row:
            continue
        entry = _entry(doc, row, line)
        if entry is None:
            continue
        seen = entries.setdefault(entry.code, entry)
        if (seen.last_update, seen.data_end) != (entry.last_update, entry.data_end):
            raise LayoutChanged(doc.source_id, doc.url, f"line {line}: {entry.code} last updated "
                                f"{entry.last_update} here but {seen.last_update} on line {seen.line}")
    if not entries:
        raise LayoutChanged(doc.source_id, doc.url, "the table of contents lists no dataset")
    return entries


def _entry(doc: Document, row: list[str], line: int) -> Entry | None:
    if len(row) < 7:
        raise LayoutChanged(doc.source_id, doc.url, f"line {line} has {len(row)} fields, not {len(HEADER)}")
    title, code, kind = row[0].strip(), row[1].strip(), row[2].strip()
    if kind not in KINDS or not code:
        raise LayoutChanged(doc.source_id, doc.url, f"line {line}: type {kind!r} / code {code!r} unknown")
    if kind == "folder":
        return None
    return Entry(code, title, kind, _date(doc, row[3], line, code, required=True),
                 _date(doc, row[4], line, code), row[5].strip(), row[6].strip(), line)


def _date(doc: Document, text: str, line: int, code: str, required: bool = False) -> date | None:
    text = text.strip()
    match = re.fullmatch(r"(\d{2})\.(\d{2})\.(\d{4})", text)
    if match:
        return date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
    if not text and not required:
        return None
    raise LayoutChanged(doc.source_id, doc.url, f"line {line}: {code} date {text!r} is not dd.mm.yyyy")


UNREAD = ["values"]  # a column the parser does not read (empty in the recorded files)


def _bound(text: str, first: bool) -> date | None:
    match = re.fullmatch(r"(\d{4})(?:-?([MQS])(\d{1,2})|-(\d{2}))?", text.strip())
    if not match:
        return None  # e.g. a daily or weekly range: the candidate carries no period
    year, kind, number, month = match.group(1, 2, 3, 4)
    months = {"M": 1, "Q": 3, "S": 6}.get(kind or "", 12 if not month else 1)
    start = int(month) if month else (int(number) - 1) * months + 1 if kind else 1
    end = start + months - 1 if (kind or month) else 12
    if not 1 <= start <= end <= 12:
        return None
    if first:
        return date(int(year), start, 1)
    return date(int(year), end, calendar.monthrange(int(year), end)[1])


def is_toc(doc: Document) -> bool:
    return "/catalogue/toc/" in doc.url or doc.content.lstrip()[:40].startswith(b'"title"\t"code"')
