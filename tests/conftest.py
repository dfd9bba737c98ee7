"""Shared fixtures: a fresh warehouse per test on SQLite and (where configured) PostgreSQL."""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from sanctrace import pipeline
from sanctrace.settings import PROJECT_ROOT, Settings, reset_settings
from warehouse.engine import engine_for
from warehouse.migrate import upgrade

REPLAY = PROJECT_ROOT / "replay"
PG_ENV = "SANCTRACE_TEST_POSTGRES_URL"


def replay_file(source_id: str, name: str) -> Path:
    return REPLAY / source_id / name


def _postgres_database(template: str | None = None):
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test)")
    import psycopg

    name = f"sanctrace_test_{uuid.uuid4().hex[:12]}"
    admin = psycopg.connect(base, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
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


class LoadedTemplates:
    """Warehouses loaded once per session (recorded sources, replay) and copied for each test that asks
    for them with ``@pytest.mark.preloaded(source_id, ...)``: a SQLite file copy, or a PostgreSQL database
    made from the loaded one as its template. Loading Comext's CN8 workbook takes a minute; a copy, a second."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.made: dict[tuple[str, tuple[str, ...]], tuple[str, Path]] = {}
        self.cleanups: list = []

    def template(self, kind: str, sources: tuple[str, ...]) -> tuple[str, Path]:
        if (kind, sources) not in self.made:
            self.made[(kind, sources)] = self._load(kind, sources)
        return self.made[(kind, sources)]

    def _load(self, kind: str, sources: tuple[str, ...]) -> tuple[str, Path]:
        folder = self.folder / f"{kind}-{len(self.made)}"
        folder.mkdir()
        context = migrated_warehouse(kind, folder / "warehouse.db")
        url = context.__enter__()
        self.cleanups.append(context)
        settings = Settings(warehouse_url=url, snapshot_store=str(folder / "snapshots"),
                            replay_archive=REPLAY, fetch_mode="replay")
        runtime = pipeline.runtime(settings)
        pipeline.register_sources(runtime)
        for source_id in sources:
            report = pipeline.run_source(runtime, source_id)
            assert report.ok, (source_id, report.failures)
        runtime.engine.dispose()  # a PostgreSQL template must have no open connection
        return url, folder / "snapshots"

    @contextmanager
    def copy(self, kind: str, sources: tuple[str, ...], tmp_path: Path) -> Iterator[str]:
        template_url, template_store = self.template(kind, sources)
        shutil.copytree(template_store, tmp_path / "snapshots")
        if kind == "sqlite":
            shutil.copyfile(make_url(template_url).database, tmp_path / "warehouse.db")
            url = f"sqlite:///{tmp_path / 'warehouse.db'}"
            _point_snapshots_at(url, template_store, tmp_path / "snapshots")
            yield url
            engine_for(url).dispose()
            return
        admin, name, url = _postgres_database(template=make_url(template_url).database)
        try:
            _point_snapshots_at(url, template_store, tmp_path / "snapshots")
            yield url
        finally:
            engine_for(url).dispose()
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.close()

    def close(self) -> None:
        for context in reversed(self.cleanups):
            context.__exit__(None, None, None)


def _point_snapshots_at(url: str, old: Path, new: Path) -> None:
    """The copy's provenance names its own snapshot store, as if it had been loaded there."""
    engine = engine_for(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE snapshot SET storage_uri = replace(storage_uri, :old, :new)"),
                     {"old": str(old), "new": str(new)})
    engine.dispose()


@pytest.fixture(scope="session")
def one_plain_run(tmp_path_factory):
    """The figures of every recorded source loaded once by ``run_source`` (no Prefect): what any number
    of concurrent runs, on any number of workers, must end with."""
    from tests.faults.sources import plain_run
    from tests.faults.state import figures

    return figures(engine_for(plain_run(tmp_path_factory.mktemp("plain-run")).warehouse_url))


@pytest.fixture(scope="session")
def loaded_templates(tmp_path_factory):
    templates = LoadedTemplates(tmp_path_factory.mktemp("loaded-templates"))
    yield templates
    templates.close()


@pytest.fixture(params=["sqlite", "postgres"])
def warehouse_url(request, tmp_path):
    """A migrated warehouse of each kind: empty, or holding the sources a test names with
    ``@pytest.mark.preloaded(...)`` (loaded once per session, copied for each test)."""
    preloaded = request.node.get_closest_marker("preloaded")
    if preloaded is None:
        with migrated_warehouse(request.param, tmp_path / "warehouse.db") as url:
            yield url
        return
    if request.param == "postgres" and not os.environ.get(PG_ENV):
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test)")
    templates = request.getfixturevalue("loaded_templates")
    with templates.copy(request.param, tuple(preloaded.args), tmp_path) as url:
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


