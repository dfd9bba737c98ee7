"""Helpers the national statistics offices' trade tables share: cell values and yearly periods."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from extractors.base import Document, LayoutChanged

MISSING = "-"  # the offices' mark for "no trade recorded"
_YEAR = re.compile(r"\b(19[89]\d|20\d\d)\b")
_FLAGS = ("vintage=inferred",)


def year_in(text: str) -> int | None:
    match = _YEAR.search(text)
    return int(match.group(1)) if match else None


def year_period(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def inferred_vintage(last_year: int) -> tuple[date, tuple[str, ...]]:
    """A release that states no publication date: the day after its newest year ends.

    Not the real date (annual releases come out months later) but it orders releases correctly,
    so a later release's figure supersedes an earlier one's; the flag says it is inferred.
    """
    return date(last_year + 1, 1, 1), _FLAGS


def cell_value(doc: Document, value: Any, where: str) -> tuple[float | None, str] | None:
    """A numeric cell -> (value, raw); "-" -> (None, "-"); empty -> None; anything else is an error.

    The value is the cell's stored number (xls/xlsx keep a double), never a display string.
    """
    if isinstance(value, bool):
        raise LayoutChanged(doc.source_id, doc.url, f"{where} holds {value!r}, not a number")
    if isinstance(value, (int, float)):
        return float(value), repr(float(value)) if isinstance(value, float) else str(value)
    text = str(value).strip() if value is not None else ""
    if not text:
        return None
    if text == MISSING:
        return None, MISSING
    raise LayoutChanged(doc.source_id, doc.url, f"{where} holds {text!r}, not a number")
