"""A changed layout derived from a recorded document: the structure holding the figures renamed or removed.

One rule per document type, so a new source's recorded documents get a changed layout without code:
- JSON: every top-level key renamed (``data`` -> ``renamed_data``), the figures are no longer where
  the parser looks;
- CSV: every cell of the header rows (the first two lines) renamed;
- XLSX: every shared string (headers, labels, HXL tags) and every inline string of a sheet renamed,
  numbers kept;
- XLS (Excel 97): every Cyrillic label of four or more letters overwritten in place with as many
  letters "Х" (same length, so the file's records stay valid), numbers kept;
- HTML: the ``<main>`` element removed (the page's content area), else every ``<p>``;
- XML: the root's child elements renamed (``<sanctionEntity>`` -> ``<renamed_sanctionEntity>``).
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile

from lxml import etree


def kind(content: bytes) -> str:
    head = content.lstrip()[:200].lower()
    if content[:4] == b"PK\x03\x04":
        return "xlsx"
    if content[:8] == OLE2:
        return "xls"
    if head[:1] in (b"{", b"["):
        return "json"
    if head.startswith(b"<!doctype html") or b"<html" in head:
        return "html"
    if head.startswith(b"<"):
        return "xml"
    return "csv"


def changed_layout(content: bytes) -> bytes:
    changed = RULES[kind(content)](content)
    assert changed != content, "the layout rule changed nothing"
    return changed


def _json(content: bytes) -> bytes:
    body = json.loads(content)
    if isinstance(body, list):
        body = [{f"renamed_{k}": v for k, v in item.items()} if isinstance(item, dict) else item
                for item in body]
    else:
        body = {f"renamed_{k}": v for k, v in body.items()}
    return json.dumps(body).encode()


def _csv(content: bytes) -> bytes:
    text = content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    for row in rows[:2]:
        row[:] = [f"renamed column {i}" if cell.strip() else cell for i, cell in enumerate(row)]
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode()


def _xlsx(content: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/sharedStrings.xml" or item.filename.startswith("xl/worksheets/sheet"):
                count = iter(range(10**9))  # (a sheet's own strings: <is><t>..</t></is>, e.g. Eurostat's)
                data = re.sub(rb"(<t(?: [^>]*)?>)[^<]*(</t>)",
                              lambda m: m.group(1) + b"renamed %d" % next(count) + m.group(2), data)
            target.writestr(item, data)
    return out.getvalue()


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the compound-file signature of .xls workbooks
CYRILLIC_UTF16 = re.compile(rb"(?:[\x10-\x4f]\x04){4,}")  # U+0410..U+044F as BIFF8 stores text


def _xls(content: bytes) -> bytes:
    return CYRILLIC_UTF16.sub(lambda m: "Х".encode("utf-16-le") * (len(m.group()) // 2), content)


def _html(content: bytes) -> bytes:
    without = re.sub(rb"(?is)<main\b.*?</main>", b"", content)
    return without if without != content else re.sub(rb"(?is)<p\b.*?</p>", b"", content)


def _xml(content: bytes) -> bytes:
    root = etree.fromstring(content, etree.XMLParser(resolve_entities=False, no_network=True))
    for name in {etree.QName(child).localname for child in root if isinstance(child.tag, str)}:
        content = re.sub(rb"<(/?)((?:\w+:)?)" + name.encode() + rb"\b", rb"<\1\2renamed_" + name.encode(), content)
    return content


RULES = {"json": _json, "csv": _csv, "xlsx": _xlsx, "xls": _xls, "html": _html, "xml": _xml}
