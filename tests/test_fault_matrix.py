"""The fault matrix: every recorded source x every fault, fetched live from a real server on 127.0.0.1.

Each cell runs one source with its first document answered by the fault (later requests are clean).
It either recovers (the fault is transient and within the retry budget) and the warehouse holds
exactly the figures of a clean replay run, or the source fails alone with an error naming the
source, the URL and the fault, and the warehouse keeps exactly its previous figures (no version
added, none superseded). Sources join automatically from extractors.registry + replay manifests.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from extractors.snapshots import SnapshotStore
from sanctrace import pipeline, runs
from sanctrace.settings import PROJECT_ROOT
from tests.faults import sources
from tests.faults.layouts import changed_layout
from tests.faults.server import FaultServer
from tests.faults.state import figures, size
from tests.s3 import moto_s3  # noqa: F401 (a fixture: an S3 API on 127.0.0.1)

RECOVERS, FAILS = "recovers", "fails"
LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">'
          b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;">]><lolz>&lol3;</lolz>')


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * 20_000_000)
    return buffer.getvalue()


def always(*fault):
    return lambda doc: [fault] * 10  # more than any retry budget: the fault persists


# name: (fault queue for the source's first document, expected outcome, text the error must hold)
FAULTS = {
    "HTTP 500 once": (lambda d: [("status", 500)], RECOVERS, ""),
    "HTTP 502 once": (lambda d: [("status", 502)], RECOVERS, ""),
    "HTTP 503 twice": (lambda d: [("status", 503)] * 2, RECOVERS, ""),
    "HTTP 503 persisting": (always("status", 503), FAILS, "HTTP 503"),
    "429 + Retry-After": (lambda d: [("status", 429, {"Retry-After": "1"})], RECOVERS, ""),
    "stall past read timeout": (lambda d: [("stall", 1.0)], RECOVERS, ""),
    "stall persisting": (always("stall", 1.0), FAILS, "timed out"),
    "reset mid-body": (lambda d: [("reset",)], RECOVERS, ""),
    "short body": (lambda d: [("short",)], RECOVERS, ""),
    "corrupt gzip": (lambda d: [("bad_gzip",)], RECOVERS, ""),
    "Content-Type changed": (lambda d: [("content_type", "text/html; charset=utf-8")], RECOVERS, ""),
    "empty 200": (always("empty"), FAILS, "empty body"),
    "body over the cap": (always("huge", 8_000_000), FAILS, "over the cap"),
    "redirect off allowlist": (always("redirect", "http://attacker.example/x"), FAILS, "allowlist"),
    "changed layout": (lambda d: [("body", changed_layout(d.body))] * 10, FAILS, "layout changed"),
    "billion laughs": (always("body", LAUGHS), FAILS, "entities"),
    "zip bomb": (always("body", _zip_bomb()), FAILS, "zip bomb"),
}
MATRIX: dict[tuple[str, str], dict[str, str]] = {}
S3_SOURCE = "unhcr-ukraine-refugees"  # the S3 row: one source, every fault


@pytest.fixture
def server():
    srv = FaultServer().start()
    srv.etags = False  # every clean answer a full 200: a forced re-run re-reads and re-parses the bytes
    yield srv
    srv.stop()


@pytest.fixture(scope="module", autouse=True)
def matrix_table(request):
    yield
    if MATRIX:
        table = render(MATRIX)
        out = Path(PROJECT_ROOT / "data" / "reliability")
        out.mkdir(parents=True, exist_ok=True)
        (out / "fault-matrix.md").write_text(table + "\n")
        reporter = request.config.pluginmanager.get_plugin("terminalreporter")
        if reporter:
            reporter.write_line("\n" + table)


def render(matrix) -> str:
    backends = sorted({b for b, _ in matrix})
    lines = []
    for backend in backends:
        ids = sorted({s for b, s in matrix if b == backend})
        lines += [f"\n{backend}:", "| fault | " + " | ".join(ids) + " |", "|---|" + "---|" * len(ids)]
        for fault in FAULTS:
            cells = [matrix.get((backend, s), {}).get(fault, "not run") for s in ids]
            lines.append(f"| {fault} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# `make test` runs the quick cells: one source per kind of first document, on SQLite a JSON API, an XML
# list (whose parser the billion laughs test), an XLSX workbook (whose unpacking the zip bomb tests) and
# an HTML page, on PostgreSQL a CSV export; `make reliability` runs every source on both. The faults are
# met by the HTTP client, the same for every source, and the database's part, that a failed run adds
# nothing, is the same transaction for every source; each parser's refusal of a changed layout is tested
# for every recorded document below, in `make test`. (Every source on SQLite took 75 s of `make test`
# on a slow machine.)
QUICK = {"sqlite": ("unhcr-ukraine-refugees", "eu-fsf-consolidated", "kg-stat-trade", "eu-council-press"),
         "postgres": ("ohchr-casualties",)}
CELLS = [pytest.param(kind, source_id, id=f"{kind}-{source_id}",
                      marks=() if source_id in QUICK[kind] else pytest.mark.slow)
         for kind in ("sqlite", "postgres") for source_id in sources.recorded_sources()]


@pytest.mark.parametrize("warehouse_url, source_id", CELLS, indirect=["warehouse_url"])
def test_every_fault_on_every_source(source_id, rt, server):
    every_fault(rt, source_id, server, rt.engine.dialect.name)


# Once with the snapshots on an S3 API (moto on 127.0.0.1): the store under the fetcher changes, nothing is lost.
@pytest.mark.parametrize("warehouse_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.slow)],
                         indirect=True)
def test_every_fault_with_the_snapshots_on_s3(rt, server, moto_s3):  # noqa: F811
    store_url = moto_s3.bucket()
    s3_rt = pipeline.Runtime(rt.settings.model_copy(update={"snapshot_store": store_url}), rt.engine,
                             SnapshotStore(store_url))
    every_fault(s3_rt, S3_SOURCE, server, f"{rt.engine.dialect.name} + S3 store")
    assert s3_rt.store.names() and not s3_rt.store.local


def every_fault(rt, source_id: str, server, backend: str) -> None:
    """One row of the matrix: "nothing lost" is the warehouse equal to the clean run's after every fault."""
    params = sources.light_params(source_id)
    clean = runs.run_source(rt, source_id, mode="replay", force=True, params=params)
    assert clean.ok, clean.failures
    reference = figures(rt.engine)
    assert size(figures(rt.engine, source_id)) > 0, "a clean run must load figures"
    live = pipeline.Runtime(sources.live_settings(rt.settings, server, read_timeout=0.5), rt.engine, rt.store)
    row = MATRIX.setdefault((backend, source_id), {})
    for fault, (queue, expected, words) in FAULTS.items():
        server.routes.clear()
        first = sources.documents(source_id)[0]
        sources.serve(server, source_id, {first.url: queue(first)})
        report = runs.run_source(live, source_id, mode="live", force=True, params=params)
        assert figures(rt.engine) == reference, f"{fault}: the warehouse changed"
        if expected == RECOVERS:
            assert report.ok, f"{fault}: {report.failures}"
            row[fault] = f"recovered ({report.unchanged} same)"
            continue
        assert not report.ok, f"{fault}: a persisting fault must fail the source"
        error = report.failures[0]
        assert f"[{source_id}]" in error and first.url in error and words.lower() in error.lower(), f"{fault}: {error}"
        row[fault] = "failed: " + words
    assert rt.store.verify() == [], "every stored snapshot matches its hash"


@pytest.mark.parametrize("doc", [d for s in sources.recorded_sources() for d in sources.documents(s)],
                         ids=lambda d: f"{d.source_id}:{d.url[-40:]}")
def test_a_changed_layout_of_every_recorded_document_raises_layout_changed(doc):
    from extractors import registry
    from extractors.base import Document, LayoutChanged
    from extractors.guard import safe_parse

    changed = Document.from_bytes(doc.source_id, doc.url, changed_layout(doc.body))
    with pytest.raises(LayoutChanged, match=rf"\[{doc.source_id}\] layout changed in "):
        safe_parse(registry.get(doc.source_id), changed)


@pytest.mark.parametrize("warehouse_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.slow)],
                         indirect=True)
def test_a_failing_source_fails_alone_while_the_others_complete(rt):
    """All sources at once (threads, as collect_all runs families); each in turn gets a changed layout."""
    from concurrent.futures import ThreadPoolExecutor

    srv = FaultServer().start()
    ids = sources.recorded_sources()
    try:
        for broken in ids:
            srv.routes.clear()
            for source_id in ids:
                first = sources.documents(source_id)[0]
                faults = {first.url: [("body", changed_layout(first.body))] * 10} if source_id == broken else {}
                sources.serve(srv, source_id, faults)
            before = figures(rt.engine, broken)
            settings = sources.live_settings(rt.settings, srv)

            def run(source_id):
                live = pipeline.Runtime(settings, rt.engine, rt.store)
                return runs.run_source(live, source_id, mode="live", force=True, params=sources.light_params(source_id))

            with ThreadPoolExecutor(len(ids)) as pool:
                reports = dict(zip(ids, pool.map(run, ids)))
            assert "layout changed" in reports[broken].failures[0] and figures(rt.engine, broken) == before
            assert all(r.ok for s, r in reports.items() if s != broken), {s: r.failures for s, r in reports.items()}
        assert all(size(figures(rt.engine, s)) > 0 for s in ids)
    finally:
        srv.stop()
