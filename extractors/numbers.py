"""Numbers as publishers write them: "8 836", "8,836", "8.836", "1.2 million", "8 836 тыс.", "n/a".

Whether "." or "," is the decimal mark depends on the publisher, so the caller says which.
A missing marker gives None (never 0); anything else that is not a number raises ValueError.
"""

from __future__ import annotations

import re

MISSING = {"", "n/a", "na", "n.a.", "-", "–", "—", "..", "...", "x", "нет данных", "-*"}
SCALES = {
    "thousand": 1e3, "thousands": 1e3, "тыс": 1e3, "тыс.": 1e3, "k": 1e3,
    "million": 1e6, "millions": 1e6, "mln": 1e6, "млн": 1e6, "млн.": 1e6, "m": 1e6,
    "billion": 1e9, "bn": 1e9, "млрд": 1e9, "млрд.": 1e9,
}
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']+")


def parse_number(text: object, decimal: str = ".") -> float | None:
    if text is None:
        return None
    if isinstance(text, bool):
        raise ValueError(f"not a number: {text!r}")
    if isinstance(text, (int, float)):
        return float(text)
    raw = str(text).strip()
    if raw.lower() in MISSING:
        return None
    body, scale = _split_scale(raw)
    body = _SPACES.sub("", body)
    thousands = "," if decimal == "." else "."
    if not re.fullmatch(rf"[-+]?\d{{1,3}}(\{thousands}\d{{3}})*(\{decimal}\d+)?|[-+]?\d+(\{decimal}\d+)?", body):
        raise ValueError(f"not a number: {text!r}")
    return float(body.replace(thousands, "").replace(decimal, ".")) * scale


def _split_scale(raw: str) -> tuple[str, float]:
    parts = raw.rsplit(None, 1)
    if len(parts) == 2 and parts[1].lower() in SCALES:
        return parts[0], SCALES[parts[1].lower()]
    return raw, 1.0
