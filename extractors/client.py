"""The two ways a source's fetch() is answered: live over HTTP, or replayed from recorded documents.

Both store every body in the snapshot store and report each request through ``record``, so the
caller (the pipeline) writes the snapshot and fetch rows. Request headers (which may carry an API
key) are never reported or stored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable
from urllib.parse import urlencode

from extractors import guard
from extractors.base import Document, FetchError, SourceInfo
from extractors.http import HttpSession, check_host
from extractors.snapshots import SnapshotStore

STORED_HEADERS = ("Content-Type", "ETag", "Last-Modified", "Content-Length", "Date", "Content-Encoding",
                  "Cache-Control", "Age", "Expires")


@dataclass
class FetchRecord:
    source_id: str
    url: str
    mode: str
    fetched_at: datetime
    status: int | None = None
    sha256: str | None = None
    not_modified: bool = False
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    size: int = 0
    storage_uri: str = ""
    error: str | None = None


@dataclass(frozen=True)
class Previous:
    """What is known of the last successful fetch of a URL, for a conditional GET."""

    sha256: str
    etag: str | None
    last_modified: str | None


def full_url(url: str, params: dict[str, str] | None) -> str:
    return f"{url}?{urlencode(params)}" if params else url


def now() -> datetime:
    return datetime.now(timezone.utc)


class LiveClient:
    def __init__(self, source: SourceInfo, http: HttpSession, store: SnapshotStore,
                 previous: Callable[[str], Previous | None], record: Callable[[FetchRecord], None]):
        self.source, self.http, self.store = source, http, store
        self.previous, self.record = previous, record

    def get(self, url: str, params: dict[str, str] | None = None,
            headers: dict[str, str] | None = None) -> Document:
        url = full_url(url, params)
        known = self.previous(url)
        try:
            response = self.http.get(self.source.id, url, self.source.hosts, headers=headers,
                                     etag=known.etag if known else None,
                                     last_modified=known.last_modified if known else None)
        except FetchError as exc:
            self.record(FetchRecord(self.source.id, url, "live", now(), error=exc.cause))
            raise
        if response.not_modified and known:
            return self._reuse(url, known, response.headers)
        return self._keep(url, response.content, response.status, response.headers, "live")

    def has(self, url: str, params: dict[str, str] | None = None) -> bool:
        return True  # live: the publisher answers, or the GET fails loudly

    def _reuse(self, url: str, known: Previous, headers: dict[str, str]) -> Document:
        content = self.store.get(known.sha256)
        self.record(FetchRecord(self.source.id, url, "live", now(), 304, known.sha256, True,
                                headers=_kept(headers), size=len(content)))
        return Document(self.source.id, url, content, known.sha256, headers.get("Content-Type", ""),
                        now(), 304, _kept(headers), not_modified=True)

    def _keep(self, url: str, content: bytes, status: int, headers: dict[str, str], mode: str) -> Document:
        sha, uri = self.store.put(content)
        kept = _kept(headers)
        fetched = now()
        self.record(FetchRecord(
            self.source.id, url, mode, fetched, status, sha, False, kept.get("Content-Type", ""),
            kept.get("ETag"), kept.get("Last-Modified"), kept, len(content), uri))
        doc = Document(self.source.id, url, content, sha, kept.get("Content-Type", ""), fetched, status, kept)
        # Before fetch() reads it (e.g. a discovery document): hostile bytes fail here, kept as evidence.
        guard.check(doc)
        return doc


def _kept(headers: dict[str, str]) -> dict[str, str]:
    lower = {k.lower(): v for k, v in headers.items()}
    return {name: lower[name.lower()] for name in STORED_HEADERS if name.lower() in lower}


class ReplayClient(LiveClient):
    """Answers from ``<archive>/<source id>/manifest.json``; an unknown request is an error, never empty."""

    def __init__(self, source: SourceInfo, archive: Path, store: SnapshotStore,
                 record: Callable[[FetchRecord], None]):
        super().__init__(source, None, store, lambda _url: None, record)  # type: ignore[arg-type]
        self.folder = Path(archive) / source.id
        self.entries = load_manifest(self.folder, source.id)

    def get(self, url: str, params: dict[str, str] | None = None,
            headers: dict[str, str] | None = None) -> Document:
        url = full_url(url, params)
        check_host(self.source.id, url, self.source.hosts)
        entry = self.entries.get(url)
        if entry is None:
            error = f"not in the replay archive {self.folder}"
            self.record(FetchRecord(self.source.id, url, "replay", now(), error=error))
            raise FetchError(self.source.id, url, error)
        content = entry["path"].read_bytes()
        return self._keep(url, content, 200, {"Content-Type": entry.get("content_type", "")}, "replay")

    def has(self, url: str, params: dict[str, str] | None = None) -> bool:
        return full_url(url, params) in self.entries


def recorded_urls(archive: Path | str, source_id: str) -> list[str]:
    """The requests a replay archive recorded for a source, in its manifest's order (none without one):
    what a replay run names by default."""
    return list(load_manifest(Path(archive) / source_id, source_id))


def load_manifest(folder: Path, source_id: str) -> dict[str, dict]:
    manifest = folder / "manifest.json"
    if not manifest.exists():
        return {}
    entries = {}
    root = folder.resolve()
    for entry in json.loads(manifest.read_text("utf-8"))["entries"]:
        path = (folder / entry["file"]).resolve()
        if root not in path.parents:
            raise FetchError(source_id, entry.get("url", "?"),
                             f"replay manifest names a file outside its folder: {entry['file']!r}")
        entries[entry["url"]] = {**entry, "path": path}
    return entries
