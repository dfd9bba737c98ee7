"""Revision 0005 (the lean observation row) moves a warehouse filled in the old schema (0004) to the new
one, on both databases, without losing a version or a provenance link; and back (downgrade)."""

from __future__ import annotations

import pytest
from sqlalchemy import MetaData, insert, text

from sanctrace import pipeline, runs
from tests.conftest import migrated_warehouse
from warehouse.engine import make_engine
from warehouse.migrate import downgrade, upgrade

# Revisions and older releases (the national trade files), derived figures (OHCHR's sums), notices and
# designations (the consolidated list), discovered candidates (IOM's HDX index).
SOURCES = ("kz-stat-trade", "kg-stat-trade", "ohchr-casualties", "eu-fsf-consolidated", "iom-dtm-idps")
TABLES = ("source", "snapshot", "fetch", "parseddocument", "discovered_document", "series", "observation",
          "derivation", "notice", "designation")
SERIAL = ("fetch", "series", "observation", "designation")
OBSERVATION = """SELECT o.id, o.series_id, o.period_start, o.period_end, o.value, o.source_id, {sha}, o.locator,
    o.raw, o.method, o.parser_version, o.flow_run_id, o.first_seen_at, o.last_seen_at, o.superseded_at,
    o.superseded_reason, o.superseded_run_id, o.vintage FROM observation o {join} ORDER BY o.id"""
pytestmark = pytest.mark.preloaded(*SOURCES)


def fingerprint(engine, lean: bool) -> dict[str, list]:
    """Every figure's version with the sha256 of its document, and every other provenance link."""
    sha, join = (("n.sha256", "LEFT JOIN snapshot n ON n.id = o.snapshot_id") if lean
                 else ("o.snapshot_sha256", ""))
    queries = {
        "observation": OBSERVATION.format(sha=sha, join=join),
        "derivation": "SELECT observation_id, input_observation_id FROM derivation ORDER BY 1, 2",
        "notice": "SELECT id, snapshot_sha256, locator FROM notice ORDER BY id",
        "designation": "SELECT id, logical_id, snapshot_sha256, delisted_at FROM designation ORDER BY id",
        "snapshot": "SELECT sha256, url, storage_uri, size_bytes FROM snapshot ORDER BY sha256",
    }
    with engine.connect() as conn:
        return {name: [tuple(row) for row in conn.execute(text(sql))] for name, sql in queries.items()}


def copy_into_old_schema(new, old) -> None:
    """The loaded warehouse's rows written into a warehouse at revision 0004, in its own columns."""
    tables_new, tables_old = MetaData(), MetaData()
    tables_new.reflect(new)
    tables_old.reflect(old)
    with new.connect() as conn:
        shas = dict(conn.execute(text("SELECT id, sha256 FROM snapshot")).all())
        rows = {name: [dict(r) for r in conn.execute(tables_new.tables[name].select()).mappings()] for name in TABLES}
    for row in rows["observation"]:
        row["snapshot_sha256"] = shas.get(row.pop("snapshot_id"))
    with old.begin() as conn:
        for name in TABLES:
            keep = set(tables_old.tables[name].columns.keys())
            if rows[name]:
                conn.execute(insert(tables_old.tables[name]), [{k: v for k, v in r.items() if k in keep}
                                                                 for r in rows[name]])
        if old.dialect.name == "postgresql":  # as an old warehouse's sequences would stand
            for name in SERIAL:
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                  f'(SELECT COALESCE(MAX(id), 1) FROM "{name}"))'))


def test_an_old_warehouse_keeps_every_version_and_link_both_ways(rt, tmp_path):
    loaded = fingerprint(rt.engine, lean=True)
    superseded = [o for o in loaded["observation"] if o[14] is not None]
    assert superseded and loaded["derivation"] and loaded["notice"] and loaded["designation"]
    assert all(o[6] is not None for o in loaded["observation"] if o[9] == "published")  # each cites its bytes
    with migrated_warehouse(rt.engine.dialect.name, tmp_path / "old.db", revision="0004") as url:
        old = make_engine(url)
        copy_into_old_schema(rt.engine, old)
        assert fingerprint(old, lean=False) == loaded
        upgrade(url)
        assert fingerprint(old, lean=True) == loaded
        assert series_collations(old) == ({"C"} if old.dialect.name == "postgresql" else {None})  # byte order
        downgrade(url, "0004")
        assert fingerprint(old, lean=False) == loaded
        upgrade(url)
        assert fingerprint(old, lean=True) == loaded
        old.dispose()
        _takes_a_new_load(rt, url, tmp_path)


def series_collations(engine) -> set[str | None]:
    if engine.dialect.name != "postgresql":
        return {None}
    with engine.connect() as conn:
        return set(conn.execute(text("SELECT collation_name FROM information_schema.columns "
                                     "WHERE table_name = 'series' AND data_type = 'character varying'")).scalars())


def _takes_a_new_load(rt, url: str, tmp_path) -> None:
    settings = rt.settings.model_copy(update={"warehouse_url": url, "snapshot_store": str(tmp_path / "store")})
    migrated = pipeline.runtime(settings)
    report = runs.run_source(migrated, "unhcr-ukraine-refugees")
    assert report.ok and report.new > 0, report.failures
    with migrated.engine.connect() as conn:
        uncited = conn.execute(text("SELECT COUNT(*) FROM observation o WHERE o.source_id = :s AND NOT EXISTS "
                                    "(SELECT 1 FROM snapshot n WHERE n.id = o.snapshot_id)"),
                               {"s": "unhcr-ukraine-refugees"}).scalar_one()
    assert uncited == 0
    migrated.engine.dispose()
