"""Strict spreadsheet reading for parsers: whole sheets as rows, header search, cell locators.

Rows are read with ``skip_empty_area=False`` so that row/column indexes are the sheet's own
(A1 = rows[0][0]) and a ``cell:Sheet!B13`` locator names the cell Excel shows.
"""

from __future__ import annotations

import io
import re
from typing import Any, Callable

from extractors.base import Document, LayoutChanged
from extractors.locators import cell_name

Rows = list[list[Any]]
_FOOTNOTE = re.compile(r"\s*(\*+)\s*$")


def load_workbook(doc: Document) -> dict[str, Rows]:
    """Every sheet of an xls/xlsx document as rows of python values, by sheet name."""
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(doc.content))
        return {name: book.get_sheet_by_name(name).to_python(skip_empty_area=False)
                for name in book.sheet_names}
    except Exception as exc:  # calamine raises its own zip/xml error types
        raise LayoutChanged(doc.source_id, doc.url, f"not a readable workbook: {exc}") from exc


def text(value: Any) -> str:
    """A cell as one line of text: whitespace runs (including newlines) collapse to one space."""
    return " ".join(str(value).split()) if value is not None else ""


def find_row(rows: Rows, match: Callable[[list[str]], bool], limit: int = 10) -> int | None:
    """Index of the first of the first ``limit`` rows whose cell texts satisfy ``match``."""
    for i, row in enumerate(rows[:limit]):
        if match([text(v) for v in row]):
            return i
    return None


def cell_locator(sheet: str, row: int, col: int) -> str:
    return f"cell:{sheet}!{cell_name(row, col)}"


def at(rows: Rows, row: int, col: int) -> Any:
    """rows[row][col], or "" when the row is shorter (an empty trailing cell)."""
    return rows[row][col] if row < len(rows) and col < len(rows[row]) else ""


def strip_footnote(label: str) -> tuple[str, str]:
    """'Zaporizka*' -> ('Zaporizka', '*'); a label without a marker -> (label, '')."""
    match = _FOOTNOTE.search(label)
    return (label[: match.start()], match.group(1)) if match else (label, "")


def headers_seen(sheets: dict[str, Rows], rows: int = 3) -> str:
    """A short description of what a workbook holds, for LayoutChanged messages."""
    parts = []
    for name, body in sheets.items():
        heads = [" | ".join(t for t in (text(v) for v in row) if t)[:160] for row in body[:rows]]
        parts.append(f"{name!r}: " + " / ".join(h for h in heads if h))
    return "; ".join(parts)
