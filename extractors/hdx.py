"""HDX (Humanitarian Data Exchange) CKAN metadata: a dataset's resources, for discovery in ``fetch``.

``package_show`` answers ``{"help": ..., "success": true, "result": {...}}``; HDX's Python library
stores only the ``result`` object (the recorded copy is one), so both forms are accepted.
"""

from __future__ import annotations

from dataclasses import dataclass

from extractors.base import Document, LayoutChanged
from extractors.jsonutil import load_json, need

PACKAGE_SHOW = "https://data.humdata.org/api/3/action/package_show"


@dataclass(frozen=True)
class Resource:
    id: str
    name: str
    url: str
    last_modified: str
    format: str
    locator: str  # JSON pointer of the resource in the metadata document


def is_package(body: object) -> bool:
    inner = body.get("result", body) if isinstance(body, dict) else None
    return isinstance(inner, dict) and isinstance(inner.get("resources"), list)


def resources(doc: Document) -> list[Resource]:
    """The dataset's resources in the order HDX lists them; a missing field raises LayoutChanged."""
    body = load_json(doc)
    prefix: tuple = ()
    if isinstance(body, dict) and "result" in body:
        if body.get("success") is False:
            raise LayoutChanged(doc.source_id, doc.url, f"HDX answered success=false: {body.get('error')}")
        body, prefix = body["result"], ("result",)
    found = need(doc, body, "resources", prefix, list)
    out = []
    for i, res in enumerate(found):
        path = (*prefix, "resources", i)
        out.append(Resource(
            id=need(doc, res, "id", path, str), name=need(doc, res, "name", path, str),
            url=need(doc, res, "url", path, str),
            last_modified=str(res.get("last_modified") or res.get("metadata_modified") or ""),
            format=str(res.get("format") or ""),
            locator="json:/" + "/".join(str(p) for p in path),
        ))
    return out
