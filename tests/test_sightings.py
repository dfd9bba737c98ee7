"""A figure's "last seen" kept once per document (warehouse/sightings.py, revision 0007), on both
databases: a document read again whole writes no figure, and every figure's last seen is still what a
per-figure stamp would say, through reloads, partial reads, revisions, withdrawals and a downgrade."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select, text

from sanctrace import runs
from tests.test_loader import SOURCE, frame
from warehouse import sightings
from warehouse.loader import LoadContext, load_batch, load_observations
from warehouse.migrate import downgrade, upgrade
from warehouse.models import Observation, Snapshot

T0 = datetime(2030, 1, 1, tzinfo=timezone.utc)
T1, T2, T3 = (T0 + timedelta(days=n) for n in (1, 2, 3))
A, B = "a" * 64, "b" * 64


def utc(moment: datetime | str) -> datetime:
    if isinstance(moment, str):  # SQLite hands a CASE over timestamps back as its stored text
        moment = datetime.fromisoformat(moment)
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def seen_by_id(engine) -> dict[int, tuple[bool, datetime]]:
    """Each figure's id -> (current, its last seen as every reader takes it)."""
    query = sightings.with_sightings(
        select(Observation.id, Observation.superseded_at.is_(None), sightings.last_seen_at()))
    with engine.connect() as conn:
        return {i: (current, utc(seen)) for i, current, seen in conn.execute(query)}


def last_seen(engine) -> dict[tuple[str, bool], datetime]:
    """(geo, current) -> the figure's last seen (the loader tests' figures differ by geo)."""
    geos = geo_of(engine)
    return {(geos[i], current): seen for i, (current, seen) in seen_by_id(engine).items()}


def stored(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT id, last_seen_at, superseded_at FROM observation ORDER BY id"))]


def geo_of(engine) -> dict[int, str]:
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT o.id, s.geo FROM observation o JOIN series s ON s.id = o.series_id"))
                    .all())


def add_snapshots(engine) -> None:
    with engine.begin() as conn:
        for sha in (A, B):
            conn.execute(Snapshot.__table__.insert().values(
                sha256=sha, source_id=SOURCE, url=f"https://example.org/{sha[0]}", fetched_at=T0,
                http_status=200, headers="{}", size_bytes=0, storage_uri="x"))


def load(engine, values: dict, sha: str, now: datetime):
    return load_observations(engine, frame(values, sha=sha), LoadContext(SOURCE, "1", now=now))


def test_reading_the_recorded_documents_again_writes_no_figure(rt):
    first = runs.run_source(rt, SOURCE)
    assert first.ok and first.new == 181, first.failures
    before = stored(rt.engine)
    forced = runs.run_source(rt, SOURCE, force=True)  # parsed and loaded again: all the same
    assert (forced.new, forced.unchanged, forced.revised) == (0, 181, 0)
    assert stored(rt.engine) == before
    after_forced = seen_by_id(rt.engine)
    assert all(after_forced[i][1] > utc(at) for i, at, _ in before)
    skipped = runs.run_source(rt, SOURCE)  # already parsed: only the documents' sightings move
    assert skipped.skipped_unchanged and skipped.unchanged == 181
    assert stored(rt.engine) == before
    after_skipped = seen_by_id(rt.engine)
    assert all(after_skipped[i][1] > after_forced[i][1] for i, _, _ in before)
    with rt.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM document_sighting")).scalar_one() == 4


def test_a_document_found_whole_moves_every_figure_without_writing_one(rt):
    add_snapshots(rt.engine)
    load(rt.engine, {"POL": 1256568, "DEU": 915000}, A, T0)
    before = stored(rt.engine)
    result = load(rt.engine, {"POL": 1256568, "DEU": 915000}, A, T1)
    assert (result.new, result.unchanged) == (0, 2)
    assert stored(rt.engine) == before
    assert last_seen(rt.engine) == {("POL", True): T1, ("DEU", True): T1}


def test_a_document_found_in_part_moves_only_the_figures_found(rt):
    add_snapshots(rt.engine)
    load(rt.engine, {"POL": 1256568, "DEU": 915000}, A, T0)
    load(rt.engine, {"POL": 1256568}, A, T1)  # no withdrawal here: DEU stays current, not seen
    assert last_seen(rt.engine) == {("POL", True): T1, ("DEU", True): T0}
    with rt.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM document_sighting")).scalar_one() == 0


def test_figures_found_in_another_document(rt):
    add_snapshots(rt.engine)
    load(rt.engine, {"POL": 1256568, "DEU": 915000}, A, T0)
    load(rt.engine, {"POL": 1256568, "DEU": 915000}, B, T1)  # B repeats all of A: A was seen whole
    assert last_seen(rt.engine) == {("POL", True): T1, ("DEU", True): T1}
    load(rt.engine, {"POL": 1256568}, B, T2)  # B repeats part of A: only that figure moves
    assert last_seen(rt.engine) == {("POL", True): T2, ("DEU", True): T1}


def test_a_revised_figure_keeps_the_last_seen_it_had_when_it_was_closed(rt):
    add_snapshots(rt.engine)
    load(rt.engine, {"POL": 1256568, "DEU": 915000}, A, T0)
    load(rt.engine, {"POL": 1256568, "DEU": 915000}, A, T1)
    load(rt.engine, {"POL": 1300000, "DEU": 915000}, A, T2)  # POL revised, DEU the same
    assert last_seen(rt.engine) == {("POL", False): T1, ("POL", True): T2, ("DEU", True): T2}
    load(rt.engine, {"POL": 1300000, "DEU": 915000}, A, T3)  # later sightings leave the closed one
    assert last_seen(rt.engine) == {("POL", False): T1, ("POL", True): T3, ("DEU", True): T3}
    closed = [row for row in stored(rt.engine) if row[2] is not None]
    assert [utc(row[1]) for row in closed] == [T1]  # frozen in the row itself


def test_a_withdrawn_figure_was_last_seen_before_the_read_that_dropped_it(rt):
    add_snapshots(rt.engine)
    load(rt.engine, {"POL": 1256568, "DEU": 915000}, A, T0)
    load(rt.engine, {"POL": 1256568, "DEU": 915000}, A, T1)
    with rt.engine.begin() as conn:  # A read again at T2 yields POL only: DEU is withdrawn
        result = load_batch(conn, [frame({"POL": 1256568}, sha=A)], LoadContext(SOURCE, "1", now=T2),
                            reread=[A])
    assert result.withdrawn == 1
    assert last_seen(rt.engine) == {("POL", True): T2, ("DEU", False): T1}


def test_a_downgrade_folds_the_sightings_back_into_the_figures(rt):
    add_snapshots(rt.engine)
    load(rt.engine, {"POL": 1256568, "DEU": 915000}, A, T0)
    load(rt.engine, {"POL": 1300000, "DEU": 915000}, A, T1)
    load(rt.engine, {"POL": 1300000, "DEU": 915000}, A, T2)
    seen = last_seen(rt.engine)
    assert seen == {("POL", False): T0, ("POL", True): T2, ("DEU", True): T2}
    url = rt.engine.url.render_as_string(hide_password=False)
    rt.engine.dispose()
    downgrade(url, "0006")
    with rt.engine.connect() as conn:
        rows = conn.execute(text("SELECT o.id, o.last_seen_at FROM observation o ORDER BY o.id")).all()
    geos = geo_of(rt.engine)
    assert sorted(utc(at) for _, at in rows) == sorted(seen.values())
    assert {geos[i] for i, at in rows if utc(at) == T2} == {"POL", "DEU"}
    upgrade(url)
    assert last_seen(rt.engine) == seen
