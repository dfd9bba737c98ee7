"""Checks every document passes before any parser sees it: hostile input fails here, loudly.

- a zip container (xlsx) whose members unpack to far more than the bytes received (a zip bomb);
- XML that declares entities in a DTD (billion laughs, external entities): no real source does.
"""

from __future__ import annotations

import io
import re
import zipfile
from types import ModuleType

from extractors.base import Document, LayoutChanged, Parsed

MAX_UNPACKED_BYTES = 1024 * 1024 * 1024
MAX_RATIO = 200
_DTD_ENTITY = re.compile(rb"<!DOCTYPE[^>\[]*\[[^\]]*<!ENTITY", re.IGNORECASE | re.DOTALL)


def check(doc: Document) -> None:
    head = doc.content[:4]
    if head == b"PK\x03\x04":
        _check_zip(doc)
    if _DTD_ENTITY.search(doc.content[:65536]):
        raise LayoutChanged(doc.source_id, doc.url, "XML declares entities in a DTD: refused (entity expansion)")


def _check_zip(doc: Document) -> None:
    try:
        members = zipfile.ZipFile(io.BytesIO(doc.content)).infolist()
    except zipfile.BadZipFile as exc:
        raise LayoutChanged(doc.source_id, doc.url, f"corrupt zip/xlsx container: {exc}") from None
    unpacked = sum(m.file_size for m in members)
    if unpacked > MAX_UNPACKED_BYTES or unpacked > MAX_RATIO * max(len(doc.content), 1):
        raise LayoutChanged(doc.source_id, doc.url,
                            f"zip/xlsx unpacks to {unpacked} bytes from {len(doc.content)}: refused as a zip bomb")


def safe_parse(module: ModuleType, doc: Document) -> Parsed:
    check(doc)
    return module.parse(doc)
