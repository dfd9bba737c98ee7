"""Names Comext writes for the EU member states, shared by the parser (which must know when a
workbook's reporters are exactly the 27, to derive an EU total) and transforms/codes_eurostat.py."""

from __future__ import annotations

# The 27 member states as Comext names them (before any note in brackets).
MEMBER_STATES = {
    "Austria": "AUT", "Belgium": "BEL", "Bulgaria": "BGR", "Croatia": "HRV", "Cyprus": "CYP",
    "Czechia": "CZE", "Denmark": "DNK", "Estonia": "EST", "Finland": "FIN", "France": "FRA",
    "Germany": "DEU", "Greece": "GRC", "Hungary": "HUN", "Ireland": "IRL", "Italy": "ITA",
    "Latvia": "LVA", "Lithuania": "LTU", "Luxembourg": "LUX", "Malta": "MLT", "Netherlands": "NLD",
    "Poland": "POL", "Portugal": "PRT", "Romania": "ROU", "Slovakia": "SVK", "Slovenia": "SVN",
    "Spain": "ESP", "Sweden": "SWE",
}
# Eurostat's two-letter codes of the member states (ISO alpha-2 except EL for Greece).
MEMBER_CODES = {
    "AT": "Austria", "BE": "Belgium", "BG": "Bulgaria", "HR": "Croatia", "CY": "Cyprus", "CZ": "Czechia",
    "DK": "Denmark", "EE": "Estonia", "FI": "Finland", "FR": "France", "DE": "Germany", "EL": "Greece",
    "HU": "Hungary", "IE": "Ireland", "IT": "Italy", "LV": "Latvia", "LT": "Lithuania", "LU": "Luxembourg",
    "MT": "Malta", "NL": "Netherlands", "PL": "Poland", "PT": "Portugal", "RO": "Romania", "SK": "Slovakia",
    "SI": "Slovenia", "ES": "Spain", "SE": "Sweden",
}
# The label a derived sum of the 27 member states' rows carries; codes_eurostat maps it to AGG-EU27_2020.
EU27_SUM = "European Union - 27 countries (sum of the member states' rows)"


def head(label: str) -> str:
    """'Germany (incl. German Democratic Republic ...)' -> 'Germany'."""
    return label.split(" (", 1)[0].strip()


def member_name(label: str) -> str | None:
    """The member state a reporter label or code names ('Germany (incl. ...)', 'DE' -> 'Germany'), else None."""
    name = head(label)
    return name if name in MEMBER_STATES else MEMBER_CODES.get(label.strip())
