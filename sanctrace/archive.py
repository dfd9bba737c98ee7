"""A live run becomes a replay archive: the warehouse's fetches and stored snapshots written out as
``<dir>/<source>/manifest.json`` plus one file per document, named by its sha256.

The manifest has the format of ``replay/<source>/manifest.json`` (``url``, ``file``, ``content_type``:
what the replay client reads), and per entry what was fetched: the request, the sha256, the HTTP status,
the stored response headers and the fetch time. One entry per request URL: the newest successful fetch
of it in the selection (a replay archive answers each request one way). Failed fetches are left out;
a 304 stands for the snapshot it reused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Any, Iterable

from sqlalchemy import Engine, select

from extractors.snapshots import SnapshotStore
from warehouse.models import Fetch, Snapshot

MANIFEST = "manifest.json"


@dataclass
class Exported:
    """What an export wrote, per source: the number of manifest entries and of files."""

    entries: dict[str, int] = field(default_factory=dict)
    files: dict[str, int] = field(default_factory=dict)


def export(engine: Engine, store: SnapshotStore, target: Path, run: str | None = None,
           since: date | datetime | None = None, sources: Iterable[str] = ()) -> Exported:
    """Write the selected fetches (all, one flow run's, or those since a date; of some sources or all)."""
    rows = newest_fetches(engine, run, since, tuple(sources))
    by_source: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_source.setdefault(row["source_id"], []).append(row)
    done = Exported()
    for source_id, chosen in sorted(by_source.items()):
        folder = Path(target) / source_id
        folder.mkdir(parents=True, exist_ok=True)
        for sha in {r["sha256"] for r in chosen}:
            _write_file(folder / sha, store.get(sha))  # store.get checks the bytes against their name
        entries = _merge(folder / MANIFEST, [entry(r) for r in chosen])
        _write_file(folder / MANIFEST, (json.dumps({"source": source_id, "entries": entries}, indent=2,
                                                   ensure_ascii=False) + "\n").encode("utf-8"))
        done.entries[source_id] = len(chosen)
        done.files[source_id] = len({r["sha256"] for r in chosen})
    return done


def newest_fetches(engine: Engine, run: str | None, since: date | datetime | None,
                   sources: tuple[str, ...]) -> list[dict[str, Any]]:
    """Per (source, URL), the newest successful fetch in the selection, with its snapshot's metadata."""
    query = (select(Fetch.id, Fetch.source_id, Fetch.url, Fetch.fetched_at, Fetch.sha256, Fetch.flow_run_id,
                    Snapshot.content_type, Snapshot.http_status, Snapshot.headers, Snapshot.etag,
                    Snapshot.last_modified)
             .join(Snapshot, Snapshot.sha256 == Fetch.sha256)
             .where(Fetch.sha256.is_not(None), Fetch.error.is_(None))
             .order_by(Fetch.fetched_at, Fetch.id))
    if run is not None:
        query = query.where(Fetch.flow_run_id == run)
    if since is not None:
        query = query.where(Fetch.fetched_at >= _moment(since))
    if sources:
        query = query.where(Fetch.source_id.in_(sources))
    with engine.connect() as conn:
        newest = {(r["source_id"], r["url"]): dict(r) for r in conn.execute(query).mappings()}
    return list(newest.values())


def entry(row: dict[str, Any]) -> dict[str, Any]:
    """A manifest entry: what the replay client reads, then what was fetched."""
    fetched = row["fetched_at"]
    return {
        "url": row["url"],
        "file": row["sha256"],
        "content_type": row["content_type"] or "",
        "sha256": row["sha256"],
        "request": {"method": "GET", "url": row["url"]},
        "http_status": row["http_status"],
        "headers": json.loads(row["headers"] or "{}"),
        "fetched_at": fetched.isoformat() if isinstance(fetched, datetime) else str(fetched),
        "flow_run_id": row["flow_run_id"],
    }


def _moment(since: date | datetime) -> datetime:
    """An aware time, as the fetch table's type requires (a date or a time without a zone is taken as UTC)."""
    if isinstance(since, datetime):
        return since if since.tzinfo else since.replace(tzinfo=timezone.utc)
    return datetime.combine(since, time.min, tzinfo=timezone.utc)


def _merge(manifest: Path, new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An archive exported into again keeps its other requests; a request exported again is replaced."""
    old = json.loads(manifest.read_text("utf-8"))["entries"] if manifest.exists() else []
    urls = {e["url"] for e in new}
    return [e for e in old if e["url"] not in urls] + sorted(new, key=lambda e: e["url"])


def _write_file(path: Path, content: bytes) -> None:
    """Whole or not at all: a reader never sees half a manifest or half a document."""
    tmp = path.with_name(f".{path.name}.partial")
    tmp.write_bytes(content)
    tmp.replace(path)
