"""`sanctrace history` on Kazakhstan's recorded releases, SQLite and PostgreSQL: both versions of the 2020
exports to Russia with their documents and why the older one was superseded, the same figure from another
source and the partner's mirror figure beside them, and the superseded_reason column where it exists."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from sanctrace import cli
from sanctrace.history import history
from tests.conftest import snapshot_sha
from warehouse.loader import STAGE_COLS, LoadContext, load_observations
from warehouse.models import Observation, Series

KZ = "kz-stat-trade"
EXACT = dict(rel=1e-12)


pytestmark = pytest.mark.preloaded(KZ)


@pytest.fixture
def loaded(rt, env_settings):
    return rt


def kz_2020_exports_to_russia(rt) -> list[Observation]:
    with Session(rt.engine, expire_on_commit=False) as session:
        return list(session.execute(
            select(Observation).join(Series, Series.id == Observation.series_id)
            .where(Observation.source_id == KZ, Series.geo == "KAZ", Series.partner == "RUS",
                   Series.flow == "X", Series.indicator == "trade_value",
                   Observation.period_start == date(2020, 1, 1))
            .order_by(Observation.id)).scalars())


def figure(geo: str, partner: str, flow: str, value: float, vintage: date | None = None) -> pd.DataFrame:
    """One generated figure through the loader (the recorded Comtrade response holds no Kazakhstan rows)."""
    return pd.DataFrame([{
        "indicator": "trade_value", "geo": geo, "partner": partner, "commodity": "TOTAL", "flow": flow,
        "unit": "USD", "period_start": date(2020, 1, 1), "period_end": date(2020, 12, 31), "value": value,
        "is_count": False, "method": "published", "locator": "json:/data/0/primaryValue", "raw": str(value),
        "published_unit": "USD", "cites_url": None, "vintage": vintage, "flags": "", "snapshot_sha256": None,
    }], columns=list(STAGE_COLS))


def test_both_versions_of_kazakhstans_2020_exports_to_russia(loaded):
    old, new = kz_2020_exports_to_russia(loaded)
    for asked in (old.id, new.id):
        found = history(loaded.engine, asked)
        assert found["period"] == "2020" and found["source_id"] == KZ
        first, second = found["versions"]
        assert (first["id"], second["id"]) == (old.id, new.id)
        assert first["value"] == pytest.approx(5_007_142_500.0, **EXACT)
        assert second["value"] == pytest.approx(5_007_142_523.35, **EXACT)
        assert (first["raw"], first["vintage"], second["raw"], second["vintage"]) == \
               ("5007142.5", date(2021, 1, 1), "5007142.52335", date(2022, 1, 1))
        old_sha, new_sha = snapshot_sha(loaded.engine, old.snapshot_id), snapshot_sha(loaded.engine, new.snapshot_id)
        assert first["sha256"] == old_sha != second["sha256"] == new_sha
        # the Bureau's file ids were not kept: the replay stands in /api/iblock/element/not-kept-<year>/
        assert first["url"].endswith("not-kept-2020/file/ru/") and second["url"].endswith("not-kept-2021/file/ru/")
        assert not first["current"] and first["superseded_at"] is not None and second["current"]
        assert (first["superseded_reason"], first["superseded_by"]) == ("revised", new.id)
        assert first["first_seen_at"] and first["last_seen_at"]


def test_cli_prints_both_versions_and_exits_2_for_an_unknown_id(loaded, capsys):
    old, new = kz_2020_exports_to_russia(loaded)
    assert cli.main(["history", str(new.id)]) == 0
    out = capsys.readouterr().out
    assert "5,007,142,500 USD" in out and "5,007,142,523.35 USD" in out
    assert f"(revised) -> #{new.id}" in out and "current" in out
    assert snapshot_sha(loaded.engine, old.snapshot_id) in out
    assert cli.main(["history", "999999999"]) == 2
    assert "no observation 999999999" in capsys.readouterr().err


def test_other_sources_and_the_mirror_figure_stand_beside_it(loaded):
    load_observations(loaded.engine, figure("KAZ", "RUS", "X", 5.1e9), LoadContext("un-comtrade", "test"))
    load_observations(loaded.engine, figure("RUS", "KAZ", "M", 6.2e9), LoadContext("un-comtrade", "test"))
    old, _ = kz_2020_exports_to_russia(loaded)
    found = history(loaded.engine, old.id)
    assert [(o["source_id"], o["value"], o["current"]) for o in found["other_sources"]] == \
           [("un-comtrade", 5.1e9, True)]
    assert [(m["source_id"], m["value"]) for m in found["mirror"]] == [("un-comtrade", 6.2e9)]
    assert len(found["versions"]) == 2  # the other sources' figures are not versions of this one


def test_an_older_release_loaded_late_is_kept_as_history(loaded):
    ctx = LoadContext("un-comtrade", "test")
    load_observations(loaded.engine, figure("KGZ", "RUS", "X", 2.0e9, date(2022, 1, 1)), ctx)
    load_observations(loaded.engine, figure("KGZ", "RUS", "X", 1.9e9, date(2021, 1, 1)), ctx)
    load_observations(loaded.engine, figure("KGZ", "RUS", "X", 2.1e9, date(2023, 1, 1)), ctx)
    with loaded.engine.connect() as conn:
        first = conn.execute(text("SELECT MIN(o.id) FROM observation o JOIN series s ON s.id = o.series_id "
                                  "WHERE s.geo = 'KGZ' AND o.source_id = 'un-comtrade'")).scalar_one()
    versions = history(loaded.engine, first)["versions"]
    assert [(v["value"], v["superseded_reason"]) for v in versions] == \
           [(2.0e9, "revised"), (1.9e9, "older_release"), (2.1e9, None)]
    assert versions[1]["superseded_by"] == versions[0]["id"] and versions[0]["superseded_by"] == versions[2]["id"]


def test_the_superseded_reason_column_wins_over_the_derived_reason(loaded):
    old, new = kz_2020_exports_to_russia(loaded)
    with loaded.engine.begin() as conn:
        conn.execute(text("UPDATE observation SET superseded_reason = 'withdrawn', superseded_run_id = 'run-7' "
                          "WHERE id = :id"), {"id": old.id})
    first, second = history(loaded.engine, new.id)["versions"]
    assert (first["superseded_reason"], first["superseded_run_id"]) == ("withdrawn", "run-7")
    assert second["superseded_reason"] is None
