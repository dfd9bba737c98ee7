"""Shared fixtures: a fresh warehouse per test on SQLite and (where configured) PostgreSQL."""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Iterator

# make test runs the suite on two pytest-xdist workers: each keeps Prefect's local files (its profile,
# its results) in a home of its own. Set before anything imports Prefect, which reads it on import.
if os.environ.get("PYTEST_XDIST_WORKER"):
    _home = Path(os.environ.get("PREFECT_HOME") or Path.home() / ".prefect") / os.environ["PYTEST_XDIST_WORKER"]
    _home.mkdir(parents=True, exist_ok=True)
    os.environ["PREFECT_HOME"] = str(_home)

import pytest  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from sanctrace import pipeline, runs  # noqa: E402
from sanctrace.settings import PROJECT_ROOT, Settings, reset_settings  # noqa: E402
from warehouse.engine import engine_for  # noqa: E402
from warehouse.migrate import upgrade  # noqa: E402

REPLAY = PROJECT_ROOT / "replay"
PG_ENV = "SANCTRACE_TEST_POSTGRES_URL"
PG_SKIP = f"PostgreSQL tests need {PG_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test)"


def replay_file(source_id: str, name: str) -> Path:
    return REPLAY / source_id / name


def snapshot_sha(engine, snapshot_id: int | None) -> str | None:
    """The sha256 of the snapshot an observation names by its integer id."""
    from sqlalchemy import text

    with engine.connect() as conn:
        return conn.execute(text("SELECT sha256 FROM snapshot WHERE id = :id"), {"id": snapshot_id}).scalar()


# A test of what only PostgreSQL has (concurrent writers, its triggers, COPY): the warehouse fixtures'
# PostgreSQL case alone.
postgres_only = pytest.mark.parametrize("warehouse_url", ["postgres"], indirect=True)


def in_thread(work) -> tuple["threading.Thread", dict]:
    """Start ``work()`` in a thread (for concurrent transactions); the dict gets its ``result`` or its
    ``error``."""
    import threading

    box: dict = {}

    def run():
        try:
            box["result"] = work()
        except Exception as error:  # noqa: BLE001  (the test inspects it)
            box["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, box


def _postgres_database(template: str | None = None):
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(PG_SKIP)
    import psycopg

    name = f"sanctrace_test_{uuid.uuid4().hex[:12]}"
    admin = psycopg.connect(base, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    return admin, name, url


@contextmanager
def migrated_warehouse(kind: str, file: Path, revision: str = "head") -> Iterator[str]:
    """An empty, migrated warehouse: a SQLite file, or a PostgreSQL database of its own, dropped after."""
    if kind == "sqlite":
        url = f"sqlite:///{file}"
        upgrade(url, revision)
        yield url
        engine_for(url).dispose()
        return
    admin, name, url = _postgres_database()
    try:
        upgrade(url, revision)
        yield url
    finally:
        engine_for(url).dispose()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


class LoadedTemplates:
    """Warehouses loaded once per session (recorded sources, replay) and copied for each test that asks
    for them with ``@pytest.mark.preloaded(source_id, ...)``: a SQLite file copy, or a PostgreSQL database
    made from the loaded one as its template. ``light=True``: without recorded downloads over 1 MB (Comext's
    CN8 workbook, which has tests of its own), as the fault matrix loads them."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.made: dict[tuple[str, tuple[str, ...], bool], tuple[str, Path]] = {}
        self.templates = ExitStack()  # drops each template database at the session's end

    def template(self, kind: str, sources: tuple[str, ...], light: bool) -> tuple[str, Path]:
        if (kind, sources, light) not in self.made:
            self.made[(kind, sources, light)] = self._load(kind, sources, light)
        return self.made[(kind, sources, light)]

    def _load(self, kind: str, sources: tuple[str, ...], light: bool) -> tuple[str, Path]:
        from tests.faults.sources import light_params

        folder = self.folder / f"{kind}-{len(self.made)}"
        folder.mkdir()
        url = self.templates.enter_context(migrated_warehouse(kind, folder / "warehouse.db"))
        settings = Settings(warehouse_url=url, snapshot_store=str(folder / "snapshots"),
                            replay_archive=REPLAY, fetch_mode="replay")
        runtime = pipeline.runtime(settings)
        pipeline.register_sources(runtime)
        for source_id in sources:
            report = runs.run_source(runtime, source_id, params=light_params(source_id) if light else None)
            assert report.ok, (source_id, report.failures)
        runtime.engine.dispose()  # a PostgreSQL template must have no open connection
        return url, folder / "snapshots"

    @contextmanager
    def copy(self, kind: str, sources: tuple[str, ...], light: bool, tmp_path: Path) -> Iterator[str]:
        template_url, template_store = self.template(kind, sources, light)
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
        self.templates.close()


def _point_snapshots_at(url: str, old: Path, new: Path) -> None:
    """The copy's provenance names its own snapshot store, as if it had been loaded there."""
    engine = engine_for(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE snapshot SET storage_uri = replace(storage_uri, :old, :new)"),
                     {"old": str(old), "new": str(new)})
    engine.dispose()


@pytest.fixture(scope="session")
def light_replay(tmp_path_factory) -> Path:
    """The replay archive less Comext's CN8 workbook (tests/faults/sources.light_archive): what the tests
    that run every source end to end replay (SANCTRACE_REPLAY_ARCHIVE)."""
    from tests.faults.sources import light_archive

    return light_archive(tmp_path_factory.mktemp("light-replay"))


@pytest.fixture(scope="session")
def one_plain_run(tmp_path_factory, light_replay):
    """The figures of every source of the light archive loaded once by ``runs.run_source`` (no Prefect): what
    any number of concurrent runs, on any number of workers, must end with."""
    from tests.faults.sources import plain_run
    from tests.faults.state import figures

    return figures(engine_for(plain_run(tmp_path_factory.mktemp("plain-run"), light_replay).warehouse_url))


@pytest.fixture(scope="session")
def loaded_templates(tmp_path_factory):
    templates = LoadedTemplates(tmp_path_factory.mktemp("loaded-templates"))
    yield templates
    templates.close()


@pytest.fixture(params=["sqlite", "postgres"])
def warehouse_url(request, tmp_path):
    """A migrated warehouse of each kind: empty, or holding the sources a test names with
    ``@pytest.mark.preloaded(*source_ids, light=False)`` (loaded once per session, copied for each test)."""
    preloaded = request.node.get_closest_marker("preloaded")
    if preloaded is None:
        with migrated_warehouse(request.param, tmp_path / "warehouse.db") as url:
            yield url
        return
    if request.param == "postgres" and not os.environ.get(PG_ENV):
        pytest.skip(PG_SKIP)
    templates = request.getfixturevalue("loaded_templates")
    with templates.copy(request.param, tuple(preloaded.args), preloaded.kwargs.get("light", False), tmp_path) as url:
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory):
    """The session's one Prefect server: a real `prefect server start` with every service on (the
    automations of tests/test_alerts.py need the event services). In-process flows (``prefect_harness``),
    the deployments and worker (``served``) and the alerts all use it. Only the scale-out test starts
    another, with Prefect's own database on PostgreSQL and workers of its own on the same pool name."""
    from sanctrace.serve import LocalPrefect

    server_env = {"PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "100",
                  "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_READ_BATCH_SIZE": "100",
                  # the scheduler's pass every 10 s, not 60: tests/test_deploy.py waits for its runs
                  "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "10"}
    local = LocalPrefect(tmp_path_factory.mktemp("prefect"), free_port(), server_env=server_env)
    try:
        local.start_server()
        yield local
    finally:
        local.stop()


@pytest.fixture(scope="session")
def prefect_harness(prefect_server):
    """Flows run in this process report to the session's server."""
    from prefect.settings import PREFECT_API_URL, PREFECT_LOGGING_TO_API_ENABLED, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: prefect_server.api, PREFECT_LOGGING_TO_API_ENABLED: False}):
        yield prefect_server


@pytest.fixture(scope="session")
def served(prefect_server, tmp_path_factory, light_replay):
    """Every deployment of prefect.yaml (a plain `prefect deploy --all`) and a worker, on the session's
    server, with a warehouse of their own, replaying the light archive."""
    home = tmp_path_factory.mktemp("prefect-served")
    prefect_server.env.update({
        "SANCTRACE_WAREHOUSE_URL": f"sqlite:///{home / 'warehouse.db'}",
        "SANCTRACE_SNAPSHOT_STORE": str(home / "snapshots"),
        "SANCTRACE_FETCH_MODE": "replay",
        "SANCTRACE_REPLAY_ARCHIVE": str(light_replay),
        "PREFECT_WORKER_QUERY_SECONDS": "2",
        "PREFECT_WORKER_PREFETCH_SECONDS": "5",
        "PREFECT_LOGGING_LEVEL": "INFO",
    })
    upgrade(prefect_server.env["SANCTRACE_WAREHOUSE_URL"])  # as `make serve` and the deploy steps do
    prefect_server.deploy()
    prefect_server.start_worker()
    yield prefect_server
    prefect_server.stop_workers()


PREFECT_FIXTURES = {"prefect_server", "prefect_harness", "served"}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """make test's two xdist workers take whole modules: a module's own fixtures (Comext's CN8 load, the S3
    server) are set up once, and the fault matrix writes its table whole. The modules that use the
    session's Prefect server are one group, so that one worker starts that one server."""
    prefect = {item.module.__name__ for item in items if PREFECT_FIXTURES & set(item.fixturenames)}
    for item in items:
        module = item.module.__name__
        item.add_marker(pytest.mark.xdist_group("prefect-server" if module in prefect else module))


@pytest.fixture(autouse=True)
def _fresh_reparse_cache():
    """explain keeps the last documents it re-parsed; a test that patches a parser must not see another
    test's parse."""
    from sanctrace import explain

    explain.REPARSED.clear()
    yield
    explain.REPARSED.clear()
