"""The benches in bench/ still run and print their tables (tiny sizes, SQLite only), so they do not rot
(run_all.py in `make reliability`).

The figures themselves are measured by `make bench` and recorded in docs/PERFORMANCE.md.
"""

import os
import re
import subprocess
import sys
from argparse import Namespace
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from sanctrace.settings import PROJECT_ROOT
from tests.conftest import PG_ENV, PG_SKIP

BENCH = PROJECT_ROOT / "bench"


def run(script: str, *args: str) -> str:
    out = subprocess.run([sys.executable, str(BENCH / script), *args], capture_output=True, text=True,
                         timeout=300, cwd=PROJECT_ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "\ntargets: " in out.stdout, out.stdout
    return out.stdout


def test_load_prints_every_contender():
    out = run("load.py", "--rows", "3000", "--databases", "sqlite")
    assert "sqlite: 3,000 rows" in out
    for contender in ("ours", "schema", "schema@0005", "schema@0004", "limit", "to_sql"):
        assert f"\n{contender} " in out, out


def test_scale_run_divides_by_the_median_of_the_base_runs():
    out = run("load.py", "--rows", "6000", "--base-rows", "2000", "--base-runs", "3",
              "--contenders", "ours,schema", "--databases", "sqlite")
    assert "sqlite: 6,000 rows" in out and "sqlite: 2,000 rows" in out
    runs = re.search(r"sqlite: ours at 2,000 rows, 3 runs: ([\d.]+), ([\d.]+), ([\d.]+) s; "
                     r"the median, ([\d.]+) s, is the scale run's base", out)
    assert runs, out
    seconds = sorted(float(runs.group(n)) for n in (1, 2, 3))
    assert float(runs.group(4)) == seconds[1]
    assert "sqlite: scale, 2,000 against 6,000 rows" in out and "x the 0.002M load" in out


def test_schema_limit_writes_every_row_into_both_schemas(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))
    import schema_limit
    from sqlalchemy import text

    from warehouse.engine import make_engine

    for revision in ("0004", "0005", "head"):
        url = f"sqlite:///{tmp_path / revision}.db"
        assert schema_limit.run(url, 1200, revision)["seconds"] > 0
        with make_engine(url).connect() as conn:
            counts = [conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in ("series", "observation")]
        assert counts == [1200, 1200]


def test_schema_study_times_every_variant():
    out = run("schema_study.py", "--rows", "2000", "--databases", "sqlite")
    for variant in ("v0", "v1", "v2", "v3", "v4"):
        assert f"\n{variant} " in out, out


def test_migrate_keeps_every_figure_linked_to_its_snapshot():
    out = run("migrate.py", "--rows", "2000", "--databases", "sqlite")
    assert "revision 0004 -> head on 2,000 figures" in out and "targets: all met" in out, out


def test_reload_adds_nothing_then_supersedes_one_percent():
    # reload.py asserts the counts itself (0 new on the re-load, exactly 1% superseded).
    out = run("reload.py", "--rows", "3000", "--databases", "sqlite")
    assert "observation rows after: 3,030, superseded 30" in out
    assert "same rows again (loader)" in out and "1% of values revised" in out


def test_fsf_parses_and_loads_the_built_list():
    # 3 MB holds 1,090 entities: check() wants at least 1,000 in a list.
    out = run("fsf.py", "--mb", "3", "--databases", "sqlite")
    assert "parse and load, sqlite (runs.run_source)" in out and "check()" in out


def test_export_writes_every_row_in_each_format():
    # export.py counts the rows each export wrote; a short count would be listed under "targets".
    out = run("export.py", "--rows", "2000", "--databases", "sqlite")
    assert "sqlite: export of 2,000 figures" in out and "targets: all met" in out
    for export in ("baseline", "csv", "parquet", "json"):
        assert f"\n{export} " in out, out


# In `make reliability` (about 20 s: a cold, a warm and a floor run through Prefect), to keep `make test`
# inside the CI budget; `make bench` runs the full bench.
@pytest.mark.slow
@pytest.mark.timeout(300)
def test_run_all_times_a_cold_and_a_warm_run_and_prefects_floor(prefect_harness):
    # On the session's Prefect server (`make bench` starts an ephemeral one of its own).
    from prefect.settings import PREFECT_API_URL

    out = run("run_all.py", "--databases", "sqlite", "--sources", "unhcr-ukraine-refugees", "--repeat", "1",
              "--api-url", PREFECT_API_URL.value())
    assert "\ncold " in out and "\nwarm " in out and "Prefect overhead s" in out
    assert "\nfloor " in out and "waiting for load locks s" in out


def test_run_all_gives_its_own_prefect_server_a_postgresql_database_and_drops_it(monkeypatch):
    # The bench's ephemeral server keeps its records in PostgreSQL, as in production (docs/DEPLOY.md);
    # a running server (the test session's) or --prefect-database sqlite keep theirs.
    if not os.environ.get(PG_ENV):
        pytest.skip(PG_SKIP)
    monkeypatch.syspath_prepend(str(BENCH))
    import run_all

    monkeypatch.setenv("PREFECT_API_DATABASE_CONNECTION_URL", "sqlite+aiosqlite:///inherited.db")
    options = Namespace(api_url="", prefect_database="postgres")
    with run_all.prefect_database(options) as url:
        name = make_url(url).database
        assert url.startswith("postgresql+asyncpg://") and name.startswith("sanctrace_bench_prefect")
        with psycopg.connect(os.environ[PG_ENV]) as conn:
            assert conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        env = run_all.child_env(Path("/tmp/x"), "sqlite:///w.db", "", url)
        assert env["PREFECT_API_DATABASE_CONNECTION_URL"] == url
    with psycopg.connect(os.environ[PG_ENV]) as conn:
        assert not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    for other in (Namespace(api_url="http://127.0.0.1:1/api", prefect_database="postgres"),
                  Namespace(api_url="", prefect_database="sqlite")):
        with run_all.prefect_database(other) as url:
            assert url == ""
    env = run_all.child_env(Path("/tmp/x"), "sqlite:///w.db", "http://127.0.0.1:1/api", "")
    assert "PREFECT_API_DATABASE_CONNECTION_URL" not in env and env["PREFECT_API_URL"] == "http://127.0.0.1:1/api"
