"""CELEX numbers of EU acts: the pattern, the EUR-Lex page, and a regulation's CELEX from its number.

A CELEX number is sector + year + type + number, e.g. 32014R0833 (Regulation 833/2014), with
consolidated versions as 02014R0833-20241217 and corrigenda as 32014R0833R(01).
"""

from __future__ import annotations

import re

PATTERN = re.compile(r"[0-9CE][0-9]{4}[A-Z]{1,2}[0-9]{4}(?:-[0-9]{8})?(?:R\([0-9]{2}\))?")
IN_URL = re.compile(r"CELEX(?::|%3A)([0-9][0-9]{4}[A-Z]{1,2}[0-9]{4})")


def eurlex_url(celex: str) -> str:
    return f"https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:{celex}"


def regulation(number: str, published_year: int | None = None) -> str:
    """CELEX of a Regulation written "N/YYYY" (numbering until 2014) or "YYYY/N" (since 2015).

    When both readings are possible ("2016/1990"), the year that fits the publication year (same or
    previous year) decides; without one the answer is "" (unknown), never a guess.
    """
    found = re.match(r"\s*(\d+)/(\d+)\b", number)
    if not found:
        return ""
    n, y = found.groups()
    readings = [(int(y), int(n))] if len(y) == 4 and int(y) <= 2014 else []
    readings += [(int(n), int(y))] if len(n) == 4 and int(n) >= 2015 else []
    if len(readings) > 1 and published_year:
        readings = [(year, num) for year, num in readings if 0 <= published_year - year <= 1]
    if len(readings) != 1 or readings[0][1] >= 10000:
        return ""
    return f"3{readings[0][0]}R{readings[0][1]:04d}"
