"""Code lists shared by the families: ISO 3166 countries and the sources' names for them.

pycountry carries the ISO tables; the aliases below are the sources' own spellings that ISO names
do not match. Aggregates (regional totals, country groups) get non-ISO codes starting with ``AGG-``
so they are never mistaken for, or summed with, countries.
"""

from __future__ import annotations

from functools import lru_cache

import pycountry

ALIASES = {
    "serbia and kosovo: s/res/1244 (1999)": "SRB",  # UNHCR reports Serbia and Kosovo together
    "kosovo": "XKX",
    "türkiye": "TUR",
    "turkey": "TUR",
    "czech republic": "CZE",
    "russia": "RUS",
    "united states": "USA",
    "republic of korea": "KOR",
    "iran": "IRN",
    "european union": "AGG-EU",
    "europe (unhcr regional total)": "AGG-EUROPE",
    "ukraine's neighbours (unhcr regional total)": "AGG-UKR-NEIGHBOURS",  # UNHCR border-crossing totals, 2022
    "world": "WLD",
}


class UnknownName(ValueError):
    """A name no code list knows. Fails the batch: a silent drop would lose a figure."""


def _key(name: str) -> str:
    return " ".join(name.strip().lower().split())


@lru_cache(maxsize=4096)
def country_code(name: str) -> str:
    """Alpha-3 (or AGG-/WLD code) for a country name or code as a source writes it."""
    key = _key(name)
    if key in ALIASES:
        return ALIASES[key]
    try:
        return pycountry.countries.lookup(key).alpha_3
    except LookupError:
        raise UnknownName(f"no country code for {name!r}") from None


def country_name(code: str) -> str:
    country = pycountry.countries.get(alpha_3=code)
    return country.name if country else code
