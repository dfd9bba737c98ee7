"""Eurostat's names and codes for reporters and partners -> ISO alpha-3 or AGG- aggregate codes.

Comext's data browser writes a reporter as its English name, often with a note on its territory
("Germany (incl. German Democratic Republic 'DD' from 1991)", "Ireland (Eire)"); the part before the
note names the country. The EU and euro area appear as rows beside the member states: they get
``AGG-`` codes so they are never added to them. Eurostat's SDMX geo codes are ISO alpha-2 except
EL (Greece) and UK, plus aggregate codes such as EU27_2020.
"""

from __future__ import annotations

import re

import pycountry

from extractors.comext_labels import MEMBER_STATES
from transforms.codes import UnknownName, country_code

# "Euro area" and "European Union" without a count are the evolving compositions (members as of each date).
AGGREGATES = {"Euro area": "AGG-EA", "European Union": "AGG-EU"}
_FIXED = re.compile(r"(Euro area|European Union) - (\d+) countries")
_FIXED_CODES = {"European Union 27": "AGG-EU27_2020", "European Union 28": "AGG-EU28"}
SDMX_GEO = {"EL": "GRC", "UK": "GBR", "XK": "XKX", "EU27_2020": "AGG-EU27_2020", "EU28": "AGG-EU28",
            "EA20": "AGG-EA20", "EA19": "AGG-EA19", "EA": "AGG-EA", "EU": "AGG-EU"}


def comext_code(name: str) -> str:
    """'Germany (incl. ...)' -> DEU; 'European Union - 27 countries (AT, ...)' -> AGG-EU27_2020."""
    head = name.split(" (", 1)[0].strip()
    fixed = _FIXED.fullmatch(head)
    if fixed:
        area, count = fixed.groups()
        return _FIXED_CODES.get(f"{area} {count}", f"AGG-{'EA' if area == 'Euro area' else 'EU'}{count}")
    if head in AGGREGATES:
        return AGGREGATES[head]
    if head in MEMBER_STATES:
        return MEMBER_STATES[head]
    return country_code(head)  # partners such as Kazakhstan; UnknownName names what failed


_CODE = re.compile(r"[A-Z]{2}|[A-Z]{2}[A-Z0-9_]*\d[A-Z0-9_]*|EU|EA")


def comext_geo(text: str) -> str:
    """A Comext reporter or partner as a download writes it: a code ('DE', 'EU27_2020'), a label
    ('Germany (incl. ...)'), or both ('DE - Germany (incl. ...)', 'DE:Germany'): the label decides
    when given, else the code."""
    text = text.strip()
    if _CODE.fullmatch(text):
        return eurostat_geo(text)
    both = re.fullmatch(r"([A-Z]{2}[A-Z0-9_]*)\s*(?:-|:|\|)\s*(.+)", text)
    if both and _CODE.fullmatch(both.group(1)):
        return comext_code(both.group(2))
    return comext_code(text)


def eurostat_geo(code: str) -> str:
    """Eurostat SDMX geo code ('LU', 'EL', 'EU27_2020') -> ISO alpha-3 or an AGG- code."""
    if code in SDMX_GEO:
        return SDMX_GEO[code]
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        raise UnknownName(f"no country for Eurostat geo code {code!r}")
    return country.alpha_3


def is_aggregate(code: str) -> bool:
    return code.startswith("AGG-") or code == "WLD"
