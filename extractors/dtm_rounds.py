"""IOM DTM survey rounds: discovered from the HDX dataset's resources, chosen for a run, and named.

A resource name reads "Round 14 IDP Estimation 25 September 2023" or "Round 1 IDP Estimatation
16 03 2022" [sic]; only "Round N" and the trailing date are read, so the misspelling is harmless.

Rounds 4 and 13 carry no date inside the workbook, so ``fetch`` requests each round's URL with
the HDX resource's name and ``last_modified`` in the URL fragment (``...xlsx#hdx_resource=Round+13+
...&last_modified=2023-07-04T17%3A18%3A43.525855``). A fragment is never sent to the server (the
same bytes come back), but it stays in the snapshot's URL, so ``parse`` (and ``explain``, which
re-parses stored bytes) read the round, its date and its upload date from there, and the next run
knows which rounds, as of which upload, the warehouse holds (``loaded_rounds``). Without a fragment
(``sanctrace parse`` on a saved file) the file's own name is read the same way, e.g.
``round_13_idp_estimation_25_may_2023.xlsx``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Mapping, Sequence
from urllib.parse import parse_qs, unquote, urldefrag, urlencode, urlsplit

from extractors.hdx import Resource

MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
_ROUND = re.compile(r"(?<![a-z])round[\s_-]*(\d{1,3})(?!\d)", re.I)
_DATE = re.compile(r"(?<!\d)(\d{1,2})[\s_.-]+([a-z]{3,9}|\d{1,2})[\s_.-]+(\d{4})(?!\d)", re.I)


@dataclass(frozen=True)
class Round:
    number: int
    survey_date: date | None
    name: str
    url: str
    last_modified: str
    locator: str  # where the metadata document lists it


def parse_round_name(name: str) -> tuple[int | None, date | None]:
    """'Round 13 IDP Estimation 25 May 2023' -> (13, date(2023, 5, 25)); parts not found -> None."""
    number = _ROUND.search(name)
    found = None
    for match in _DATE.finditer(name):
        day, month, year = match.groups()
        month_no = int(month) if month.isdigit() else MONTHS.get(month[:3].lower())
        try:
            found = date(int(year), month_no, int(day)) if month_no else found
        except ValueError:
            continue
    return (int(number.group(1)) if number else None), found


def rounds_from_resources(resources: Sequence[Resource]) -> list[Round]:
    """Resources whose name says "Round N"; of two resources for one round the newer upload wins."""
    rounds: dict[int, Round] = {}
    for res in resources:
        number, day = parse_round_name(res.name)
        if number is None:
            continue
        candidate = Round(number, day, res.name, res.url, res.last_modified, res.locator)
        if number not in rounds or candidate.last_modified > rounds[number].last_modified:
            rounds[number] = candidate
    return sorted(rounds.values(), key=lambda r: r.number)


def select_rounds(resources: Sequence[Round], loaded_rounds: Mapping[int | str, str],
                  requested: Sequence[int] | str | None = None) -> list[Round]:
    """Which rounds to fetch, oldest first.

    Always the newest round (a conditional GET makes an unchanged one cheap, and a run must see
    at least one round); any round in ``loaded_rounds`` (round -> last_modified already loaded)
    whose last_modified moved; and the ``requested`` backfill (a list of round numbers or "all").
    A requested round the metadata does not list raises ValueError.
    """
    by_number = {r.number: r for r in resources}
    if not by_number:
        return []
    chosen = {max(by_number)}
    for number, last_modified in loaded_rounds.items():
        current = by_number.get(int(number))
        if current is not None and current.last_modified != last_modified:
            chosen.add(current.number)
    if requested == "all":
        chosen |= set(by_number)
    elif isinstance(requested, str):
        raise ValueError(f"rounds must be a list of round numbers or 'all', not {requested!r}")
    elif requested:
        unknown = sorted(int(n) for n in requested if int(n) not in by_number)
        if unknown:
            raise ValueError(f"round(s) {unknown} requested but not listed; listed: {sorted(by_number)}")
        chosen |= {int(n) for n in requested}
    return [by_number[n] for n in sorted(chosen)]


def with_hint(url: str, round_: Round) -> str:
    """The document URL plus a fragment naming the HDX resource it was listed as."""
    return f"{urldefrag(url).url}#" + urlencode(
        {"hdx_resource": round_.name, "last_modified": round_.last_modified})


@dataclass(frozen=True)
class Hint:
    number: int | None
    survey_date: date | None
    vintage: date | None
    said_by: str  # what the round and date were read from, for messages
    last_modified: str = ""  # the HDX resource's, as fetch() saw it ("" when not from a fragment)


def hint(url: str) -> Hint:
    """Round, date and upload date from the URL fragment set by ``with_hint``, else the file name."""
    base, fragment = urldefrag(url)
    fields = {k: v[0] for k, v in parse_qs(fragment).items()}
    if "hdx_resource" in fields:
        number, day = parse_round_name(fields["hdx_resource"])
        return Hint(number, day, _day(fields.get("last_modified", "")),
                    f"HDX resource name {fields['hdx_resource']!r}", fields.get("last_modified", ""))
    name = unquote(urlsplit(base).path.rsplit("/", 1)[-1]) if "://" in base else base.rsplit("/", 1)[-1]
    number, day = parse_round_name(name)
    return Hint(number, day, None, f"file name {name!r}")


def loaded_rounds(state: Mapping) -> dict[int, str]:
    """Round -> HDX last_modified the warehouse holds: ``state["loaded_rounds"]`` if given, else read
    from the fragments of the URLs already parsed (``state["documents"]``, keyed by URL)."""
    if "loaded_rounds" in state:
        return {int(k): v for k, v in state["loaded_rounds"].items()}
    found: dict[int, str] = {}
    for url in state.get("documents", {}):
        seen = hint(url)
        if seen.number is not None and seen.last_modified:
            found[seen.number] = max(found.get(seen.number, ""), seen.last_modified)
    return found


def _day(text: str) -> date | None:
    try:
        return datetime.fromisoformat(text).date() if text else None
    except ValueError:
        return None
