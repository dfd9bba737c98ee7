"""UN Comtrade's area codes (UN M49 numbers) -> ISO 3166 alpha-3, and back for building requests.

The publisher's own reporter list (``Reporters.json``, shipped in extractors/data/, read by
extractors/comtrade_reference.py) answers first: e.g. 842 USA incl. Puerto Rico and the US Virgin
Islands, 251 France incl. Monaco, 757 Switzerland incl. Liechtenstein, 699 India. ``EXCEPTIONS`` keeps
only what that list lacks or must not answer: areas that appear only as partners, the world, groups
(``AGG-`` codes, so they are never summed with countries) and 58 Belgium-Luxembourg (filed there
under BEL). None of these numbers is an ISO numeric code (tests/test_codes_m49.py checks each against
pycountry); ``unused_exceptions`` names any entry the publisher's list makes dead.
"""

from __future__ import annotations

from extractors.comtrade_reference import PARTNER_AREAS, TO_COMTRADE, UnknownArea, bundled
from transforms.codes import UnknownName

EXCEPTIONS: dict[int, str] = PARTNER_AREAS

__all__ = ["EXCEPTIONS", "TO_COMTRADE", "iso_of_m49", "m49_of_iso", "unused_exceptions"]


def iso_of_m49(code: int | str) -> str:
    """Comtrade area code (156, "0") -> ISO alpha-3 ("CHN", "WLD") or an AGG- code."""
    try:
        number = int(code)
    except (TypeError, ValueError):
        raise UnknownName(f"not a Comtrade area code: {code!r}") from None
    try:
        return bundled().iso_of(number)
    except UnknownArea as exc:
        raise UnknownName(str(exc)) from None


def m49_of_iso(alpha_3: str) -> int:
    """ISO alpha-3 (or WLD / AGG- code) -> the number Comtrade expects in a request (a current
    reporter entry of the publisher's list first: DEU is 276, not the former 280)."""
    try:
        return bundled().code_of(alpha_3)
    except UnknownArea as exc:
        raise UnknownName(str(exc)) from None


def unused_exceptions() -> dict[int, str]:
    """Table entries the publisher's list would answer the same way: dead entries to remove."""
    areas = bundled().areas
    return {n: iso for n, iso in EXCEPTIONS.items() if n in areas and areas[n].alpha_3 == iso}
