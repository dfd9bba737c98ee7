"""The loader on SQLite and PostgreSQL: idempotent, revision-keeping, all-or-nothing."""

from datetime import date, datetime, timezone

import pandas as pd
import pytest
from sqlalchemy import func, select, text

from sanctrace import runs
from tests.conftest import in_thread, postgres_only
from warehouse.loader import STAGE_COLS, LoadContext, LoadError, load_in_transaction, load_observations
from warehouse.models import Observation, Series

SOURCE = "unhcr-ukraine-refugees"


def frame(values: dict[str, float | None], vintage: date | None = None, sha: str | None = None) -> pd.DataFrame:
    rows = [{
        "indicator": "refugees_from_ukraine_recorded", "geo": geo, "partner": "UKR", "commodity": "",
        "flow": "", "unit": "persons", "period_start": date(2022, 8, 1), "period_end": date(2022, 8, 1),
        "value": value, "is_count": True, "method": "published", "locator": f"json:/data/{i}/individuals",
        "raw": str(value), "published_unit": "persons", "cites_url": None, "vintage": vintage, "flags": "",
        "snapshot_sha256": sha,
    } for i, (geo, value) in enumerate(values.items())]
    return pd.DataFrame(rows, columns=list(STAGE_COLS))


def count(rt, current_only: bool = False) -> int:
    query = select(func.count()).select_from(Observation)
    if current_only:
        query = query.where(Observation.superseded_at.is_(None))
    with rt.engine.connect() as conn:
        return conn.execute(query).scalar_one()


def ctx(**kw) -> LoadContext:
    return LoadContext(SOURCE, "1", **kw)


def test_second_load_adds_nothing_and_moves_last_seen(rt):
    first = load_observations(rt.engine, frame({"POL": 1256568, "DEU": 915000}), ctx())
    later = datetime(2030, 1, 1, tzinfo=timezone.utc)
    second = load_observations(rt.engine, frame({"POL": 1256568, "DEU": 915000}), ctx(now=later))
    assert (first.new, second.new, second.unchanged, second.revised) == (2, 0, 2, 0)
    assert count(rt) == 2
    with rt.engine.connect() as conn:
        seen = conn.execute(select(Observation.last_seen_at)).scalars().all()
    assert all(s.replace(tzinfo=timezone.utc) == later for s in seen)


def test_revised_value_keeps_both_versions(rt):
    load_observations(rt.engine, frame({"POL": 1256568}), ctx())
    result = load_observations(rt.engine, frame({"POL": 1300000}), ctx())
    assert (result.new, result.revised) == (0, 1)
    assert result.changes[0]["cur_value"] == 1256568 and result.changes[0]["value"] == 1300000
    with rt.engine.connect() as conn:
        versions = conn.execute(select(Observation.value, Observation.superseded_at)
                                .order_by(Observation.id)).all()
    assert versions[0][0] == 1256568 and versions[0][1] is not None
    assert versions[1] == (1300000, None)


def test_older_release_does_not_replace_the_current_version(rt):
    load_observations(rt.engine, frame({"RUS": 5007142.52335}, vintage=date(2022, 7, 1)), ctx())
    result = load_observations(rt.engine, frame({"RUS": 5007142.5}, vintage=date(2021, 7, 1)), ctx())
    assert (result.older, result.revised) == (1, 0)
    with rt.engine.connect() as conn:
        current = conn.execute(select(Observation.value).where(Observation.superseded_at.is_(None))).scalars().all()
    assert current == [5007142.52335] and count(rt) == 2
    again = load_observations(rt.engine, frame({"RUS": 5007142.5}, vintage=date(2021, 7, 1)), ctx())
    assert again.older == 1 and count(rt) == 2  # the historical version is not added twice


def test_failure_in_the_middle_leaves_the_warehouse_as_it_was(rt):
    load_observations(rt.engine, frame({"POL": 1256568}), ctx())
    good = frame({"POL": 1300000, "DEU": 915000})
    bad = frame({"FRA": -5})  # a negative count breaks the CHECK constraint after staging
    with pytest.raises(Exception):
        load_observations(rt.engine, [good, bad], ctx())
    assert count(rt) == 1 and count(rt, current_only=True) == 1
    with rt.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Series)).scalar_one() == 1
        assert conn.execute(select(Observation.value)).scalar_one() == 1256568


def test_same_figure_twice_in_a_batch_is_refused(rt):
    twice = pd.concat([frame({"POL": 1}), frame({"POL": 2})])
    with pytest.raises(LoadError, match="same figure twice"):
        load_observations(rt.engine, twice, ctx())
    assert count(rt) == 0


def test_missing_value_is_kept_as_missing_not_zero(rt):
    load_observations(rt.engine, frame({"LUX": None}), ctx())
    with rt.engine.connect() as conn:
        assert conn.execute(select(Observation.value)).scalar_one() is None
    assert load_observations(rt.engine, frame({"LUX": None}), ctx()).unchanged == 1


def test_check_constraints_hold_in_the_database(rt):
    with pytest.raises(Exception), rt.engine.begin() as conn:
        conn.execute(text("""INSERT INTO series (indicator, geo, partner, commodity, flow, unit)
                             VALUES ('x', 'POL', '', '', '', 'persons')"""))
        conn.execute(text("""INSERT INTO observation (series_id, period_start, period_end, value, is_count, method,
            source_id, locator, raw, published_unit, parser_version, first_seen_at, last_seen_at, flags)
            VALUES (1, '2022-08-02', '2022-08-01', 1, true, 'published', :s, 'l', '', '', '1',
                    '2022-01-01', '2022-01-01', '')"""), {"s": SOURCE})


def test_pipeline_loads_unhcr_and_skips_unchanged(rt):
    first = runs.run_source(rt, SOURCE)
    assert first.ok, first.failures
    assert (first.documents, first.new) == (4, 181)  # two dates (Apr, Aug 2022), two answers each
    second = runs.run_source(rt, SOURCE)
    assert second.skipped_unchanged and second.new == 0 and second.unchanged == 181
    forced = runs.run_source(rt, SOURCE, force=True)
    assert (forced.new, forced.unchanged, forced.revised) == (0, 181, 0)
    assert count(rt) == 181


def test_two_releases_of_one_figure_in_one_batch_load_oldest_first(rt):
    from transforms.common import by_vintage

    batch = pd.concat([frame({"POL": 1300000}, vintage=date(2022, 9, 1)),
                       frame({"POL": 1256568}, vintage=date(2022, 8, 5))], ignore_index=True)
    releases = by_vintage(batch)
    assert [r["vintage"].iloc[0] for r in releases] == [date(2022, 8, 5), date(2022, 9, 1)]
    for release in releases:
        load_observations(rt.engine, release, ctx())
    with rt.engine.connect() as conn:
        versions = conn.execute(select(Observation.value, Observation.superseded_at.is_(None))
                                .order_by(Observation.id)).all()
    assert versions == [(1256568, False), (1300000, True)]


def test_a_figure_citing_a_document_the_warehouse_does_not_hold_is_refused(rt):
    # The observation names its snapshot by id; a sha256 with no snapshot row would lose the figure's
    # provenance, so the whole batch is refused and names the sha256.
    unknown = "f" * 64
    with pytest.raises(LoadError, match=f"holds no snapshot of: {unknown}"):
        load_observations(rt.engine, frame({"POL": 1256568, "DEU": 915000}, sha=unknown), ctx())
    assert count(rt) == 0


@postgres_only
def test_two_sources_adding_the_same_new_series_at_once_share_it(rt):
    # The loader adds series without ON CONFLICT first; a load that meets a series another running load
    # just added waits for it, then adds what is still missing with ON CONFLICT.
    first = rt.engine.connect()
    tx = first.begin()
    load_in_transaction(first, [frame({"POL": 1256568, "DEU": 915000})], ctx())
    thread, box = in_thread(lambda: load_observations(rt.engine, frame({"POL": 1256568, "CZE": 433000}),
                                                      LoadContext("iom-dtm", "1")))
    thread.join(1.0)
    assert thread.is_alive(), "the second load waits on the first one's uncommitted series"
    tx.commit()
    first.close()
    thread.join(30)
    assert "error" not in box, box.get("error")
    assert box["result"].new == 2
    with rt.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Series)).scalar_one() == 3  # POL, DEU, CZE
    assert count(rt) == 4


@postgres_only
def test_a_big_load_refreshes_postgres_statistics_after_commit(rt, monkeypatch):
    # The next load plans its joins on them (a re-load of a million figures: classify 7.7 s -> 1.9 s).
    import warehouse.loader

    def analyzed() -> bool:
        with rt.engine.connect() as conn:
            return conn.execute(text("SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables "
                                     "WHERE relname = 'observation'")).scalar_one()

    monkeypatch.setattr(warehouse.loader, "ANALYZE_AFTER_ROWS", 3)
    load_observations(rt.engine, frame({"POL": 1256568, "DEU": 915000}), ctx())
    assert not analyzed()  # two figures: below the threshold
    load_observations(rt.engine, frame({"POL": 1256568, "DEU": 915000, "CZE": 1, "SVK": 2, "HUN": 3}), ctx())
    assert analyzed()


def test_a_batch_staged_in_many_row_statements_and_a_remainder_keeps_every_row(rt):
    # SQLite stages SQLITE_ROWS_PER_INSERT rows per statement and the rest one by one: 2 x 50 + 23.
    from warehouse.loader import SQLITE_ROWS_PER_INSERT

    values = {f"G{i:03d}": float(i) for i in range(2 * SQLITE_ROWS_PER_INSERT + 23)}
    result = load_observations(rt.engine, frame(values), ctx())
    assert result.new == len(values)
    with rt.engine.connect() as conn:
        stored = dict(conn.execute(select(Series.geo, Observation.value)
                                   .join(Series, Series.id == Observation.series_id)).all())
    assert stored == values


def test_a_frame_longer_than_a_staging_chunk_loads_every_row_once(rt, monkeypatch):
    # A frame is staged a chunk at a time (memory); chunks of 3 and, on SQLite, 2 rows per INSERT leave a
    # remainder in both, so every way a row can be staged is taken.
    from warehouse import loader

    monkeypatch.setattr(loader, "STAGE_CHUNK_ROWS", 3)
    monkeypatch.setattr(loader, "SQLITE_ROWS_PER_INSERT", 2)
    values = {"POL": 1256568, "DEU": 915000, "CZE": 432000, "FRA": None, "ITA": 152000, "ESP": 145000,
              "ROU": 88000}
    result = load_observations(rt.engine, frame(values), ctx())
    assert (result.new, count(rt)) == (7, 7)
    with rt.engine.connect() as conn:
        stored = dict(conn.execute(select(Series.geo, Observation.value)
                                   .join(Series, Series.id == Observation.series_id)).all())
    assert stored == values


def stored_rows(rt) -> list[tuple]:
    with rt.engine.connect() as conn:
        return conn.execute(select(Series.geo, Series.commodity, Observation.period_start, Observation.period_end,
                                   Observation.value, Observation.raw, Observation.cites_url,
                                   Observation.vintage).join(Series, Series.id == Observation.series_id)
                            .order_by(Series.geo)).all()


def test_columns_of_other_python_types_are_stored_as_their_kind(rt):
    # PostgreSQL stages by binary COPY, which takes only a str, a float and a date for those kinds; a
    # frame built otherwise (numbers in a text column, whole numbers as values, ISO text, timestamps and
    # pandas' NA for gaps) must be stored exactly as the frame the transforms build.
    plain = frame({"POL": 1256568.0, "DEU": None}, vintage=date(2022, 7, 1))
    other = plain.astype({"commodity": object, "value": object, "raw": object})
    other["commodity"] = [8542, 8806]
    other["value"] = [1256568, pd.NA]
    other["raw"] = [1256568, "None"]
    other["period_start"] = ["2022-08-01", "2022-08-01"]
    other["period_end"] = pd.to_datetime(["2022-08-01", "2022-08-01"])
    other["vintage"] = [datetime(2022, 7, 1), datetime(2022, 7, 1)]
    load_observations(rt.engine, other, ctx())
    assert stored_rows(rt) == [("DEU", "8806", date(2022, 8, 1), date(2022, 8, 1), None, "None", None,
                                date(2022, 7, 1)),
                               ("POL", "8542", date(2022, 8, 1), date(2022, 8, 1), 1256568.0, "1256568", None,
                                date(2022, 7, 1))]


def test_a_date_column_holding_no_date_is_refused_by_name(rt):
    bad = frame({"POL": 1256568})
    bad["period_end"] = ["August 2022"]
    with pytest.raises(LoadError, match="period_end holds 'August 2022', which is not a date"):
        load_observations(rt.engine, bad, ctx())
    assert count(rt) == 0
