"""Scale-out: a Prefect server on PostgreSQL, several process workers on one pool, the warehouse on PostgreSQL,
the snapshots on an S3 API (moto on 127.0.0.1).

"Several machines" are several named worker processes on this one (each would be `prefect worker start` on
its own machine, with PREFECT_API_URL pointing at the server). Runs are started through the API at the same
moment; every run must complete, the warehouse must hold exactly the figures of one plain run with no
duplicate current figure, and every worker must have run flow runs (the `prefect.worker.name` label a
worker gives each run it takes, and its own log). `make test`: collect-all and the casualties deployment
on two workers (one run each); `make reliability`: collect-all and the four family deployments at once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import psycopg
import pytest
import requests
from sqlalchemy import text
from sqlalchemy.engine import make_url

from extractors.snapshots import SnapshotStore
from sanctrace.serve import POOL, LocalPrefect
from sanctrace.settings import PROJECT_ROOT
from tests.faults.state import duplicate_current, figures, size
from tests.s3 import free_port, moto_s3  # noqa: F401 (moto_s3 is a fixture: an S3 API on 127.0.0.1)
from warehouse.engine import engine_for

PG_ENV = "SANCTRACE_TEST_POSTGRES_URL"
WORKERS = ("machine-a", "machine-b")
FAMILY_DEPLOYMENTS = ["displacement", "casualties", "sanctions", "trade"]


class Databases:
    """Databases of their own on the test PostgreSQL server, dropped afterwards."""

    def __init__(self, base: str):
        self.base, self.names = base, []
        self.admin = psycopg.connect(base, autocommit=True)

    def create(self, prefix: str, driver: str = "postgresql") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        self.admin.execute(f'CREATE DATABASE "{name}"')
        self.names.append(name)
        return make_url(self.base).set(drivername=driver, database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        self.admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.names.remove(name)

    def close(self) -> None:
        for name in list(self.names):
            self.admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin.close()


@pytest.fixture(scope="module")
def databases():
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"the scale-out test needs PostgreSQL: set {PG_ENV}")
    dbs = Databases(base)
    yield dbs
    dbs.close()


@pytest.fixture(scope="module")
def prefect_on_postgres(databases, tmp_path_factory, light_replay):
    """`prefect server start` with its database on PostgreSQL, the work pool and every deployment."""
    home = tmp_path_factory.mktemp("prefect-pg")
    server_db = databases.create("sanctrace_prefect", driver="postgresql+asyncpg")
    env = {"SANCTRACE_FETCH_MODE": "replay", "SANCTRACE_REPLAY_ARCHIVE": str(light_replay),
           "PREFECT_WORKER_QUERY_SECONDS": "2", "PREFECT_WORKER_PREFETCH_SECONDS": "5",
           "PREFECT_LOGGING_LEVEL": "INFO"}
    # Only the runs a test starts: no auto-scheduled run of a cron schedule may join in.
    server_env = {"PREFECT_API_DATABASE_CONNECTION_URL": server_db,
                  "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false"}
    local = LocalPrefect(home, free_port(), env, server_env)
    try:
        local.start_server(timeout=240)
        local.deploy()
        local.server_db = server_db
        yield local
    finally:
        local.stop()


@pytest.fixture
def warehouse(databases, prefect_on_postgres, moto_s3):  # noqa: F811
    """A fresh, migrated PostgreSQL warehouse and a fresh S3 bucket for this test, given to the workers
    started after it: workers on several machines share no folder, so their snapshots live on S3."""
    url = databases.create("sanctrace_scale")
    prefect_on_postgres.env.update({"SANCTRACE_WAREHOUSE_URL": url, "SANCTRACE_SNAPSHOT_STORE": moto_s3.bucket(),
                                    **moto_s3.env()})
    # Runs never migrate: `sanctrace migrate` before the workers start (docs/DEPLOY.md, step 3).
    migrated = subprocess.run([sys.executable, "-m", "sanctrace.cli", "migrate"], env=prefect_on_postgres.env,
                              cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert migrated.returncode == 0 and "newest schema" in migrated.stdout, migrated.stderr
    yield engine_for(url)
    prefect_on_postgres.stop_workers()
    engine_for(url).dispose()
    databases.drop(url)


def api(local: LocalPrefect, method: str, path: str, **kw):
    response = requests.request(method, local.api + path, timeout=30, **kw)
    response.raise_for_status()
    return response.json()


def start_workers(local: LocalPrefect, limit: int) -> None:
    """Start the workers and wait until each has sent a heartbeat (a worker of an earlier test, by the same
    name, stays listed: only a heartbeat after this start counts)."""
    started = datetime.now(timezone.utc)
    for name in WORKERS:
        local.start_worker(name, limit=limit)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        beats = {w["name"]: w["last_heartbeat_time"]
                 for w in api(local, "POST", f"/work_pools/{POOL}/workers/filter", json={})}
        alive = {n for n, t in beats.items() if t and datetime.fromisoformat(t) > started}
        if set(WORKERS) <= alive:
            return
        time.sleep(1)
    raise TimeoutError(f"workers {WORKERS} sent no heartbeat within 120 s; last heartbeats {beats}")


def start_runs(local: LocalPrefect, names: list[str]) -> list[str]:
    """One run of each deployment, created through the API one right after the other."""
    found = {d["name"]: d["id"] for d in api(local, "POST", "/deployments/filter", json={})}
    return [api(local, "POST", f"/deployments/{found[n]}/create_flow_run", json={})["id"] for n in names]


def wait_all(local: LocalPrefect, ids: list[str], timeout: float) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = [api(local, "GET", f"/flow_runs/{i}") for i in ids]
        if all(r["state"]["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED") for r in runs):
            return runs
        time.sleep(2)
    logs = "\n".join((local.home / f"worker-{w}.log").read_text(errors="replace")[-2000:] for w in WORKERS)
    raise TimeoutError(f"runs not finished after {timeout} s: {[r['state']['type'] for r in runs]}\n{logs}")


def server_flow_runs(local: LocalPrefect, ids: list[str]) -> int:
    """The runs as the server's own PostgreSQL database holds them (the server really is on PostgreSQL)."""
    url = make_url(local.server_db).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT COUNT(*) FROM flow_run WHERE id = ANY(%s::uuid[])", (ids,)).fetchone()[0]


def check_store(local: LocalPrefect, engine, s3) -> dict:
    """Every document the runs loaded is on S3 under its sha256, reads back whole, and no name ever held two
    different bodies. Runs racing to store one new document may both write it (same bytes): counted."""
    store_url = local.env["SANCTRACE_SNAPSHOT_STORE"]
    with engine.connect() as conn:
        shas = set(conn.execute(text("SELECT sha256 FROM snapshot")).scalars())
    store = SnapshotStore(store_url)
    assert {n.split("/")[-1] for n in store.names()} == shas and store.verify() == []
    etags = s3.etags(store_url)
    assert all(len(tags) == 1 for tags in etags.values()), etags
    versions = s3.versions(store_url)
    return {"documents_on_s3": len(shas), "verified": len(shas), "mismatches": 0,
            "written_more_than_once": sum(1 for n in versions.values() if n > 1)}


def check_scale_out(local: LocalPrefect, engine, one_plain_run, deployments: list[str], limit: int,
                    s3) -> dict:
    start_workers(local, limit)
    started = time.monotonic()
    ids = start_runs(local, deployments)
    created_within = round(time.monotonic() - started, 2)
    runs = wait_all(local, ids, timeout=900)
    seconds = round(time.monotonic() - started, 1)
    assert [r["state"]["type"] for r in runs] == ["COMPLETED"] * len(runs), [r["state"] for r in runs]
    assert duplicate_current(engine) == 0
    assert figures(engine) == one_plain_run, "the warehouse must hold exactly the figures of one plain run"
    by_worker = Counter(r["labels"].get("prefect.worker.name") for r in runs)
    assert set(by_worker) == set(WORKERS), by_worker  # every run taken by one of them, and each ran some
    for run in runs:  # and each worker's own log says it submitted the run its label names
        log = (local.home / f"worker-{run['labels']['prefect.worker.name']}.log").read_text(errors="replace")
        assert f"submitting flow run '{run['id']}'" in log
    assert server_flow_runs(local, ids) == len(ids)
    stored = check_store(local, engine, s3)
    result = {**stored, "deployments": deployments, "workers": len(WORKERS), "worker_limit": limit,
              "runs_per_worker": dict(sorted(by_worker.items())), "all_completed": True,
              "created_within_seconds": created_within, "seconds": seconds, "figures": size(one_plain_run),
              "duplicates": 0, "prefect_database": "postgresql", "warehouse": engine.dialect.name}
    out = PROJECT_ROOT / "data" / "reliability"
    out.mkdir(parents=True, exist_ok=True)
    Path(out / f"workers-{len(deployments)}-runs.json").write_text(json.dumps(result, indent=1))
    return result


def test_collect_all_on_two_workers(prefect_on_postgres, warehouse, one_plain_run, moto_s3):  # noqa: F811
    """Quick: collect-all and one family at once, each worker taking one (--limit 1)."""
    check_scale_out(prefect_on_postgres, warehouse, one_plain_run, ["collect-all", "casualties"], 1, moto_s3)


@pytest.mark.slow
def test_collect_all_and_every_family_at_once_on_two_workers(prefect_on_postgres, warehouse, one_plain_run,
                                                             moto_s3):  # noqa: F811
    check_scale_out(prefect_on_postgres, warehouse, one_plain_run, ["collect-all", *FAMILY_DEPLOYMENTS], 3, moto_s3)


# docs/DEPLOY.md, step 5: a source's secret saved as a Prefect Secret block on the server the workers use.
SAVE_SECRET = ("from prefect.blocks.system import Secret; "
               "Secret(value='{value}').save('{name}', overwrite=True)")


def test_a_secret_block_saved_on_the_postgres_server_is_what_a_run_resolves(prefect_on_postgres, monkeypatch):
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from extractors.base import SecretSpec
    from sanctrace.secrets import resolve

    spec = SecretSpec("api_key", env="SANCTRACE_SCALE_TEST_KEY", block="sanctrace-scale-test-key")
    value = uuid.uuid4().hex
    saved = subprocess.run([sys.executable, "-c", SAVE_SECRET.format(value=value, name=spec.block)],
                           env=prefect_on_postgres.env, capture_output=True, text=True, timeout=120)
    assert saved.returncode == 0, saved.stderr
    monkeypatch.delenv(spec.env, raising=False)
    with temporary_settings({PREFECT_API_URL: prefect_on_postgres.api}):
        assert resolve((spec,))["api_key"].get_secret_value() == value
