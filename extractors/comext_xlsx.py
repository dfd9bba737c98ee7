"""Eurostat Data Browser "spreadsheet" (XLSX) downloads of a Comext dataset (e.g. DS-045409).

The workbook holds ``Summary`` and ``Structure`` sheets, then one sheet per value of the view's
sheet dimension (the product, in the recorded download). A data sheet reads:

    A1  Data extracted on 21/01/2023 17:38:57 from [ESTAT]
    A3  Last updated:            B3  13/01/2023 11:00
    A5  PRODUCT [PRODUCT]        C5  Electronic integrated circuits ... [85423190]
    A6  FLOW                     C6  EXPORT
    A7  INDICATORS               C7  VALUE_IN_EUROS
    A9  TIME   B9 TIME           C9  2020-01 ... AL9 2022-12      (the periods across)
    A10 FREQ (Labels)            C10 Monthly ...                  (dimensions per column)
    A11 REPORTER (Labels)   B11 PARTNER (Labels)                  (the dimensions down the rows)
    A12 Austria             B12 Armenia        C12 ':' or a number ...
    ...
        Special value / ':' not available                         (the legend under the table)

Rows are found by what they hold, not by fixed positions. A value is a number (EUR) or ':' (not
available or confidential: never a zero and never a figure; counted in ``missing``). Anything else
in the data area fails the document, naming the cell.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from functools import cached_property
from datetime import date, datetime
from typing import Any

from extractors.base import Document, LayoutChanged
from extractors.sheets import Rows, load_workbook, text

NOT_AVAILABLE = ":"
FLOWS = {"EXPORT": "X", "IMPORT": "M", "2": "X", "1": "M", "EXPORTS": "X", "IMPORTS": "M"}
UNITS = {"VALUE_IN_EUROS": "EUR", "VALUE_IN_EUR": "EUR", "QUANTITY_IN_100KG": "100 kg"}
NEEDED = ("REPORTER", "PARTNER", "PRODUCT", "FLOW", "INDICATORS")
KNOWN = set(NEEDED) | {"FREQ", "TIME", "TIME_PERIOD"}
FREQS = {"Monthly": "M", "M": "M", "Annual": "A", "A": "A"}
_CODE_AT_END = re.compile(r"\[([0-9A-Z_]+)\]\s*$")
_DIM = re.compile(r"^([A-Z_]+)(?:\s*\[[A-Z_]+\])?(?:\s*\((Labels|Codes|Labels and codes)\))?$")


@dataclass
class Period:
    col: int
    label: str  # as the sheet writes it ("2022-04")
    start: date
    end: date
    monthly: bool


@dataclass
class Line:
    """One data row: its dimension values (labels as written) and its cells by column."""

    row: int
    dims: dict[str, str]
    values: dict[int, float | None]  # column -> EUR, None where ':'


@dataclass
class Sheet:
    name: str
    fixed: dict[str, str]  # dimensions stated once above the table (PRODUCT, FLOW, INDICATORS)
    periods: list[Period]
    lines: list[Line]
    first_row: int
    last_row: int
    row_dims: list[str]  # dimension per leading column (REPORTER in A, PARTNER in B)

    def dim(self, line: Line, name: str) -> str:
        return line.dims.get(name) or self.fixed[name]

    @cached_property
    def layout(self) -> tuple[tuple[int, str], ...]:
        """Which period stands in which column: sheets are added up cell by cell only when equal."""
        return tuple((p.col, p.label) for p in self.periods)

    @cached_property
    def years(self) -> dict[int, list[Period]]:
        """The monthly periods of each year the sheet holds."""
        years: dict[int, list[Period]] = {}
        for p in self.periods:
            if p.monthly:
                years.setdefault(p.start.year, []).append(p)
        return years


@dataclass
class Workbook:
    sheets: list[Sheet] = field(default_factory=list)
    updated: date | None = None  # "Last updated" of the dataset: the release these values belong to
    missing: int = 0
    unread: list[str] = field(default_factory=list)


def is_workbook(doc: Document) -> bool:
    return doc.content[:4] == b"PK\x03\x04"


def read(doc: Document) -> Workbook:
    book = Workbook()
    for name, rows in load_workbook(doc).items():
        if name in ("Summary", "Structure"):
            book.unread.append(f"sheet {name} (the view's description and code lists; the data sheets state the same)")
            continue
        sheet = _sheet(doc, name, rows, book)
        if sheet is not None:
            book.sheets.append(sheet)
    if not book.sheets:
        raise LayoutChanged(doc.source_id, doc.url, "no data sheet (a 'TIME' row over a table of values)")
    book.unread.append("each data sheet's 'Data extracted on' line (when the view was downloaded; "
                       "'Last updated' is read as the figures' release)")
    return book


def product_code(doc: Document, sheet: Sheet, line: Line) -> str:
    label = sheet.dim(line, "PRODUCT")
    found = _CODE_AT_END.search(label)
    if found:
        return found.group(1)
    if re.fullmatch(r"[0-9A-Z_]+", label):
        return label  # the codes-only form
    raise LayoutChanged(doc.source_id, doc.url, f"sheet {sheet.name!r}: product {label[:80]!r} ends in no [code]")


def flow_code(doc: Document, sheet: Sheet, line: Line) -> str:
    value = sheet.dim(line, "FLOW")
    if value.upper() not in FLOWS:
        raise LayoutChanged(doc.source_id, doc.url, f"sheet {sheet.name!r}: FLOW {value!r}, expected one of {sorted(FLOWS)}")
    return FLOWS[value.upper()]


def unit(doc: Document, sheet: Sheet, line: Line) -> str:
    value = sheet.dim(line, "INDICATORS")
    if value not in UNITS:
        raise LayoutChanged(doc.source_id, doc.url, f"sheet {sheet.name!r}: INDICATORS {value!r}, this parser reads {sorted(UNITS)}")
    return UNITS[value]


def _sheet(doc: Document, name: str, rows: Rows, book: Workbook) -> Sheet | None:
    cells = [[v if _is_number(v) or v == NOT_AVAILABLE else text(v) for v in row] for row in rows]
    time_row = next((i for i, row in enumerate(cells) if row and row[0] == "TIME"), None)
    if time_row is None:
        raise LayoutChanged(doc.source_id, doc.url, f"sheet {name!r}: no 'TIME' row over the table")
    book.updated = book.updated or _updated(cells[:time_row])
    fixed = _fixed(doc, name, cells[:time_row])
    first_col = next((j for j, v in enumerate(cells[time_row]) if v not in ("TIME", "")), None)
    if first_col is None:
        raise LayoutChanged(doc.source_id, doc.url, f"sheet {name!r}: the TIME row holds no period")
    periods = [_period(doc, name, j, v) for j, v in enumerate(cells[time_row]) if j >= first_col and v != ""]
    head_row, row_dims = _row_header(doc, name, cells, time_row, first_col, fixed)
    lines, last = _lines(doc, name, cells, head_row + 1, first_col, periods, row_dims, book)
    _check_dims(doc, name, fixed, row_dims)
    return Sheet(name, fixed, periods, lines, head_row + 1, last, row_dims)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _updated(rows: list[list[Any]]) -> date | None:
    for row in rows:
        if row and str(row[0]).startswith("Last updated") and len(row) > 1:
            try:
                return datetime.strptime(str(row[1]).strip(), "%d/%m/%Y %H:%M").date()
            except ValueError:
                return None
    return None


def _fixed(doc: Document, name: str, rows: list[list[Any]]) -> dict[str, str]:
    """Dimensions stated above the table: 'PRODUCT [PRODUCT]' in A, its value in C."""
    fixed = {}
    for row in rows:
        label = str(row[0]) if row else ""
        dim = _DIM.match(label)
        if dim and label not in ("", "TIME") and len(row) > 2 and str(row[2]):
            fixed[dim.group(1)] = str(row[2])
    return fixed


def _period(doc: Document, name: str, col: int, value: Any) -> Period:
    label = str(value)
    month = re.fullmatch(r"(\d{4})-(\d{2})", label) or re.fullmatch(r"(\d{4})M(\d{2})", label)
    if month:
        year, number = int(month.group(1)), int(month.group(2))
        return Period(col, label, date(year, number, 1), date(year, number, calendar.monthrange(year, number)[1]), True)
    if re.fullmatch(r"\d{4}", label):
        return Period(col, label, date(int(label), 1, 1), date(int(label), 12, 31), False)
    raise LayoutChanged(doc.source_id, doc.url, f"sheet {name!r}: period {label!r} is not YYYY-MM or YYYY")


def _row_header(doc: Document, name: str, cells: list[list[Any]], time_row: int, first_col: int,
                fixed: dict[str, str]) -> tuple[int, list[str]]:
    """The row naming the dimensions down the rows ('REPORTER (Labels)', 'PARTNER (Labels)'): its
    leading cells are filled and its period columns empty. Rows above it state per-column dimensions."""
    for i in range(time_row + 1, min(time_row + 8, len(cells))):
        row = cells[i]
        lead = [str(v) for v in row[:first_col]]
        if all(lead) and not any(str(v) for v in row[first_col:]):
            dims = []
            for label in lead:
                dim = _DIM.match(label)
                if not dim:
                    raise LayoutChanged(doc.source_id, doc.url, f"sheet {name!r}: row dimension {label!r} is not 'NAME (Labels)'")
                dims.append(dim.group(1))
            for j in range(time_row + 1, i):  # per-column dimensions: FREQ, one value across
                _column_dim(doc, name, cells[j], first_col, fixed)
            return i, dims
    raise LayoutChanged(doc.source_id, doc.url, f"sheet {name!r}: no row naming the row dimensions under TIME")


def _column_dim(doc: Document, name: str, row: list[Any], first_col: int, fixed: dict[str, str]) -> None:
    dim = _DIM.match(str(row[0]))
    values = {str(v) for v in row[first_col:] if str(v)}
    if not dim or len(values) != 1:
        raise LayoutChanged(doc.source_id, doc.url, f"sheet {name!r}: column dimension {row[0]!r} with values "
                            f"{sorted(values)[:5]}; this parser reads one value across (e.g. FREQ Monthly)")
    fixed[dim.group(1)] = values.pop()


def _lines(doc: Document, name: str, cells: list[list[Any]], start: int, first_col: int,
           periods: list[Period], row_dims: list[str], book: Workbook) -> tuple[list[Line], int]:
    lines, i = [], start
    while i < len(cells) and cells[i] and str(cells[i][0]) not in ("", "Special value"):
        row = cells[i]
        dims = {d: str(row[j]) for j, d in enumerate(row_dims)}
        if not all(dims.values()):
            raise LayoutChanged(doc.source_id, doc.url, f"sheet {name!r} row {i + 1}: a row label is empty")
        values = {}
        for p in periods:
            value = row[p.col] if p.col < len(row) else ""
            if value == NOT_AVAILABLE:
                values[p.col] = None
                book.missing += 1
            elif _is_number(value):
                values[p.col] = float(value)
            else:
                raise LayoutChanged(doc.source_id, doc.url, f"sheet {name!r} cell row {i + 1} column {p.label}: "
                                    f"{value!r} is neither a number nor ':'")
        lines.append(Line(i, dims, values))
        i += 1
    if not lines:
        raise LayoutChanged(doc.source_id, doc.url, f"sheet {name!r}: no data row under the row header")
    _legend(doc, name, cells[i:])
    return lines, i - 1


def _legend(doc: Document, name: str, rows: list[list[Any]]) -> None:
    """The special values under the table: only ':' (not available) is known."""
    after = [r for r in rows if r and str(r[0])]
    if after and str(after[0][0]) == "Special value":
        marks = {str(r[0]): str(r[1]) if len(r) > 1 else "" for r in after[1:]}
        unknown = {m: v for m, v in marks.items() if m != NOT_AVAILABLE}
        if unknown:
            raise LayoutChanged(doc.source_id, doc.url, f"sheet {name!r}: special values {unknown} besides ':'")


def _check_dims(doc: Document, name: str, fixed: dict[str, str], row_dims: list[str]) -> None:
    present = set(fixed) | set(row_dims)
    missing = [d for d in NEEDED if d not in present]
    unknown = sorted(present - KNOWN)
    if missing or unknown:
        raise LayoutChanged(doc.source_id, doc.url, f"sheet {name!r}: dimensions {sorted(present)}; "
                            f"missing {missing}, not known {unknown}")
    freq = fixed.get("FREQ")
    if freq is not None and freq not in FREQS:
        raise LayoutChanged(doc.source_id, doc.url, f"sheet {name!r}: FREQ {freq!r}, expected one of {sorted(FREQS)}")
