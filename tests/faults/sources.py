"""Every registered source with recorded documents, served by the fault server as if it were live.

Generic over ``extractors.registry`` and each ``replay/<source>/manifest.json``: a source merged with
a recording joins the fault matrix without changes here.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from extractors import registry
from extractors.client import load_manifest
from sanctrace import pipeline, runs
from sanctrace.settings import PROJECT_ROOT, Settings
from tests.faults.server import FaultServer

REPLAY = PROJECT_ROOT / "replay"


@dataclass(frozen=True)
class Recorded:
    source_id: str
    url: str  # as fetch() requests it (the manifest's key)
    body: bytes
    content_type: str

    @property
    def path(self) -> str:
        """What the server sees: path and query, no fragment."""
        parts = urlsplit(self.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")


def recorded_sources() -> list[str]:
    """Registered sources whose replay archive holds at least one document."""
    return sorted(s for s in registry.modules() if load_manifest(REPLAY / s, s))


def documents(source_id: str) -> list[Recorded]:
    entries = load_manifest(REPLAY / source_id, source_id)
    return [Recorded(source_id, url, e["path"].read_bytes(), e.get("content_type") or "application/octet-stream")
            for url, e in entries.items()]


def serve(server: FaultServer, source_id: str, faults: dict[str, list] | None = None) -> list[Recorded]:
    """Serve a source's recorded documents; ``faults`` maps a document URL to its fault queue."""
    docs = documents(source_id)
    for doc in docs:
        known = server.routes.get(doc.path)
        if known is not None and known.body != doc.body:
            raise ValueError(f"two recorded documents share the path {doc.path}")
        server.serve(doc.path, doc.body, doc.content_type, (faults or {}).get(doc.url))
    return docs


def live_settings(base: Settings, server: FaultServer, **kw) -> Settings:
    """``base`` fetching live, every source's hosts sent to the fault server, short timeouts and retries."""
    target = server.base.removeprefix("http://")
    hosts = {h: target for m in registry.modules().values() for h in m.SOURCE.hosts}
    values = dict(fetch_mode="live", host_map=hosts, private_hosts_allowed=["127.0.0.1"],
                  connect_timeout=2.0, read_timeout=2.0, min_host_interval=0.0, retry_total=2,
                  retry_backoff=0.01, retry_max_wait=2.0, max_response_bytes=4_000_000)
    values.update(kw)
    return base.model_copy(update=values)


def replay_params(source_id: str, archive: Path = REPLAY) -> dict | None:
    """Only what was recorded: a source whose live discovery lists more than was recorded says how to keep
    to it (``recorded_params``); else its ``replay_defaults``, as a replay run gets them. A run's parameters
    as a person would give them (runs.run_source checks them against the source's ``Params``)."""
    module = registry.get(source_id)
    hook = getattr(module, "recorded_params", None) or getattr(module, "replay_defaults", None)
    return hook(archive) if hook and getattr(module, "Params", None) else None


LIGHT_BYTES = 1_000_000


def heavy_downloads(source_id: str, params: dict | None) -> set[str]:
    """The recorded downloads over 1 MB a source reads by name (its ``downloads`` parameter, in its replay
    ``params``): Comext's CN8 workbook, 70,000 figures and 180,000 derivation links."""
    downloads = (params or {}).get("downloads") or []
    sizes = {url: e["path"].stat().st_size for url, e in load_manifest(REPLAY / source_id, source_id).items()}
    return {u for u in downloads if sizes.get(u, 0) > LIGHT_BYTES}


def light_params(source_id: str) -> dict | None:
    """replay_params less the heavy downloads. The fault matrix reloads a source in every cell; such a
    document has its own tests on both databases, and the matrix still covers the source."""
    params = replay_params(source_id)
    heavy = heavy_downloads(source_id, params)
    if heavy:
        params = {**params, "downloads": [u for u in params["downloads"] if u not in heavy]}
    return params


def light_archive(folder: Path) -> Path:
    """A copy of the replay archive less the heavy downloads (Comext's CN8 workbook: 70,000 figures, with
    tests of its own on both databases), for the tests that run every source end to end,
    several times over: concurrent runs, workers, the S3 store, the deployments. Every other source and
    document is there, byte for byte."""
    for source_dir in sorted(p for p in REPLAY.iterdir() if p.is_dir()):
        target = folder / source_dir.name
        shutil.copytree(source_dir, target)
        manifest = target / "manifest.json"
        if not manifest.exists():
            continue
        data = json.loads(manifest.read_text("utf-8"))
        registered = source_dir.name in registry.modules()
        dropped = heavy_downloads(source_dir.name, replay_params(source_dir.name)) if registered else set()
        heavy = [e for e in data["entries"] if e["url"] in dropped]
        for entry in heavy:
            (target / entry["file"]).unlink()
        data["entries"] = [e for e in data["entries"] if e not in heavy]
        manifest.write_text(json.dumps(data, indent=1, ensure_ascii=False), "utf-8")
    return folder


def plain_run(folder, archive: Path = REPLAY) -> Settings:
    """Every recorded source (of ``archive``) loaded once with ``runs.run_source`` into a SQLite warehouse of
    its own under ``folder``: the figures any number of concurrent runs must end with."""
    from warehouse.migrate import upgrade

    settings = Settings(warehouse_url=f"sqlite:///{folder}/w.db", snapshot_store=f"{folder}/s",
                        replay_archive=archive, fetch_mode="replay")
    upgrade(settings.warehouse_url)
    rt = pipeline.runtime(settings)
    pipeline.register_sources(rt)
    for source_id in recorded_sources():
        report = runs.run_source(rt, source_id, params=replay_params(source_id, archive=archive))
        assert report.ok, report.failures
    return settings
