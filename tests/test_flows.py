"""collect_all under the session's Prefect server, replaying the recorded documents."""

import pytest
from sqlalchemy import func, select

from flows.collect_all import collect_all
from warehouse.engine import engine_for
from warehouse.models import Observation


def observations(url: str) -> int:
    with engine_for(url).connect() as conn:
        return conn.execute(select(func.count()).select_from(Observation)).scalar_one()


# In `make reliability`. In `make test` collect_all is run by tests/test_concurrency.py twice at once on
# each database (every figure of one plain run; each source loaded by one run, unchanged for the other),
# from its deployment by tests/test_deploy.py, and with the snapshots on S3 by tests/test_s3_store.py.
@pytest.mark.slow
def test_collect_all_fills_the_warehouse_and_a_rerun_adds_nothing(prefect_harness, env_settings):
    first = collect_all(return_state=True)
    reports = first.result(raise_on_failure=False)
    assert first.is_completed(), [r["failures"] for r in reports]
    unhcr = next(r for r in reports if r["source_id"] == "unhcr-ukraine-refugees")
    assert unhcr["new"] == 181  # August 2022: 44 countries + 69 days; April 2022: 7 countries + 61 days
    loaded = observations(env_settings.warehouse_url)
    assert loaded >= 181

    second = collect_all(return_state=True).result(raise_on_failure=False)
    assert sum(r["new"] for r in second) == 0 and sum(r["revised"] for r in second) == 0
    assert observations(env_settings.warehouse_url) == loaded


def test_bad_parameters_fail_before_any_fetch(prefect_harness, env_settings):
    state = collect_all(sources=["no-such-source"], return_state=True)
    assert state.is_failed() and "sources" in str(state.result(raise_on_failure=False))
    state = collect_all(start="2024-05-01", end="2024-04-01", return_state=True)
    assert state.is_failed() and "start" in str(state.result(raise_on_failure=False))
    assert observations(env_settings.warehouse_url) == 0


def test_an_impossible_date_fails_naming_the_parameter(prefect_harness, env_settings):
    # Prefect's server does not check `format: date`; the flow's own validation must.
    state = collect_all(start="2024-13-01", return_state=True)
    assert state.is_failed()
    assert "start" in str(state.result(raise_on_failure=False))
    assert observations(env_settings.warehouse_url) == 0


def test_unknown_source_for_a_family_fails_naming_the_parameter(prefect_harness, env_settings):
    from flows.displacement import displacement

    state = displacement(sources=["eu-fsf-consolidated-typo"], return_state=True)
    assert state.is_failed() and "sources" in str(state.result(raise_on_failure=False))


def test_two_runs_of_one_family_at_once_do_not_double_load(prefect_harness, env_settings):
    import contextvars
    from concurrent.futures import ThreadPoolExecutor

    from flows.displacement import displacement

    # Results persisted: on a busy machine Prefect may hand back a final state read from the API, which
    # holds no in-memory result (MissingResult, seen once in CI).
    family = displacement.with_options(persist_result=True)
    with ThreadPoolExecutor(2) as pool:
        runs = [pool.submit(contextvars.copy_context().run, family, return_state=True) for _ in range(2)]
        states = [r.result() for r in runs]
    assert all(s.is_completed() for s in states), [s.message for s in states]
    by_source: dict[str, list[int]] = {}
    for state in states:
        for report in state.result():
            by_source.setdefault(report["source_id"], []).append(report["new"])
    # each source is loaded by one run only; in replay mode IOM DTM backfills its recorded rounds
    expected = {"unhcr-ukraine-refugees": 181, "iom-dtm-idps": 197}
    assert {s: sorted(n) for s, n in by_source.items()} == {s: [0, n] for s, n in expected.items()}
    assert observations(env_settings.warehouse_url) == sum(expected.values())
    # the warehouse's load lock did it (warehouse/locks.py), not a Prefect concurrency limit
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        names = [gcl.name for gcl in client.read_global_concurrency_limits(limit=200)]
    assert not [n for n in names if n.startswith("sanctrace-load-")], names


def test_a_source_secret_comes_from_env_or_a_secret_block(prefect_harness, monkeypatch):
    from prefect.blocks.system import Secret

    from extractors.base import SecretSpec
    from sanctrace.secrets import resolve

    spec = SecretSpec("api_key", env="SANCTRACE_TEST_API_KEY", block="sanctrace-test-api-key")
    monkeypatch.delenv(spec.env, raising=False)
    assert resolve((spec,)) == {}
    Secret(value="block-key-0000").save(spec.block, overwrite=True)
    assert resolve((spec,))["api_key"].get_secret_value() == "block-key-0000"
    monkeypatch.setenv(spec.env, "env-key-1111")
    key = resolve((spec,))["api_key"]
    assert key.get_secret_value() == "env-key-1111" and "env-key-1111" not in repr(key)


def test_a_warehouse_behind_the_schema_fails_the_run_saying_to_migrate(prefect_harness, env_settings):
    from warehouse.migrate import downgrade

    downgrade(env_settings.warehouse_url, "0002")
    state = collect_all(sources=["ohchr-casualties"], return_state=True)
    assert state.is_failed()
    assert "sanctrace migrate" in str(state.result(raise_on_failure=False))


@pytest.mark.parametrize("warehouse_url", ["sqlite"], indirect=True)  # the flow's logic: one database is enough
def test_a_family_flow_that_crashes_fails_its_sources_by_name_and_spares_the_others(
        prefect_harness, env_settings, monkeypatch):
    import flows.collect_all as module
    from prefect import flow

    @flow(name="crashing-family")
    def crashing(**params):
        raise RuntimeError("the family flow itself broke")

    real = module.family_flow
    monkeypatch.setattr(module, "family_flow", lambda family: crashing if family == "casualties" else real(family))
    state = collect_all(sources=["ohchr-casualties", "unhcr-ukraine-refugees"], return_state=True)
    assert state.is_failed() and state.message == "failed families: casualties"
    reports = {r["source_id"]: r for r in state.result(raise_on_failure=False)}
    assert reports["unhcr-ukraine-refugees"]["ok"] and reports["unhcr-ukraine-refugees"]["new"] > 0
    failed = reports["ohchr-casualties"]
    assert not failed["ok"] and failed["family"] == "casualties"
    assert "family flow casualties failed" in failed["failures"][0]
    assert "the family flow itself broke" in failed["failures"][0]
