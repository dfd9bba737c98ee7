"""Helpers for the UN source tests: the recorded documents, and the project's ReplayClient on them.

``ReplayClient(source_id)`` wraps ``extractors.client.ReplayClient`` (so the host allowlist and the
exact-URL lookup are the real ones) with a throwaway snapshot store, and lists what was requested.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from extractors import client, registry
from extractors.base import Document
from extractors.snapshots import SnapshotStore

REPLAY = Path(__file__).resolve().parent.parent / "replay"


def read(source_id: str, name: str) -> bytes:
    return (REPLAY / source_id / name).read_bytes()


def url_of(source_id: str, name: str) -> str:
    manifest = json.loads((REPLAY / source_id / "manifest.json").read_text())
    return next(e["url"] for e in manifest["entries"] if e["file"] == name)


class ReplayClient:
    def __init__(self, source_id: str):
        self.requested: list[str] = []
        self._store_dir = tempfile.TemporaryDirectory()
        self._client = client.ReplayClient(registry.get(source_id).SOURCE, REPLAY,
                                           SnapshotStore(self._store_dir.name),
                                           lambda rec: self.requested.append(rec.url))

    def get(self, url: str, params: dict[str, str] | None = None,
            headers: dict[str, str] | None = None) -> Document:
        return self._client.get(url, params, headers)

    def has(self, url: str, params: dict[str, str] | None = None) -> bool:
        return self._client.has(url, params)
