"""UN Comtrade's area codes (UN M49 numbers) -> ISO 3166 alpha-3, and back for building requests.

Most Comtrade codes are the ISO 3166 numeric code, so pycountry answers them. ``EXCEPTIONS`` holds
the codes Comtrade uses instead: a country reported together with territories gets its own number
(842 USA incl. Puerto Rico and the US Virgin Islands, 251 France incl. Monaco, 757 Switzerland incl.
Liechtenstein, 579 Norway incl. Svalbard, 699 India), and groups or "nes" (not elsewhere specified)
areas get ``AGG-`` codes so they are never summed with countries. None of these numbers is an ISO
numeric code (tests/test_codes_m49.py checks each against pycountry).
"""

from __future__ import annotations

import pycountry

from transforms.codes import UnknownName

EXCEPTIONS: dict[int, str] = {
    0: "WLD",  # World
    842: "USA",
    251: "FRA",
    699: "IND",
    757: "CHE",
    579: "NOR",
    490: "AGG-OTHER-ASIA-NES",  # "Other Asia, nes": Comtrade's name for Taiwan's reports
    97: "AGG-EU",  # European Union as one reporter
    58: "AGG-BELGIUM-LUXEMBOURG",  # Belgium-Luxembourg economic union (reports up to 1998)
    711: "AGG-SACU",  # Southern African Customs Union (reports up to 1999)
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
# The way back: a country Comtrade reports under its own number is requested by that number.
TO_COMTRADE: dict[str, int] = {code: number for number, code in EXCEPTIONS.items()}


def iso_of_m49(code: int | str) -> str:
    """Comtrade area code (156, "0") -> ISO alpha-3 ("CHN", "WLD") or an AGG- code."""
    try:
        number = int(code)
    except (TypeError, ValueError):
        raise UnknownName(f"not a Comtrade area code: {code!r}") from None
    if number in EXCEPTIONS:
        return EXCEPTIONS[number]
    country = pycountry.countries.get(numeric=f"{number:03d}")
    if country is None:
        raise UnknownName(f"no ISO country for Comtrade area code {number}")
    return country.alpha_3


def m49_of_iso(alpha_3: str) -> int:
    """ISO alpha-3 (or WLD / AGG- code) -> the number Comtrade expects in a request."""
    code = alpha_3.strip().upper()
    if code in TO_COMTRADE:
        return TO_COMTRADE[code]
    country = pycountry.countries.get(alpha_3=code)
    if country is None:
        raise UnknownName(f"no Comtrade area code for {alpha_3!r}")
    return int(country.numeric)
