"""collect_all under a real (throwaway) Prefect server, replaying the recorded documents."""

from sqlalchemy import func, select

from flows.collect_all import collect_all
from warehouse.engine import engine_for
from warehouse.models import Observation


def observations(url: str) -> int:
    with engine_for(url).connect() as conn:
        return conn.execute(select(func.count()).select_from(Observation)).scalar_one()


def test_collect_all_fills_the_warehouse_and_a_rerun_adds_nothing(prefect_harness, env_settings):
    first = collect_all(return_state=True)
    reports = first.result(raise_on_failure=False)
    assert first.is_completed(), [r["failures"] for r in reports]
    unhcr = next(r for r in reports if r["source_id"] == "unhcr-ukraine-refugees")
    assert unhcr["new"] == 113
    loaded = observations(env_settings.warehouse_url)
    assert loaded >= 113

    second = collect_all(return_state=True).result(raise_on_failure=False)
    assert sum(r["new"] for r in second) == 0 and sum(r["revised"] for r in second) == 0
    assert observations(env_settings.warehouse_url) == loaded


def test_bad_parameters_fail_before_any_fetch(prefect_harness, env_settings):
    state = collect_all(sources=["no-such-source"], return_state=True)
    assert state.is_failed() and "sources" in str(state.result(raise_on_failure=False))
    state = collect_all(start="2024-05-01", end="2024-04-01", return_state=True)
    assert state.is_failed() and "start" in str(state.result(raise_on_failure=False))
    assert observations(env_settings.warehouse_url) == 0
