"""A minimal offline client for the UN source tests: answers GETs from replay/<source>/manifest.json.

Only for tests of ``fetch`` in these modules (the project's real replay lives in extractors/);
a URL the manifest lacks raises FetchError naming it, as the real replay does.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode

from extractors.base import Document, FetchError

REPLAY = Path(__file__).resolve().parent.parent / "replay"


def read(source_id: str, name: str) -> bytes:
    return (REPLAY / source_id / name).read_bytes()


def url_of(source_id: str, name: str) -> str:
    manifest = json.loads((REPLAY / source_id / "manifest.json").read_text())
    return next(e["url"] for e in manifest["entries"] if e["file"] == name)


class ReplayClient:
    def __init__(self, source_id: str):
        self.source_id = source_id
        manifest = json.loads((REPLAY / source_id / "manifest.json").read_text())
        self.entries = {e["url"]: e for e in manifest["entries"]}
        self.requested: list[str] = []

    def get(self, url: str, params: dict[str, str] | None = None) -> Document:
        full = f"{url}?{urlencode(params)}" if params else url
        self.requested.append(full)
        entry = self.entries.get(full)
        if entry is None:
            raise FetchError(self.source_id, full, "not in the replay archive")
        return Document.from_bytes(self.source_id, full, read(self.source_id, entry["file"]),
                                   content_type=entry["content_type"])
