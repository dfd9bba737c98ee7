"""IOM DTM survey rounds: discovered from the HDX dataset's resources (``candidates``) and named.

A resource name reads "Round 14 IDP Estimation 25 September 2023" or "Round 1 IDP Estimatation
16 03 2022" [sic]; only "Round N" and the trailing date are read, so the misspelling is harmless.
Names change: in May 2022 round 1 was listed as "[Update] IDP_estimation_16_03_2022.xlsx" and round 3
as "Round 3 IDP Estimation 17 Apr 2022.xlsx". So a round's identity is its HDX resource id and its
version the resource's ``last_modified``, never its name.

Rounds 3 and 13 carry no date inside the workbook, so ``fetch`` requests each round's URL with
the HDX resource's name and ``last_modified`` in the URL fragment (``...xlsx#hdx_resource=Round+13+
...&last_modified=2023-07-04T17%3A18%3A43.525855``). A fragment is never sent to the server (the
same bytes come back), but it stays in the snapshot's URL, so ``parse`` (and ``explain``, which
re-parses stored bytes) read the round, its date and its upload date from there. Without a fragment
(``sanctrace parse`` on a saved file) the file's own name is read the same way, e.g.
``round_13_idp_estimation_25_may_2023.xlsx``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Sequence
from urllib.parse import parse_qs, unquote, urldefrag, urlencode, urlsplit

from extractors.base import Candidate
from extractors.hdx import Resource

MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
_ROUND = re.compile(r"(?<![a-z])round[\s_-]*(\d{1,3})(?!\d)", re.I)
_DATE = re.compile(r"(?<!\d)(\d{1,2})[\s_.-]+([a-z]{3,9}|\d{1,2})[\s_.-]+(\d{4})(?!\d)", re.I)


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


def candidates(resources: Sequence[Resource], dataset: str) -> list[Candidate]:
    """Every resource of the dataset is one round's workbook: its identity is the HDX resource id, its
    version the resource's ``last_modified``. The name gives the round and survey date where it says
    them ("[Update] IDP_estimation_16_03_2022.xlsx", round 1's first name, gives only the date)."""
    found = []
    for res in resources:
        number, day = parse_round_name(res.name)
        found.append(Candidate(
            url=with_hint(res.url, res.name, res.last_modified), key=res.id, version=res.last_modified,
            title=res.name, release_date=_day(res.last_modified), period_start=day, period_end=day,
            round=number, dataset=dataset))
    return found


def with_hint(url: str, name: str, last_modified: str) -> str:
    """The document URL plus a fragment naming the HDX resource it was listed as."""
    return f"{urldefrag(url).url}#" + urlencode({"hdx_resource": name, "last_modified": last_modified})


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


def _day(text: str) -> date | None:
    try:
        return datetime.fromisoformat(text).date() if text else None
    except ValueError:
        return None
