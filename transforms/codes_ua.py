"""Ukraine's oblasts as the sources write them -> ISO 3166-2:UA codes.

Names: IOM DTM's transliteration ("Dnipropetrovska", "Zaporizka*"), with or without "Oblast",
and common English forms ("Dnipropetrovsk", "Kharkiv Oblast"). "Kyiv" alone is the city (UA-30);
the oblast around it is "Kyivska" / "Kyiv Oblast" (UA-32).
Pcodes: the HDX/OCHA admin-1 pcodes ("UA12"), which follow the old KOATUU numbers and differ from
ISO for Luhanska (UA44 -> UA-09), Chernivetska (UA73 -> UA-77), Kyiv city (UA80 -> UA-30),
Sevastopol (UA85 -> UA-40) and Crimea (UA01 -> UA-43).

IOM geo conventions (extractors/dtm_tables.py): "UA12|Dnipropetrovska" (pcode|name), a plain name,
"macro-region|West". Macro-regions and the rows for an unknown place get non-ISO codes:
UA-MACRO-WEST/EAST/NORTH/SOUTH/CENTRE/KYIV, UA-MACRO-UNKNOWN ("Not provided"), UA-UNKNOWN
("Residence location unknown (in Ukraine)") and UA-OTHER ("Other oblasts", the rest of a top-5).

Where the pcode and the name disagree the name wins and ``pcode_conflict`` says so: round 14 of
IOM's workbook gives "Kyiv" the pcode UA32 and "Kyivska" UA80 (swapped), while its figures follow
the names (Kyiv's returnees continue the city's series of round 13).
"""

from __future__ import annotations

import re

from transforms.codes import UnknownName

# ISO 3166-2:UA, HDX pcode, IOM spelling, other spellings
OBLASTS = (
    ("UA-05", "UA05", "Vinnytska", ("Vinnytsia", "Vinnytsya")),
    ("UA-07", "UA07", "Volynska", ("Volyn",)),
    ("UA-09", "UA44", "Luhanska", ("Luhansk",)),
    ("UA-12", "UA12", "Dnipropetrovska", ("Dnipropetrovsk",)),
    ("UA-14", "UA14", "Donetska", ("Donetsk",)),
    ("UA-18", "UA18", "Zhytomyrska", ("Zhytomyr",)),
    ("UA-21", "UA21", "Zakarpatska", ("Zakarpattia", "Zakarpattya", "Transcarpathia")),
    ("UA-23", "UA23", "Zaporizka", ("Zaporizhzhia", "Zaporizhia", "Zaporizhzhya")),
    ("UA-26", "UA26", "Ivano-Frankivska", ("Ivano-Frankivsk",)),
    ("UA-30", "UA80", "Kyiv", ("Kyiv City", "The city of Kyiv", "City of Kyiv", "Kiev")),
    ("UA-32", "UA32", "Kyivska", ("Kyiv Oblast", "Kyivska Oblast", "Kiev Oblast")),
    ("UA-35", "UA35", "Kirovohradska", ("Kirovohrad", "Kropyvnytskyi")),
    ("UA-40", "UA85", "Sevastopol", ("Sevastopol City", "Sevastopilska")),
    ("UA-43", "UA01", "Avtonomna Respublika Krym",
     ("Crimea", "Krym", "Autonomous Republic of Crimea", "Republic of Crimea")),
    ("UA-46", "UA46", "Lvivska", ("Lviv",)),
    ("UA-48", "UA48", "Mykolaivska", ("Mykolaiv",)),
    ("UA-51", "UA51", "Odeska", ("Odesa", "Odessa")),
    ("UA-53", "UA53", "Poltavska", ("Poltava",)),
    ("UA-56", "UA56", "Rivnenska", ("Rivne",)),
    ("UA-59", "UA59", "Sumska", ("Sumy",)),
    ("UA-61", "UA61", "Ternopilska", ("Ternopil",)),
    ("UA-63", "UA63", "Kharkivska", ("Kharkiv",)),
    ("UA-65", "UA65", "Khersonska", ("Kherson",)),
    ("UA-68", "UA68", "Khmelnytska", ("Khmelnytskyi", "Khmelnytskyy")),
    ("UA-71", "UA71", "Cherkaska", ("Cherkasy",)),
    ("UA-74", "UA74", "Chernihivska", ("Chernihiv",)),
    ("UA-77", "UA73", "Chernivetska", ("Chernivtsi",)),
)
MACRO_REGIONS = {
    "west": "UA-MACRO-WEST", "east": "UA-MACRO-EAST", "north": "UA-MACRO-NORTH",
    "south": "UA-MACRO-SOUTH", "centre": "UA-MACRO-CENTRE", "center": "UA-MACRO-CENTRE",
    "central": "UA-MACRO-CENTRE", "kyiv": "UA-MACRO-KYIV", "not provided": "UA-MACRO-UNKNOWN",
}
SPECIAL = {
    "residence location unknown (in ukraine)": "UA-UNKNOWN",
    "other oblasts": "UA-OTHER",
}
MACRO_PREFIX = "macro-region|"


def _key(name: str) -> str:
    name = re.sub(r"[*'’ʼ`]+", "", name).replace("\u00a0", " ")
    return " ".join(name.lower().split())


NAMES: dict[str, str] = {}
for _iso, _pcode, _name, _variants in OBLASTS:
    for _written in (_name, *_variants):
        NAMES[_key(_written)] = _iso
PCODES = {pcode: iso for iso, pcode, _, _ in OBLASTS}


def oblast_code(name: str) -> str:
    """ISO 3166-2:UA (or UA-UNKNOWN / UA-OTHER) for an oblast name as written."""
    key = _key(name)
    for candidate in (key, re.sub(r"\s+(oblast|region|obl\.?)$", "", key)):
        if candidate in NAMES:
            return NAMES[candidate]
        if candidate in SPECIAL:
            return SPECIAL[candidate]
    raise UnknownName(f"no ISO 3166-2:UA code for {name!r}")


def pcode_to_iso(pcode: str) -> str:
    try:
        return PCODES[pcode.strip().upper()]
    except KeyError:
        raise UnknownName(f"no ISO 3166-2:UA code for pcode {pcode!r}") from None


def macro_region_code(name: str) -> str:
    try:
        return MACRO_REGIONS[_key(name)]
    except KeyError:
        raise UnknownName(f"no macro-region code for {name!r}") from None


def geo_code(geo: str) -> str:
    """The code for an IOM record's geo: 'UA12|Dnipropetrovska', 'Kharkivska', 'macro-region|West'."""
    if geo.startswith(MACRO_PREFIX):
        return macro_region_code(geo[len(MACRO_PREFIX):])
    _, _, name = geo.rpartition("|")
    return oblast_code(name)


def pcode_conflict(geo: str) -> str | None:
    """Why a 'PCODE|Name' geo's pcode disagrees with its name, or None if it agrees (or has none)."""
    pcode, sep, name = geo.partition("|")
    if not sep or pcode == MACRO_PREFIX[:-1]:
        return None
    by_name, by_pcode = oblast_code(name), pcode_to_iso(pcode)
    if by_name == by_pcode:
        return None
    return f"{geo!r}: the name means {by_name} but pcode {pcode} means {by_pcode}; the name is used"
