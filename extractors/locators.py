"""Read back the text at a locator in stored bytes, so `explain` can show what was read.

Locator forms (the scheme before the first colon):
- ``json:/data/1/individuals``   RFC 6901 JSON pointer
- ``cell:Sheet name!B13``        one spreadsheet cell (xls or xlsx)
- ``cell:Sheet name!O12:Z200|B=Kazakhstan``  a range of cells (rows, then columns), optionally only
  the rows whose column B reads "Kazakhstan"; reads back as the cells' texts joined by " + "
- ``csv:row=12;col=Killed``      1-based physical line of a CSV file and a column header
- ``text:1200-1310``             character span of the decoded document text
- ``xpath:/export/entity[@id='13']``  an XML element (entities and network off), or the value of
  an XPath expression such as ``count(...)`` (a whole number is given without ".0")
- ``sum:cell:S!G3 + cell:S!G4``  a derived figure: the locators of the values it adds up, joined by
  " + "; reads back as their texts joined the same way ("121000.0 + 68000.0")
"""

from __future__ import annotations

import csv
import io
import json
import re

from lxml import etree


class LocatorError(ValueError):
    pass


def resolve(content: bytes, locator: str) -> str:
    scheme, _, rest = locator.partition(":")
    resolver = _RESOLVERS.get(scheme)
    if resolver is None:
        raise LocatorError(f"unknown locator scheme in {locator!r}")
    return resolver(content, rest)


def _json(content: bytes, path: str) -> str:
    node = json.loads(content.decode("utf-8"))
    for part in path.lstrip("/").split("/") if path.strip("/") else []:
        key = part.replace("~1", "/").replace("~0", "~")
        node = node[int(key)] if isinstance(node, list) else node[key]
    return node if isinstance(node, str) else json.dumps(node, ensure_ascii=False)


def split_cell(ref: str) -> tuple[str, int, int]:
    """'Sheet!B13' -> (sheet, row index 0-based, column index 0-based)."""
    sheet, _, cell = ref.rpartition("!")
    match = re.fullmatch(r"([A-Z]+)(\d+)", cell)
    if not sheet or not match:
        raise LocatorError(f"not a cell reference: {ref!r}")
    col = 0
    for ch in match.group(1):
        col = col * 26 + ord(ch) - 64
    return sheet, int(match.group(2)) - 1, col - 1


def cell_name(row: int, col: int) -> str:
    """0-based (row, col) -> 'B13'."""
    letters, col = "", col + 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row + 1}"


def split_range(ref: str) -> tuple[str, tuple[int, int], tuple[int, int], tuple[int, str] | None]:
    """'S!O12:Z200|B=Kazakhstan' -> (sheet, (first row, last row), (first col, last col), (col, label));
    a single cell is a range of one; indexes 0-based."""
    ref, _, where = ref.partition("|")
    sheet, _, cells = ref.rpartition("!")
    first, _, last = cells.partition(":")
    _, r0, c0 = split_cell(f"{sheet}!{first}")
    _, r1, c1 = split_cell(f"{sheet}!{last or first}")
    filter_ = None
    if where:
        column, _, label = where.partition("=")
        filter_ = (split_cell(f"{sheet}!{column}1")[2], label)
    return sheet, (r0, r1), (c0, c1), filter_


def _cell(content: bytes, ref: str) -> str:
    from python_calamine import CalamineWorkbook

    sheet, (r0, r1), (c0, c1), where = split_range(ref)
    rows = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_name(sheet).to_python(
        skip_empty_area=False)
    try:
        chosen = [rows[r] for r in range(r0, r1 + 1) if where is None or str(rows[r][where[0]]) == where[1]]
        return SUM_SEPARATOR.join(str(row[c]) for row in chosen for c in range(c0, c1 + 1))
    except IndexError:
        raise LocatorError(f"cell {ref} is outside the sheet") from None


def _csv(content: bytes, spec: str) -> str:
    fields = dict(part.split("=", 1) for part in spec.split(";"))
    lines = content.decode("utf-8-sig").splitlines()
    line = int(fields["row"])
    if "col" not in fields:
        return lines[line - 1]
    header = next(csv.reader([lines[int(fields.get("header", 1)) - 1]]))
    values = next(csv.reader([lines[line - 1]]))
    return values[header.index(fields["col"])]


def _text(content: bytes, span: str) -> str:
    start, end = (int(x) for x in span.split("-"))
    return content.decode("utf-8", errors="replace")[start:end]


def _xpath(content: bytes, path: str) -> str:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    root = etree.fromstring(content, parser)
    found = root.xpath(path, namespaces={k or "d": v for k, v in root.nsmap.items()})
    if isinstance(found, float):
        return str(int(found)) if found.is_integer() else str(found)
    if isinstance(found, (bool, str)):
        return str(found)
    if not found:
        raise LocatorError(f"nothing at {path}")
    node = found[0]
    return node if isinstance(node, str) else etree.tostring(node, encoding="unicode")[:2000]


SUM_SEPARATOR = " + "


def sum_parts(spec: str) -> list[str]:
    """The locators a ``sum:`` locator (without its scheme) adds up."""
    return spec.split(SUM_SEPARATOR)


def _sum(content: bytes, spec: str) -> str:
    return SUM_SEPARATOR.join(resolve(content, part) for part in sum_parts(spec))


_RESOLVERS = {"json": _json, "cell": _cell, "csv": _csv, "text": _text, "xpath": _xpath, "sum": _sum}
