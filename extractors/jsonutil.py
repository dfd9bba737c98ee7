"""Strict JSON reading for parsers: every expected key is checked, with a JSON-pointer locator."""

from __future__ import annotations

import json
from typing import Any

from extractors.base import Document, LayoutChanged


def load_json(doc: Document) -> Any:
    try:
        return json.loads(doc.content.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise LayoutChanged(doc.source_id, doc.url, f"not UTF-8 text: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise LayoutChanged(doc.source_id, doc.url, f"not JSON: {exc}") from exc


def pointer(*parts: str | int) -> str:
    """RFC 6901 JSON pointer for a path."""
    escaped = (str(p).replace("~", "~0").replace("/", "~1") for p in parts)
    return "json:/" + "/".join(escaped)


def need(doc: Document, obj: Any, key: str | int, path: tuple, kind: type | tuple = object) -> Any:
    """obj[key], or LayoutChanged naming the missing path."""
    try:
        value = obj[key]
    except (KeyError, IndexError, TypeError):
        raise LayoutChanged(doc.source_id, doc.url, f"missing {pointer(*path, key)[5:]}") from None
    if not isinstance(value, kind):
        raise LayoutChanged(
            doc.source_id, doc.url,
            f"{pointer(*path, key)[5:]} is {type(value).__name__}, expected {kind}",
        )
    return value
