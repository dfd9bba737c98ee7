"""Shared fixtures: a fresh warehouse per test on SQLite and (where configured) PostgreSQL."""

from __future__ import annotations

import os
import socket
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy.engine import make_url

from sanctrace import pipeline
from sanctrace.settings import PROJECT_ROOT, Settings, reset_settings
from warehouse.engine import engine_for
from warehouse.migrate import upgrade

REPLAY = PROJECT_ROOT / "replay"
PG_ENV = "SANCTRACE_TEST_POSTGRES_URL"


def replay_file(source_id: str, name: str) -> Path:
    return REPLAY / source_id / name


def _postgres_database():
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test)")
    import psycopg

    name = f"sanctrace_test_{uuid.uuid4().hex[:12]}"
    admin = psycopg.connect(base, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    return admin, name, url


@contextmanager
def migrated_warehouse(kind: str, file: Path) -> Iterator[str]:
    """An empty, migrated warehouse: a SQLite file, or a PostgreSQL database of its own, dropped after."""
    if kind == "sqlite":
        url = f"sqlite:///{file}"
        upgrade(url)
        yield url
        engine_for(url).dispose()
        return
    admin, name, url = _postgres_database()
    try:
        upgrade(url)
        yield url
    finally:
        engine_for(url).dispose()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(params=["sqlite", "postgres"])
def warehouse_url(request, tmp_path):
    """An empty, migrated warehouse of each kind."""
    with migrated_warehouse(request.param, tmp_path / "warehouse.db") as url:
        yield url


@pytest.fixture
def settings(warehouse_url, tmp_path) -> Settings:
    return Settings(warehouse_url=warehouse_url, snapshot_store=str(tmp_path / "snapshots"),
                    replay_archive=REPLAY, fetch_mode="replay")


@pytest.fixture
def rt(settings) -> pipeline.Runtime:
    runtime = pipeline.runtime(settings)
    pipeline.register_sources(runtime)
    return runtime


@pytest.fixture
def env_settings(settings, monkeypatch):
    """The same settings through the environment, for code that reads get_settings() (flows, CLI)."""
    monkeypatch.setenv("SANCTRACE_WAREHOUSE_URL", settings.warehouse_url)
    monkeypatch.setenv("SANCTRACE_SNAPSHOT_STORE", settings.snapshot_store)
    monkeypatch.setenv("SANCTRACE_REPLAY_ARCHIVE", str(settings.replay_archive))
    monkeypatch.setenv("SANCTRACE_FETCH_MODE", "replay")
    reset_settings()
    yield settings
    reset_settings()


@pytest.fixture(scope="session")
def prefect_harness():
    """One throwaway Prefect server for the session (slow to start, so shared)."""
    for key, value in {
        "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "100",
        "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_READ_BATCH_SIZE": "100",
        "PREFECT_SERVER_SERVICES_EVENT_PERSISTER_ENABLED": "false",
        "PREFECT_LOGGING_TO_API_ENABLED": "false",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    }.items():
        os.environ.setdefault(key, value)
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def served(tmp_path_factory):
    """A real `prefect server`, every deployment of prefect.yaml and a worker, for the session."""
    from sanctrace.serve import LocalPrefect

    home = tmp_path_factory.mktemp("prefect-served")
    env = {
        "SANCTRACE_WAREHOUSE_URL": f"sqlite:///{home / 'warehouse.db'}",
        "SANCTRACE_SNAPSHOT_STORE": str(home / "snapshots"),
        "SANCTRACE_FETCH_MODE": "replay",
        "PREFECT_WORKER_QUERY_SECONDS": "2",
        "PREFECT_WORKER_PREFETCH_SECONDS": "5",
        "PREFECT_LOGGING_LEVEL": "INFO",
    }
    upgrade(env["SANCTRACE_WAREHOUSE_URL"])  # as `make serve` and the deploy steps do: runs never migrate
    local = LocalPrefect(home, free_port(), env)
    try:
        local.start_server()
        local.deploy()
        local.start_worker()
        yield local
    finally:
        local.stop()


