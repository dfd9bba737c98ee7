"""Trade family: exports/imports by reporter, partner, commodity and period, in USD (or EUR) and kg.

Each trade source registers how its geo and partner names become codes (``MAPPERS``). A record
flagged ``derived=...`` (Comext's HS4, yearly and EU totals) becomes a derived figure (method "derived"). Values are
stored in base units: a figure published in thousand US dollars is multiplied by 1000 and stored as
``USD``, while ``published_unit`` and ``raw`` keep what the publisher wrote. Money and weights are not
counts (no ``>= 0`` CHECK: a trade balance may be negative).
"""

from __future__ import annotations

from typing import Callable

import pandas as pd

from extractors import uz_stat
from extractors.base import Document, Parsed
from transforms.codes import UnknownName, country_code
from transforms.codes_eurostat import comext_geo, eurostat_geo
from transforms.codes_m49 import iso_of_m49
from transforms.codes_trade_names import trade_name_code
from transforms.common import Batch, records_frame, validate

Mapper = Callable[[str], str]

# published unit -> (stored unit, factor)
UNITS: dict[str, tuple[str, float]] = {
    "USD": ("USD", 1.0),
    "thousand USD": ("USD", 1000.0),
    "EUR": ("EUR", 1.0),
    "million EUR": ("EUR", 1_000_000.0),  # Eurostat SDMX unit CP_MEUR
    "thousand EUR": ("EUR", 1000.0),  # Eurostat SDMX unit THS_EUR
    "persons": ("persons", 1.0),  # Eurostat SDMX unit PER (migr_asytpfm: decisions granting protection)
    "kg": ("kg", 1.0),
    "100 kg": ("kg", 100.0),  # Comext QUANTITY_IN_100KG
    # UN Comtrade quantity units (qtyUnitAbbr); any other fails the batch with its name
    "u": ("items", 1.0),
    "2u": ("pairs", 1.0),
    "12u": ("items", 12.0),
    "1000u": ("items", 1000.0),
    "l": ("l", 1.0),
    "m": ("m", 1.0),
    "m²": ("m²", 1.0),
    "m³": ("m³", 1.0),
    "carat": ("carat", 1.0),
}

# source id -> (geo mapper, partner mapper); a source not listed uses ISO names/codes via pycountry
MAPPERS: dict[str, tuple[Mapper, Mapper]] = {
    "un-comtrade": (iso_of_m49, iso_of_m49),  # UN M49 numbers as text
    "eurostat-comext": (comext_geo, comext_geo),  # names with notes, codes or both; EU/euro area -> AGG-
    "eurostat-sdmx": (eurostat_geo, eurostat_geo),  # Eurostat geo codes (EL, UK, EU27_2020 ...)
    # National statistics offices: Russian (KZ) and English (KG) names, groups as AGG- codes
    "kz-stat-trade": (trade_name_code, trade_name_code),
    "kg-stat-trade": (trade_name_code, trade_name_code),
}

# Uzbekistan's Agency writes partners as M49 codes; these two mean something else there than in UN
# Comtrade's lists: 0 is "Other countries" (Comtrade: World), 736 is "Sudan" kept after 2011 (M49: the
# former Sudan, before South Sudan; the file has no 728/729 row, so 736 is today's Sudan as well).
UZ_STAT_M49 = {"0": "AGG-OTHER-COUNTRIES", "736": "SDN"}


class UnknownUnit(ValueError):
    """A unit the trade transform has no conversion for: fails the batch, never a silent guess."""


def normalise(source_id: str, parsed: list[tuple[Document, Parsed]]) -> Batch:
    geo, partner = MAPPERS.get(source_id, (country_code, country_code))
    if source_id == "uz-stat-trade":
        names = {code: name for doc, _ in parsed for code, name in uz_stat.partner_names(doc).items()}
        geo = partner = uz_m49_mapper(names)
    pairs = ((r, doc.sha256) for doc, p in parsed for r in p.records)
    frame = records_frame(source_id, pairs, geo=geo, partner=partner, is_count=False)
    if not frame.empty:  # totals a parser derived (Comext) say so in their flags; the loader links their inputs
        frame.loc[frame["flags"].str.contains("derived=", regex=False), "method"] = "derived"
    return Batch(observations=validate(source_id, to_base_units(source_id, frame)))


def uz_m49_mapper(names: dict[str, str]) -> Mapper:
    """M49 code -> ISO alpha-3: the Agency's own meanings first, then UN Comtrade's codes (codes_m49). A code
    neither knows fails the batch, named with the Agency's English name for it."""
    def code_of(code: str) -> str:
        if code in UZ_STAT_M49:
            return UZ_STAT_M49[code]
        try:
            return iso_of_m49(code)
        except UnknownName:
            raise UnknownName(f"M49 code {code} ({names.get(code, 'no name in the file')!r}) is in neither "
                              "UN Comtrade's codes nor the Agency's explicit table (transforms/trade.py "
                              "UZ_STAT_M49)") from None
    return code_of


def to_base_units(source_id: str, frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return frame
    unknown = sorted(set(frame["published_unit"]) - set(UNITS))
    if unknown:
        raise UnknownUnit(f"[{source_id}] no conversion for unit(s) {unknown}")
    frame = frame.copy()
    frame["unit"] = frame["published_unit"].map(lambda u: UNITS[u][0])
    factor = frame["published_unit"].map(lambda u: UNITS[u][1]).astype(float)
    frame["value"] = frame["value"].astype(float) * factor
    return frame
