"""Flow parameters, checked before any fetch so a bad value fails with the parameter named."""

from __future__ import annotations

from datetime import date
from typing import Literal

from extractors import registry

FetchMode = Literal["live", "replay"]


class InvalidParameter(ValueError):
    def __init__(self, name: str, problem: str):
        super().__init__(f"parameter {name!r}: {problem}")


def as_date(name: str, value: date | str | None) -> date | None:
    """Prefect's server does not check `format: date`, so a string may arrive here unchecked."""
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidParameter(name, f"{value!r} is not a date (YYYY-MM-DD)") from None


def check_sources(family: str | None, sources: list[str] | None) -> list[str]:
    """The source ids to run: all of the family by default; an unknown id is an error."""
    known = [s for s, m in registry.modules().items() if family is None or m.SOURCE.family == family]
    if not sources:
        return known
    unknown = [s for s in sources if s not in known]
    if unknown:
        scope = f"family {family!r}" if family else "sanctrace"
        raise InvalidParameter("sources", f"unknown source id(s) {unknown} for {scope}; known: {known}")
    return list(dict.fromkeys(sources))


def check_window(start: date | str | None, end: date | str | None) -> tuple[date | None, date | None]:
    start, end = as_date("start", start), as_date("end", end)
    if start and end and start > end:
        raise InvalidParameter("start", f"{start} is after end {end}")
    return start, end


def check_mode(mode: str | None) -> str | None:
    if mode not in (None, "live", "replay"):
        raise InvalidParameter("fetch_mode", f"{mode!r} is neither 'live' nor 'replay'")
    return mode
