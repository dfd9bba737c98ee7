"""The tables an IOM DTM IDP-estimate workbook holds, recognised by their headers and HXL tags.

- oblast table (rounds 13, 14): a header row, then an HXL row (``#adm1+name``, ``#affected+idp+ind``,
  ``#affected+returnees+ind``, and in round 14 ``#meta+round``, ``#date+reported``, ``#adm1+code``);
  round 13 also has untagged columns for the population present and the non-displaced residents.
- macro-region table (rounds 4, 13): a "Macro-region" (or "Marco-region" [sic]) column and a
  "# est. ..." count column; the sheet name and headers say current location or origin.
- top-oblast share table (round 14): "Top 5 ... oblasts" and "% of IDPs".
The "Macro-regions_Oblasts" sheet lists which oblast is in which macro-region: it yields no figures,
but must agree with ``MACRO_MEMBERS`` (which ``check`` uses to add oblasts up to macro-regions).

Geo conventions (the transform ``transforms/codes_ua.py`` reads them): an oblast as written, with
the footnote marker stripped (kept in ``flags`` as ``footnote=*``) and, where the row gives a pcode,
``"UA12|Dnipropetrovska"``; a macro-region ``"macro-region|West"`` (the city of Kyiv is both an
oblast-level row and a macro-region, and must stay two series).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from extractors.base import Document, LayoutChanged
from extractors.numbers import MISSING, parse_number
from extractors.locators import cell_name
from extractors.sheets import Rows, at, cell_locator, find_row, strip_footnote, text

PERSONS, SHARE = "persons", "fraction of IDPs"
TAGGED = {"#affected+idp+ind": ("idps", "idp"), "#affected+returnees+ind": ("returnees", "returnee")}
UNTAGGED = ((re.compile(r"non-?\s*displaced", re.I), "non_displaced_residents"),
            (re.compile(r"^estimated max\. population present$", re.I), "population_present"))
_MACRO = re.compile(r"^(macro|marco)[- ]?region$", re.I)
_COUNT = re.compile(r"^#\s*est\b", re.I)
_TOP = re.compile(r"^top \d+ .*oblasts", re.I)
_SHARE = re.compile(r"^%\s*of\s+idps$", re.I)

# As the publisher's "Macro-regions_Oblasts" sheet (rounds 4 and 13) groups the oblasts.
MACRO_MEMBERS = {
    "east": {"Dnipropetrovska", "Donetska", "Zaporizka", "Luhanska", "Kharkivska"},
    "south": {"Mykolaivska", "Odeska", "Khersonska"},
    "west": {"Ivano-Frankivska", "Volynska", "Zakarpatska", "Lvivska", "Rivnenska", "Ternopilska",
             "Chernivetska", "Khmelnytska"},
    "north": {"Zhytomyrska", "Kyivska", "Sumska", "Chernihivska"},
    "centre": {"Vinnytska", "Kirovohradska", "Poltavska", "Cherkaska"},
    "kyiv": {"Kyiv"},
}


def macro_key(name: str) -> str:
    """'Center', 'Central', 'CENTER', 'Centre' -> 'centre'; other macro-region names lower-cased."""
    key = name.strip().lower()
    return "centre" if key in ("center", "central", "centre") else key


@dataclass(frozen=True)
class Figure:
    indicator: str
    geo: str
    value: float | None
    raw: str
    locator: str
    unit: str = PERSONS
    flags: tuple[str, ...] = ()
    day: date | None = None  # only where the row itself states its date
    round: int | None = None


def _tag(value: object) -> str:
    return re.sub(r"\s+", "", text(value)).lower()


def _number(doc: Document, value: object, where: str) -> float | None:
    try:
        return parse_number(value)
    except ValueError:
        raise LayoutChanged(doc.source_id, doc.url, f"{where} holds {value!r}, not a number") from None


def _label(value: object) -> tuple[str, tuple[str, ...]]:
    name, marker = strip_footnote(text(value))
    return name, ((f"footnote={marker}",) if marker else ())


def oblast_table(doc: Document, sheet: str, rows: Rows, unread: list[str]) -> list[Figure] | None:
    """The HXL-tagged oblast table; columns it holds but does not read are appended to ``unread``."""
    hxl = find_row(rows, lambda cells: "#adm1+name" in [_tag(c) for c in cells])
    if hxl is None:
        return None
    tags = {_tag(v): j for j, v in enumerate(rows[hxl]) if _tag(v).startswith("#")}
    head = [text(v) for v in rows[hxl - 1]] if hxl else []
    columns = {}
    for tag, (indicator, word) in TAGGED.items():
        j = tags.get(tag)
        if j is not None:
            title = head[j] if j < len(head) else ""
            if word not in title.lower():
                raise LayoutChanged(doc.source_id, doc.url, f"{sheet!r}: column {tag} is headed "
                                    f"{title!r}, which does not say {word!r}")
            columns[indicator] = j
    if "idps" not in columns:
        raise LayoutChanged(doc.source_id, doc.url, f"{sheet!r} has HXL tags {sorted(tags)} "
                            f"but no #affected+idp+ind column; headers {head}")
    for j, title in enumerate(head):
        for pattern, indicator in UNTAGGED:
            if title and not _tag(at(rows, hxl, j)) and pattern.search(title):
                columns[indicator] = j
    name_col, out = tags["#adm1+name"], []
    for i in range(hxl + 1, len(rows)):
        name, flags = _label(at(rows, i, name_col))
        if not name:
            break
        pcode = text(at(rows, i, tags["#adm1+code"])) if "#adm1+code" in tags else ""
        geo = f"{pcode}|{name}" if pcode.lower() not in MISSING else name
        day = _row_date(doc, sheet, rows, i, tags.get("#date+reported"))
        number = _row_round(doc, sheet, rows, i, tags.get("#meta+round"))
        for indicator, j in columns.items():
            where = cell_locator(sheet, i, j)
            raw = at(rows, i, j)
            out.append(Figure(indicator, geo, _number(doc, raw, where), str(raw), where,
                              flags=flags, day=day, round=number))
    read = {*columns.values(), *(tags[t] for t in ("#adm1+name", "#adm1+code", "#date+reported", "#meta+round")
                                 if t in tags)}
    unread += unread_columns(sheet, rows, max(hxl - 1, 0), hxl + 1 + len(out), read)
    return out


def unread_columns(sheet: str, rows: Rows, first: int, last: int, read: set[int]) -> list[str]:
    """Columns of rows first..last-1 that hold text no figure or label was read from (e.g. the
    percentage beside a count, a constant country name, footnotes), named by letter and first text."""
    width = max((len(row) for row in rows[first:last]), default=0)
    found = []
    for j in sorted(set(range(width)) - read):
        shown = next((t for t in (text(at(rows, i, j)) for i in range(first, last)) if t), "")
        if shown:
            found.append(f"{sheet}!{cell_name(0, j)[:-1]} {shown[:60]!r}")
    return found


def _row_date(doc: Document, sheet: str, rows: Rows, i: int, j: int | None) -> date | None:
    if j is None:
        return None
    value = at(rows, i, j)
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(text(value)[:10])
    except ValueError:
        raise LayoutChanged(doc.source_id, doc.url,
                            f"{cell_locator(sheet, i, j)[5:]} holds {value!r}, not a date") from None


def _row_round(doc: Document, sheet: str, rows: Rows, i: int, j: int | None) -> int | None:
    if j is None:
        return None
    value = _number(doc, at(rows, i, j), cell_locator(sheet, i, j))
    return int(value) if value is not None else None


def region_table(doc: Document, sheet: str, rows: Rows, unread: list[str]) -> list[Figure] | None:
    """A macro-region count table or a top-oblast share table; None if the sheet is neither. Columns
    it holds but does not read are appended to ``unread``."""
    top = find_row(rows, lambda cells: any(_MACRO.match(c) or _TOP.match(c) for c in cells))
    if top is None:
        return None
    head = [text(v) for v in rows[top]]
    label = next(j for j, c in enumerate(head) if _MACRO.match(c) or _TOP.match(c))
    share = bool(_TOP.match(head[label]))
    values = [j for j, c in enumerate(head) if (_SHARE if share else _COUNT).match(c)]
    if not values and not share and "oblast" in [c.lower() for c in head]:
        _check_members(doc, sheet, rows, top, label, [c.lower() for c in head].index("oblast"))
        return []  # the macro-region -> oblast membership list: no figures
    if len(values) != 1:
        raise LayoutChanged(doc.source_id, doc.url, f"{sheet!r}: expected one "
                            f"{'% of IDPs' if share else '# est.'} column beside {head[label]!r}; headers {head}")
    words = " ".join([sheet] + [text(v) for row in rows[: top + 1] for v in row]).lower()
    origin = "origin" in words or "departed" in words
    current = any(w in words for w in ("location", "presence", "hosting"))
    if origin == current:
        raise LayoutChanged(doc.source_id, doc.url, f"{sheet!r}: cannot tell current location from "
                            f"origin in {sheet!r} / {head}")
    indicator = ("idps_by_origin" if origin else "idps") + ("_share" if share else "")
    out = []
    for i in range(top + 1, len(rows)):
        name, flags = _label(at(rows, i, label))
        if not name:
            break
        where, raw = cell_locator(sheet, i, values[0]), at(rows, i, values[0])
        geo = name if share else f"macro-region|{name}"
        out.append(Figure(indicator, geo, _number(doc, raw, where), str(raw), where,
                          SHARE if share else PERSONS, flags))
    unread += unread_columns(sheet, rows, top, top + 1 + len(out), {label, values[0]})
    return out


def _check_members(doc: Document, sheet: str, rows: Rows, top: int, region: int, oblast: int) -> None:
    """The membership list must say what MACRO_MEMBERS says; "The city of Kyiv" is macro-region Kyiv."""
    found: dict[str, set[str]] = {}
    for i in range(top + 1, len(rows)):
        name, member = text(at(rows, i, region)), text(at(rows, i, oblast))
        if not name:
            break
        if not member and name.lower() == "the city of kyiv":
            name, member = "Kyiv", "Kyiv"
        found.setdefault(macro_key(name), set()).add(re.sub(r"\s+oblast$", "", member, flags=re.IGNORECASE))
    if found != MACRO_MEMBERS:
        raise LayoutChanged(doc.source_id, doc.url, f"{sheet!r}: macro-region membership changed: {found}")
