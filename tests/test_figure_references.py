"""Every figure names an existing series and snapshot, and neither can be removed while a figure names it.

SQLite checks this with foreign keys; PostgreSQL (revision 0006, the snapshot lookup of 0008) with
triggers that check each statement's rows at once (warehouse/migrations/versions/0006_statement_level_references.py). The same
cases run on both; the concurrent ones, which only PostgreSQL has, run there.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from tests.conftest import in_thread, postgres_only
from warehouse.engine import make_engine
from warehouse.migrate import downgrade, upgrade

NOW = datetime(2026, 11, 30, tzinfo=timezone.utc)
FIGURE = """INSERT INTO observation (series_id, snapshot_id, period_start, period_end, value, is_count,
    method, source_id, locator, raw, published_unit, parser_version, first_seen_at, last_seen_at, flags)
    VALUES (:series, :snapshot, '2024-01-01', '2024-12-31', 1.5, false, 'published', 'src', :locator, '1.5',
            'USD', '1', :now, :now, '')"""


@pytest.fixture
def engine(warehouse_url):
    engine = make_engine(warehouse_url)
    with engine.begin() as conn:
        conn.execute(text("""INSERT INTO source (id, family, publisher, name, homepage, licence, cadence,
                             parser_version) VALUES ('src', 'trade', 'p', 'n', '', '', '', '1')"""))
        for n in (1, 2):
            conn.execute(text("""INSERT INTO snapshot (id, sha256, source_id, url, method, query, fetched_at,
                                 http_status, content_type, headers, size_bytes, storage_uri)
                                 VALUES (:n, :sha, 'src', 'u', 'GET', '', :now, 200, '', '{}', 0, 'x')"""),
                         {"n": n, "sha": str(n) * 64, "now": NOW})
            conn.execute(text("""INSERT INTO series (id, indicator, geo, partner, commodity, flow, unit)
                                 VALUES (:n, 'trade_value', 'KAZ', 'RUS', :c, 'export', 'USD')"""),
                         {"n": n, "c": f"85423{n}"})
        conn.execute(text(FIGURE), figure(series=1, snapshot=1))
    yield engine
    engine.dispose()


def figure(series: int, snapshot: int | None, locator: str = "row=1") -> dict:
    return {"series": series, "snapshot": snapshot, "locator": locator, "now": NOW}


def figures(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM observation")).scalar_one()


@pytest.mark.parametrize("series, snapshot", [(99, 1), (1, 99)])
def test_a_figure_naming_a_missing_series_or_snapshot_is_refused(engine, series, snapshot):
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text(FIGURE), [figure(1, 1, "row=2"), figure(series, snapshot, "row=3")])
    assert figures(engine) == 1  # the whole statement, the good row too


def test_a_figure_without_a_snapshot_is_allowed(engine):
    # Derived figures are computed, not read from a document.
    with engine.begin() as conn:
        conn.execute(text(FIGURE), figure(2, None))
    assert figures(engine) == 2


@postgres_only
def test_a_bulk_copy_with_one_orphan_is_refused(engine):
    import psycopg

    raw = engine.raw_connection()
    try:
        with pytest.raises(psycopg.errors.ForeignKeyViolation, match="names series 99"):
            with raw.driver_connection.cursor().copy(
                    "COPY observation (series_id, snapshot_id, period_start, period_end, is_count, method, source_id, "
                    "locator, raw, published_unit, flags, parser_version, first_seen_at, last_seen_at) "
                    "FROM STDIN") as copy:
                for n, series in enumerate((2, 99)):
                    copy.write_row((series, 1, "2024-01-01", "2024-12-31", False, "published", "src",
                                    f"row={n}", "", "", "", "1", NOW, NOW))
        raw.rollback()
    finally:
        raw.close()
    assert figures(engine) == 1


MANY_FIGURES = """INSERT INTO observation (series_id, snapshot_id, period_start, period_end, is_count, method,
    source_id, locator, raw, published_unit, flags, parser_version, first_seen_at, last_seen_at)
    SELECT 1, CASE WHEN y = 1999 THEN 99 ELSE 1 END, make_date(y, 1, 1), make_date(y, 12, 31), false,
           'published', 'src', 'row=' || y, '', '', '', '1', :now, :now FROM generate_series(1951, 1999) AS y"""


def _check_body(engine) -> str:
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_get_functiondef('figure_parents_exist'::regproc)")).scalar_one()


@postgres_only
def test_the_snapshot_check_looks_each_snapshot_up_once_and_0007_restores_the_per_figure_lookup(
        engine, warehouse_url):
    # Revision 0008 changed only how the snapshot is looked up; an orphan among many figures of one
    # snapshot is refused under both bodies, and each migration installs the body it names.
    def orphan_refused() -> None:  # one statement: 48 figures of snapshot 1, the last of snapshot 99
        with pytest.raises(IntegrityError, match="names snapshot 99"), engine.begin() as conn:
            conn.execute(text(MANY_FIGURES), {"now": NOW})
        assert figures(engine) == 1

    assert "SELECT DISTINCT snapshot_id FROM new_figures" in _check_body(engine)
    orphan_refused()
    engine.dispose()
    downgrade(warehouse_url, "0007")
    assert "DISTINCT" not in _check_body(engine)
    orphan_refused()
    engine.dispose()
    upgrade(warehouse_url)
    assert "SELECT DISTINCT snapshot_id FROM new_figures" in _check_body(engine)
    orphan_refused()


@pytest.mark.parametrize("table, column, value", [("observation", "series_id", 99),
                                                  ("observation", "snapshot_id", 99)])
def test_pointing_a_figure_at_a_missing_parent_is_refused(engine, table, column, value):
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text(f"UPDATE {table} SET {column} = :v"), {"v": value})


@pytest.mark.parametrize("statement", ["UPDATE observation SET series_id = 2",
                                       "UPDATE observation SET snapshot_id = 2",
                                       "UPDATE series SET id = 50 WHERE id = 2",
                                       "UPDATE snapshot SET id = 50 WHERE id = 2"])
@postgres_only
def test_postgres_never_changes_a_key_that_figures_name_by(engine, statement):
    # Stricter than a foreign key (which allows re-pointing to another existing row): nothing here
    # re-points a figure, and refusing it keeps the check to inserts.
    with pytest.raises(IntegrityError, match="refused"), engine.begin() as conn:
        conn.execute(text(statement))


def test_the_figures_other_columns_still_update(engine):
    with engine.begin() as conn:
        conn.execute(text("UPDATE observation SET last_seen_at = :t, series_id = 1"), {"t": NOW})
    assert figures(engine) == 1


@pytest.mark.parametrize("table", ["series", "snapshot"])
def test_a_named_parent_cannot_be_deleted_an_unnamed_one_can(engine, table):
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text(f"DELETE FROM {table} WHERE id = 1"))
    with engine.begin() as conn:
        conn.execute(text(f"DELETE FROM {table} WHERE id = 2"))
        assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 1


@pytest.mark.parametrize("table", ["series", "snapshot"])
@postgres_only
def test_postgres_refuses_to_truncate_a_named_parent(engine, table):
    # CASCADE: the notices' foreign keys to snapshot would refuse a plain TRUNCATE by themselves.
    with pytest.raises(IntegrityError, match="removes rows that figures name"), engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {table} CASCADE"))
    assert figures(engine) == 1


DELETE_SERIES = "DELETE FROM series WHERE id = 2"


def _second_waits_for_first_then_fails(engine, first: str, first_params: dict, second: str,
                                       second_params: dict) -> None:
    """Run ``first`` in an open transaction; ``second`` in another one must wait for it, and once the
    first commits, fail with a foreign-key error."""
    holder = engine.connect()
    tx = holder.begin()
    holder.execute(text(first), first_params)

    def run_second():
        with engine.begin() as conn:
            conn.execute(text(second), second_params)

    thread, box = in_thread(run_second)
    time.sleep(0.5)
    assert thread.is_alive(), "the second transaction must wait for the first"
    tx.commit()
    holder.close()
    thread.join(10)
    assert isinstance(box.get("error"), IntegrityError), box


@postgres_only
def test_a_delete_waits_for_a_running_load_then_sees_its_figures(engine):
    # The load is not committed yet: a delete's snapshot alone could not see its figure.
    _second_waits_for_first_then_fails(engine, FIGURE, figure(2, 2), DELETE_SERIES, {})
    assert figures(engine) == 2


@postgres_only
def test_a_load_waits_for_a_running_delete_then_sees_the_row_gone(engine):
    # No figure names series 2 when it is deleted; the delete holds observation until it commits.
    _second_waits_for_first_then_fails(engine, DELETE_SERIES, {}, FIGURE, figure(2, 2))
    assert figures(engine) == 1


@postgres_only
def test_a_repeatable_read_load_cannot_name_a_row_deleted_after_its_snapshot(engine):
    with engine.connect() as load:
        load.execution_options(isolation_level="REPEATABLE READ")
        with load.begin():
            load.execute(text("SELECT count(*) FROM series")).scalar_one()  # its snapshot: series 2 there
            with engine.begin() as conn:
                conn.execute(text(DELETE_SERIES))
            with pytest.raises(DBAPIError, match="could not serialize|not in table"):
                load.execute(text(FIGURE), figure(2, 2))
    assert figures(engine) == 1


@postgres_only
def test_a_delete_under_repeatable_read_is_refused(engine):
    # Its snapshot could miss a figure committed after it began.
    with engine.connect() as conn:
        conn.execution_options(isolation_level="REPEATABLE READ")
        with pytest.raises(DBAPIError, match="only under READ COMMITTED"), conn.begin():
            conn.execute(text(DELETE_SERIES))
