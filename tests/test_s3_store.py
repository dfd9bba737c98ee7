"""Snapshots on an S3 API: a real one on 127.0.0.1 (moto in server mode), reached through s3fs.

`sanctrace run` with SANCTRACE_SNAPSHOT_STORE=s3://bucket/prefix and the standard AWS variables, as a worker
in production runs it: every document lands in the bucket once under its sha256, `explain` re-parses a
figure from the S3 copy, `SnapshotStore.verify` reads every object back; a store that cannot be reached
fails the run naming the store and loads nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from extractors.snapshots import SnapshotStore, StoreUnavailable
from sanctrace import pipeline, runs
from sanctrace.settings import PROJECT_ROOT
from tests.faults import sources
from tests.faults.state import duplicate_current, figures, size
from tests.s3 import MotoS3, moto_s3, unreachable_options  # noqa: F401 (moto_s3 is a fixture)


def sanctrace(*args: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    from prefect.settings import PREFECT_API_URL

    full = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), **env}
    return subprocess.run([sys.executable, "-m", "sanctrace.cli", *args], cwd=PROJECT_ROOT, env=full,
                          capture_output=True, text=True, timeout=timeout)


def store_env(warehouse_url: str, store_url: str, archive: Path = sources.REPLAY, **extra: str) -> dict[str, str]:
    return {"SANCTRACE_WAREHOUSE_URL": warehouse_url, "SANCTRACE_SNAPSHOT_STORE": store_url,
            "SANCTRACE_FETCH_MODE": "replay", "SANCTRACE_REPLAY_ARCHIVE": str(archive), **extra}


def snapshot_rows(rt) -> dict[str, str]:
    with rt.engine.connect() as conn:
        return dict(conn.execute(text("SELECT sha256, storage_uri FROM snapshot")).fetchall())


def record(rt, result: dict) -> None:
    out = PROJECT_ROOT / "data" / "reliability"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"s3-store-{rt.engine.dialect.name}.json").write_text(json.dumps(result, indent=1))


def a_current_figure(rt, source_id: str) -> int:
    with rt.engine.connect() as conn:
        return conn.execute(text("SELECT MIN(id) FROM observation WHERE source_id = :s AND superseded_at IS NULL"),
                            {"s": source_id}).scalar_one()


# One database in `make test` (SQLite: it runs on every clone); PostgreSQL in `make reliability`.
ONE_DATABASE = pytest.mark.parametrize(
    "warehouse_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.slow)], indirect=True)


@ONE_DATABASE
def test_a_replay_run_keeps_every_document_on_s3_once(prefect_harness, rt, moto_s3: MotoS3, light_replay):  # noqa: F811
    store_url = moto_s3.bucket()
    env = store_env(rt.settings.warehouse_url, store_url, light_replay)  # every source, the CN8 workbook aside
    run = sanctrace("run", env=env)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    stored = snapshot_rows(rt)
    bucket, _, prefix = store_url.removeprefix("s3://").partition("/")
    expected = {f"{prefix}/{sha[:2]}/{sha}" for sha in stored}
    assert len(stored) >= 20, stored  # every document of the light archive
    assert all(uri == f"{store_url}/{sha[:2]}/{sha}" for sha, uri in stored.items())
    assert dict(moto_s3.versions(store_url)) == dict.fromkeys(expected, 1), "each document written once"

    # A second pass re-fetching every document (force; the CN8 workbook aside) writes nothing again: the
    # store already holds it.
    s3_rt = pipeline.Runtime(rt.settings.model_copy(update={"snapshot_store": store_url}), rt.engine,
                             SnapshotStore(store_url))
    for source_id in sources.recorded_sources():
        assert runs.run_source(s3_rt, source_id, force=True, params=sources.light_params(source_id)).ok
    assert dict(moto_s3.versions(store_url)) == dict.fromkeys(expected, 1)
    assert duplicate_current(rt.engine) == 0
    assert s3_rt.store.verify() == [] and len(s3_rt.store.names()) == len(expected)
    verified = sanctrace("store", "verify", env=env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f"{store_url}: {len(expected)} document(s) read back, 0 mismatch(es)" in verified.stdout
    record(rt, {"documents_on_s3": len(expected), "object_versions": sum(moto_s3.versions(store_url).values()),
                "verified": len(expected), "mismatches": 0, "figures": size(figures(rt.engine))})

    # explain reads the S3 copy (there is no other) and re-parses the figure from it.
    figure = a_current_figure(rt, "unhcr-ukraine-refugees")
    shown = sanctrace("explain", str(figure), "--json", env=env)
    assert shown.returncode == 0, shown.stderr[-3000:]
    chain = json.loads(shown.stdout)
    assert chain["reproduced"] is True and chain["snapshot"]["storage_uri"].startswith(store_url + "/")

    # verify and explain can fail: an object whose bytes no longer match its name is found by both.
    sha = chain["snapshot"]["sha256"]
    moto_s3.client().put_object(Bucket=bucket, Key=f"{prefix}/{sha[:2]}/{sha}", Body=b"changed bytes")
    assert s3_rt.store.verify() == [f"{store_url}/{sha[:2]}/{sha}"]
    verified = sanctrace("store", "verify", env=env)
    assert verified.returncode == 1 and f"MISMATCH {store_url}/{sha[:2]}/{sha}" in verified.stdout
    tampered = sanctrace("explain", str(figure), env=env)
    assert tampered.returncode != 0 and "does not match its hash" in tampered.stderr


@ONE_DATABASE
def test_an_unreachable_store_fails_the_run_naming_it_and_loads_nothing(prefect_harness, rt):
    store_url = "s3://sanctrace-unreachable/snapshots"
    run = sanctrace("run", env=store_env(rt.settings.warehouse_url, store_url,
                                         SANCTRACE_SNAPSHOT_STORE_OPTIONS=unreachable_options()))
    assert run.returncode == 1  # every family fails at its start, before any fetch
    assert f"snapshot store {store_url} cannot be reached" in run.stdout + run.stderr, run.stdout[-3000:]
    assert size(figures(rt.engine)) == 0 and snapshot_rows(rt) == {}
    verified = sanctrace("store", "verify", env=store_env(rt.settings.warehouse_url, store_url,
                                                          SANCTRACE_SNAPSHOT_STORE_OPTIONS=unreachable_options()))
    assert verified.returncode == 2 and f"snapshot store {store_url} cannot be reached" in verified.stderr


def test_a_store_lost_during_a_run_fails_the_source_and_keeps_what_was_loaded(rt, moto_s3: MotoS3):  # noqa: F811
    """A first source loads to S3; then the store is gone: the next source fails naming it, adds nothing."""
    first, second = "unhcr-ukraine-refugees", "ohchr-casualties"
    store_url = moto_s3.bucket()
    s3_rt = pipeline.Runtime(rt.settings, rt.engine, SnapshotStore(store_url))
    assert runs.run_source(s3_rt, first, params=sources.replay_params(first)).ok
    before = figures(rt.engine)
    lost = pipeline.Runtime(rt.settings, rt.engine, SnapshotStore(store_url, json.loads(unreachable_options())))
    report = runs.run_source(lost, second, params=sources.replay_params(second))
    assert not report.ok and f"snapshot store {store_url} cannot be reached" in report.failures[0], report.failures
    assert figures(rt.engine) == before and size(figures(rt.engine, second)) == 0


def test_check_names_a_missing_bucket(moto_s3: MotoS3):  # noqa: F811
    with pytest.raises(StoreUnavailable, match="s3://sanctrace-no-such-bucket/x: bucket not found"):
        SnapshotStore("s3://sanctrace-no-such-bucket/x").check()
