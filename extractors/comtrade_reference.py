"""UN Comtrade's own reference lists: the reporters (``Reporters.json``) and the HS codes (``HS.json``).

A run fetches both (conditional GET: they change rarely) and checks the watch list against them before
it requests any data. Comtrade's area numbers map to ISO 3166 alpha-3 from the publisher's reporter
list; ``PARTNER_AREAS`` keeps only what that list lacks or gets wrong for our use (areas that only
appear as partners, groups, and one union the list files under a member's code). No partner list was
ever recorded, so partner-only areas have no publisher-backed table here. A copy of ``Reporters.json``
ships in ``extractors/data/`` (ORIGIN.md there) so parsing and transforms work offline and reproducibly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import pycountry

from extractors.base import Document, LayoutChanged
from extractors.jsonutil import load_json, need

HOST = "comtradeapi.un.org"
REPORTERS_URL = f"https://{HOST}/files/v1/app/reference/Reporters.json"
HS_URL = f"https://{HOST}/files/v1/app/reference/HS.json"
BUNDLED_REPORTERS = Path(__file__).resolve().parent / "data" / "comtrade_v1_reference_Reporters_2025-12-07.json"

# Comtrade area numbers the publisher's reporter list lacks (partner-only areas, the world) or that
# must not take the list's alpha-3: a group is never a country, and 58 "Belgium-Luxembourg (...1998)"
# is filed there under BEL although its figures are two countries'. None is an ISO numeric code.
PARTNER_AREAS: dict[int, str] = {
    0: "WLD",  # World
    490: "AGG-OTHER-ASIA-NES",  # "Other Asia, nes": Comtrade's name for Taiwan's reports (a group there)
    97: "AGG-EU",  # European Union as one reporter (a group there, alpha-3 "EUR")
    58: "AGG-BELGIUM-LUXEMBOURG",  # Belgium-Luxembourg economic union (reports up to 1998)
    711: "AGG-SACU",  # Southern African Customs Union (reports up to 1999; alpha-3 "ZA1" there)
    473: "AGG-LAIA-NES",
    527: "AGG-OCEANIA-NES",
    568: "AGG-OTHER-EUROPE-NES",
    577: "AGG-OTHER-AFRICA-NES",
    636: "AGG-REST-OF-AMERICA-NES",
    837: "AGG-BUNKERS",
    838: "AGG-FREE-ZONES",
    839: "AGG-SPECIAL-CATEGORIES",
    899: "AGG-AREAS-NES",
}
TO_COMTRADE: dict[str, int] = {code: number for number, code in PARTNER_AREAS.items()}
READ = {"id", "text", "reporterCodeIsoAlpha3", "isGroup", "entryExpiredDate"}


class UnknownArea(LookupError):
    """A Comtrade area number (or ISO code) that neither the publisher's list nor the table knows."""


@dataclass(frozen=True)
class Area:
    code: int
    name: str
    alpha_3: str  # as the publisher writes it (may be "S19", "EUR", "ZA1": not ISO)
    is_group: bool
    expired: date | None

    @property
    def iso(self) -> str | None:
        """The ISO alpha-3 this entry stands for, or None when the table must answer."""
        if self.is_group or self.code in PARTNER_AREAS:
            return None
        return self.alpha_3 if pycountry.countries.get(alpha_3=self.alpha_3) else None


@dataclass(frozen=True)
class Reporters:
    areas: dict[int, Area]
    unread: tuple[str, ...] = ()

    def iso_of(self, code: int) -> str:
        area = self.areas.get(code)
        if area is not None and area.iso:
            return area.iso
        if code in PARTNER_AREAS:
            return PARTNER_AREAS[code]
        if area is not None and area.is_group:
            return "AGG-" + re.sub(r"[^A-Z0-9]+", "-", area.name.upper()).strip("-")
        country = pycountry.countries.get(numeric=f"{code:03d}")
        if country is not None:  # an ISO numeric code Comtrade has no reporter entry for
            return country.alpha_3
        if area is not None:
            raise UnknownArea(f"no ISO code for Comtrade area code {code} ({area.name!r}): UN Comtrade's "
                              f"reporter list gives it {area.alpha_3!r}, not a current ISO 3166 alpha-3, "
                              "and the table of partner areas lacks it")
        raise UnknownArea(f"no ISO code for Comtrade area code {code}: in neither UN Comtrade's reporter "
                          "list nor the table of partner areas")

    def code_of(self, alpha_3: str) -> int:
        """ISO alpha-3 (or WLD / AGG- code) -> the number Comtrade expects; a current entry first."""
        wanted = alpha_3.strip().upper()
        if wanted in TO_COMTRADE:
            return TO_COMTRADE[wanted]
        matches = sorted((a for a in self.areas.values() if a.iso == wanted),
                         key=lambda a: (a.expired is not None, -(a.expired or date.max).toordinal()))
        if matches:
            return matches[0].code
        country = pycountry.countries.get(alpha_3=wanted)
        if country is not None:
            return int(country.numeric)
        raise UnknownArea(f"no Comtrade area code for {alpha_3!r}")


def read_reporters(doc: Document) -> Reporters:
    rows = need(doc, load_json(doc), "results", (), list)
    if not rows:
        raise LayoutChanged(doc.source_id, doc.url, "the reporter list names no reporter")
    areas, unread = {}, set()
    for i, row in enumerate(rows):
        path = ("results", i)
        code = need(doc, row, "id", path, int)
        expired = row.get("entryExpiredDate")
        areas[code] = Area(code, need(doc, row, "text", path, str),
                           need(doc, row, "reporterCodeIsoAlpha3", path, str).strip(),
                           need(doc, row, "isGroup", path, bool),
                           date.fromisoformat(expired[:10]) if expired else None)
        unread |= set(row) - READ
    return Reporters(areas, tuple(sorted(unread)))


def read_hs(doc: Document) -> dict[str, str]:
    """HS code -> its text ("8542" -> "8542 - Electronic integrated circuits")."""
    body = load_json(doc)
    rows = need(doc, body, "results", (), list)
    if need(doc, body, "classCode", (), str) != "HS" or not rows:
        raise LayoutChanged(doc.source_id, doc.url, f"not the HS list (classCode {body.get('classCode')!r}, "
                            f"{len(rows)} codes)")
    return {need(doc, row, "id", ("results", i), str): need(doc, row, "text", ("results", i), str)
            for i, row in enumerate(rows)}


def hs_unread(doc: Document) -> tuple[str, ...]:
    body = load_json(doc)
    fields = {k for row in body["results"] for k in row} - {"id", "text"}
    return tuple(sorted(fields | (set(body) - {"classCode", "results"})))


@lru_cache(maxsize=1)
def bundled() -> Reporters:
    """The copy that ships with the code (extractors/data/ORIGIN.md): parsing and transforms use it."""
    return read_reporters(Document.from_bytes("un-comtrade", REPORTERS_URL, BUNDLED_REPORTERS.read_bytes()))


def is_reference(url: str) -> bool:
    return "/files/v1/app/reference/" in url
