"""A place as people type it (ISO code or a name) -> the code the warehouse stores.

The code tables in transforms/ are the authority: ISO 3166 (pycountry and the sources' aliases), the
trade releases' Russian and English names, Ukraine's oblasts and macro-regions, Eurostat's names.
A place none of them knows is an error naming it, never an empty result.
"""

from __future__ import annotations

from typing import Callable, Iterable

import pycountry

from transforms.codes import UnknownName, country_code
from transforms.codes_eurostat import comext_code
from transforms.codes_trade_names import trade_name_code
from transforms.codes_ua import macro_region_code, oblast_code

LOOKUPS: tuple[Callable[[str], str], ...] = (
    country_code, trade_name_code, oblast_code, macro_region_code, comext_code)


class UnknownPlace(ValueError):
    pass


def iso_code(text: str) -> str:
    """An ISO 3166 alpha-3 code (any case), WLD or an AGG- aggregate; else UnknownPlace."""
    code = text.strip().upper()
    if code == "WLD" or code.startswith("AGG-") or pycountry.countries.get(alpha_3=code) is not None:
        return code
    raise UnknownPlace(f"{text} is not a known ISO code")


def place_code(text: str, stored: Iterable[str] = ()) -> str:
    """A code the warehouse already stores (UA-14, AGG-CIS), an ISO code, or a name a code table knows."""
    stored = set(stored)
    if text.strip().upper() in stored:
        return text.strip().upper()
    for lookup in LOOKUPS:
        try:
            return lookup(text)
        except (UnknownName, LookupError):
            continue
    raise UnknownPlace(f"{text} is not a known ISO code or place name")
