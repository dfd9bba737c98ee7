"""`sanctrace figures` on the recorded UNHCR and Kazakhstan releases, SQLite and PostgreSQL: the filters,
the provenance columns of every export, bad filters named with exit 2, and a CSV that round-trips."""

from __future__ import annotations

import csv
import hashlib
import json
import subprocess
import sys
from datetime import date

import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

from sanctrace import cli, figures, pipeline, runs
from tests.conftest import replay_file
from warehouse.models import Observation, Snapshot

UNHCR, KZ = "unhcr-ukraine-refugees", "kz-stat-trade"
POLAND_FILE = replay_file(UNHCR, "sublocation_widget283575_popgroups5459-5478_2022-08-05.json")


PRELOADED = pytest.mark.preloaded(UNHCR, KZ)


@pytest.fixture
def loaded(rt, env_settings):
    return rt


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(["figures", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def json_rows(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


@PRELOADED
def test_poland_refugees_with_their_sha256_and_locator(loaded, capsys):
    code, out, _ = run(capsys, "--geo", "POL", "--indicator", "refugees", "--json")
    assert code == 0
    [row] = [r for r in json_rows(out) if r["period_start"] == "2022-08-01"]
    assert row["value"] == 1_256_568 and row["unit"] == "persons"
    assert row["indicator"] == "refugees_from_ukraine_recorded" and row["geo"] == "POL"
    assert row["sha256"] == hashlib.sha256(POLAND_FILE.read_bytes()).hexdigest()
    assert row["locator"] == "json:/data/1/individuals"
    assert row["document_url"].startswith("https://data.unhcr.org/population/get/sublocation?")
    assert row["parser_version"] and row["fetched_at"] and row["superseded_at"] is None


@PRELOADED
def test_the_table_names_the_figure_by_place_name(loaded, capsys):
    code, out, _ = run(capsys, "--geo", "Poland", "--indicator", "refugees")
    assert code == 0 and "1,256,568" in out and "2022-08-01" in out and "unhcr-ukraine-refugees" in out


@PRELOADED
def test_parquet_writes_the_same_rows_as_json(loaded, capsys, tmp_path):
    target = tmp_path / "poland.parquet"
    code, out, _ = run(capsys, "--geo", "POL", "--indicator", "refugees", "--json", "--parquet", str(target))
    assert code == 0
    from_json = json_rows(out)
    table = pq.read_table(target).to_pylist()
    assert len(table) == len(from_json) >= 1
    assert list(table[0]) == list(figures.NAMES)
    for a, b in zip(table, from_json):
        assert (a["observation_id"], a["value"], a["sha256"], a["locator"], a["document_url"]) == \
               (b["observation_id"], b["value"], b["sha256"], b["locator"], b["document_url"])
        assert a["period_start"].isoformat() == b["period_start"]
    assert 1_256_568 in {r["value"] for r in table}


@pytest.mark.parametrize("args, named", [
    (("--geo", "XXX"), "XXX is not a known ISO code"),
    (("--partner", "Atlantis"), "Atlantis"),
    (("--source", "unhcr-refugees"), "unknown source 'unhcr-refugees'"),
    (("--family", "weather"), "unknown family 'weather'"),
    (("--indicator", "tanks"), "unknown indicator 'tanks'"),
    (("--from", "2024-13-01"), "2024-13-01"),
    (("--to", "2023-02-30"), "2023-02-30"),
    (("--from", "last year"), "last year"),
    (("--from", "2023", "--to", "2022"), "--from 2023 is after --to 2022"),
    (("--product", "chips"), "--product 'chips'"),
    (("--flow", "sideways"), "unknown flow 'sideways'"),
])
@PRELOADED
def test_a_bad_filter_exits_2_and_names_it(loaded, capsys, args, named):
    code, out, err = run(capsys, *args)
    assert code == 2 and named in err and out == ""


@PRELOADED
def test_the_installed_command_exits_2_on_a_bad_filter(loaded):
    result = subprocess.run([sys.executable, "-m", "sanctrace.cli", "figures", "--geo", "XXX", "--json"],
                            capture_output=True, text=True)
    assert result.returncode == 2 and "XXX is not a known ISO code" in result.stderr and not result.stdout


@PRELOADED
def test_no_figure_is_said_plainly(loaded, capsys):
    code, out, _ = run(capsys, "--geo", "POL", "--from", "2030")
    assert code == 0 and out.strip() == cli.NO_FIGURE
    code, out, err = run(capsys, "--geo", "POL", "--from", "2030", "--json")
    assert code == 0 and out == "" and cli.NO_FIGURE in err


@PRELOADED
def test_csv_of_every_current_figure_round_trips_the_warehouse(loaded, capsys, tmp_path):
    target = tmp_path / "all.csv"
    code, _, err = run(capsys, "--csv", str(target))
    assert code == 0
    with open(target, newline="", encoding="utf-8") as f:
        exported = {int(r["observation_id"]): r for r in csv.DictReader(f)}
    with loaded.engine.connect() as conn:
        held = {o.id: o for o in conn.execute(select(Observation).where(Observation.superseded_at.is_(None)))}
        shas = dict(conn.execute(select(Snapshot.id, Snapshot.sha256)).all())
    assert set(exported) == set(held) and len(held) > 3000 and f"wrote {len(held):,} figures" in err
    for obs_id, obs in held.items():
        row = exported[obs_id]
        assert (float(row["value"]) if row["value"] else None) == obs.value  # exact, not approximately
        assert (row["sha256"], row["locator"], row["parser_version"]) == \
               (shas[obs.snapshot_id], obs.locator, obs.parser_version)
        assert row["period_start"] == obs.period_start.isoformat()


@PRELOADED
def test_kazakhstan_by_name_with_partner_flow_and_period(loaded, capsys):
    code, out, _ = run(capsys, "--geo", "Казахстан", "--partner", "Russia", "--flow", "export",
                       "--from", "2020", "--to", "2020", "--json")
    [row] = json_rows(out)
    assert code == 0 and row["value"] == pytest.approx(5_007_142_523.35, rel=1e-12)
    assert row["vintage"] == "2022-01-01" and row["locator"].startswith("cell:")


@PRELOADED
def test_all_versions_adds_the_superseded_one(loaded, capsys):
    args = ("--geo", "KAZ", "--partner", "RUS", "--flow", "X", "--from", "2020", "--to", "2020", "--json")
    assert len(json_rows(run(capsys, *args)[1])) == 1
    both = json_rows(run(capsys, *args, "--all-versions")[1])
    assert [r["value"] for r in both] == [pytest.approx(5_007_142_500.0, rel=1e-12),
                                          pytest.approx(5_007_142_523.35, rel=1e-12)]
    assert both[0]["superseded_at"] is not None and both[1]["superseded_at"] is None


@PRELOADED
def test_text_product_and_source_filters(loaded, capsys):
    cis = json_rows(run(capsys, "--text", "agg-cis", "--json")[1])
    assert {r["partner"] for r in cis} == {"AGG-CIS", "AGG-CIS-NON-EAEU"}  # the CIS and its non-EAEU part
    total = json_rows(run(capsys, "--source", KZ, "--product", "TOTAL", "--to", "2019", "--json")[1])
    assert total and {r["commodity"] for r in total} == {"TOTAL"} and {r["source_id"] for r in total} == {KZ}
    assert run(capsys, "--product", "8542", "--json")[1] == ""  # no HS-level table was recorded


@PRELOADED
def test_exports_are_read_in_chunks(loaded):
    filters = figures.check(loaded.engine, figures.Wanted(sources=[KZ]))
    parts = list(figures.chunks(loaded.engine, filters, size=500))
    assert len(parts) > 5 and max(len(p) for p in parts) == 500
    assert sum(len(p) for p in parts) == figures.count(loaded.engine, filters)


def test_periods_read_as_typed():
    assert figures.parse_period("2022-02") == (date(2022, 2, 1), date(2022, 2, 28))
    assert figures.parse_period("2024-12") == (date(2024, 12, 1), date(2024, 12, 31))
    assert figures.period_label(date(2022, 1, 1), date(2022, 12, 31)) == "2022"
    assert figures.period_label(date(2021, 12, 1), date(2021, 12, 31)) == "2021-12"


def test_an_export_under_way_does_not_hold_sqlite_s_write_lock(tmp_path):
    """A long export reads in a deferred transaction (warehouse.engine.reader_for): a loader can still take
    the write lock. SQLite only: PostgreSQL readers never block writers."""
    import sqlite3

    from sanctrace.settings import Settings
    from tests.conftest import REPLAY
    from warehouse.engine import reader_for
    from warehouse.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    upgrade(url)
    rt = pipeline.runtime(Settings(warehouse_url=url, snapshot_store=str(tmp_path / "snapshots"),
                                   replay_archive=REPLAY, fetch_mode="replay"))
    pipeline.register_sources(rt)
    assert runs.run_source(rt, UNHCR).ok
    engine = reader_for(url)
    reading = figures.chunks(engine, figures.check(engine, figures.Wanted()), size=10)
    assert len(next(reading)) == 10  # the export's transaction is open here
    writer = sqlite3.connect(str(tmp_path / "warehouse.db"), timeout=1, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # "database is locked" after 1 s if the reader held the write lock
    writer.execute("UPDATE source SET cadence = cadence")
    writer.execute("COMMIT")
    writer.close()
    assert sum(len(part) for part in reading) > 0
    engine.dispose()
