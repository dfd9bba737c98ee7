"""`sanctrace export-sqlite`: a warehouse (SQLite or PostgreSQL) copied whole into a new SQLite file,
the way a PostgreSQL warehouse is browsed with Datasette."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from sanctrace import cli, runs
from sanctrace.sqlite_export import export_sqlite
from warehouse.engine import make_engine

TABLES = ("source", "snapshot", "fetch", "parseddocument", "series", "observation", "derivation", "trade_watch")
FIGURES = ("SELECT o.id, o.value, o.superseded_at IS NULL AS current, n.sha256, s.indicator, s.geo, "
           "s.partner, s.flow FROM observation o JOIN series s ON s.id = o.series_id "
           "LEFT JOIN snapshot n ON n.id = o.snapshot_id ORDER BY o.id")


def counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT COUNT(*) FROM \"{t}\"")).scalar_one() for t in TABLES}


def test_every_row_and_the_trade_watch_view_arrive(rt, tmp_path):
    for source in ("ohchr-casualties", "kz-stat-trade"):
        assert runs.run_source(rt, source).ok
    target = tmp_path / "copy.db"
    copied = export_sqlite(rt.engine, target)
    copy = make_engine(f"sqlite:///{target}")
    try:
        assert counts(copy) == counts(rt.engine) and copied["observation"] == counts(rt.engine)["observation"]
        with rt.engine.connect() as a, copy.connect() as b:
            assert [tuple(r) for r in a.execute(text(FIGURES))] == [tuple(r) for r in b.execute(text(FIGURES))]
            watch = "SELECT exports_to_rus_usd FROM trade_watch WHERE reporter = 'KAZ' AND year = 2022"
            assert b.execute(text(watch)).scalar_one() == pytest.approx(9_091_390_916.9, rel=1e-12)
    finally:
        copy.dispose()
    with pytest.raises(FileExistsError):
        export_sqlite(rt.engine, target)


def test_browse_refuses_postgresql_and_names_the_export(monkeypatch, capsys):
    from sanctrace.settings import reset_settings

    monkeypatch.setenv("SANCTRACE_WAREHOUSE_URL", "postgresql://postgres@127.0.0.1:5432/nowhere")
    reset_settings()
    try:
        assert cli.main(["browse"]) == 2
    finally:
        reset_settings()
    err = capsys.readouterr().err
    assert "SQLite warehouse only" in err and "sanctrace export-sqlite FILE" in err
