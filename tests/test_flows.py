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


@pytest.mark.parametrize("warehouse_url", ["sqlite"], indirect=True)  # the flow's logic: one database is enough
def test_a_run_with_nothing_to_parse_runs_no_load_task_yet_reports_every_source_as_seen(
        prefect_harness, env_settings):
    from flows.displacement import displacement

    family = displacement.with_options(persist_result=True)  # see the test above: MissingResult
    cold, warm = family(return_state=True), family(return_state=True)
    assert cold.is_completed() and warm.is_completed(), [cold.message, warm.message]
    assert task_names(cold) == ["fetch iom-dtm-idps", "fetch unhcr-ukraine-refugees", "load iom-dtm-idps",
                                "load unhcr-ukraine-refugees"]
    # The warm run's sources are recorded as seen again in its body, under its own flow run.
    assert task_names(warm) == ["fetch iom-dtm-idps", "fetch unhcr-ukraine-refugees"]
    reports = {r["source_id"]: r for r in warm.result()}
    # IOM's index lists rounds already loaded, so only the index itself is read again (no figures in it).
    assert {s: (r["skipped_unchanged"], r["new"], r["unchanged"]) for s, r in reports.items()} == {
        "iom-dtm-idps": (True, 0, 0), "unhcr-ukraine-refugees": (True, 0, 181)}


def test_the_runtime_names_the_flow_run_in_its_body_and_in_its_tasks(prefect_harness, env_settings):
    from prefect import flow, task
    from prefect.runtime import flow_run

    from flows.tasks import runtime

    @task
    def in_task() -> str | None:
        return runtime().flow_run_id

    @flow
    def body() -> tuple[str, str | None, str | None]:
        return flow_run.get_id(), runtime().flow_run_id, in_task()

    own, in_body, in_a_task = body()
    assert own and in_body == own and in_a_task == own


def task_names(state, wait_seconds: float = 20) -> list[str]:
    """The names of a flow run's task runs, once the server has recorded them (it does so from events,
    a moment after the run)."""
    import time

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    only = FlowRunFilter(id=FlowRunFilterId(any_=[state.state_details.flow_run_id]))
    deadline = time.monotonic() + wait_seconds
    with get_client(sync_client=True) as client:
        while True:
            runs = client.read_task_runs(flow_run_filter=only)
            if all(r.state and r.state.is_final() for r in runs) and (runs or time.monotonic() > deadline):
                return sorted(r.name for r in runs)
            time.sleep(0.5)


@pytest.mark.parametrize("warehouse_url", ["sqlite"], indirect=True)  # the flow's logic: one database is enough
def test_a_source_whose_fetch_fails_is_reported_with_the_fetch_error_and_spares_the_others(
        prefect_harness, env_settings, monkeypatch):
    from flows.displacement import displacement
    from sanctrace import runs

    real = runs.fetch

    def fetch(rt, source_id, *args):
        if source_id == "iom-dtm-idps":
            raise ConnectionError("data.humdata.org refused the connection")
        return real(rt, source_id, *args)

    monkeypatch.setattr(runs, "fetch", fetch)
    state = displacement.with_options(persist_result=True)(return_state=True)
    assert state.is_failed() and "iom-dtm-idps" in state.message
    reports = {r["source_id"]: r for r in state.result(raise_on_failure=False)}
    assert reports["iom-dtm-idps"]["failures"] == ["ConnectionError: data.humdata.org refused the connection"]
    assert reports["unhcr-ukraine-refugees"]["ok"] and reports["unhcr-ukraine-refugees"]["new"] == 181


@pytest.mark.parametrize("warehouse_url", ["sqlite"], indirect=True)
def test_a_load_that_fails_after_a_failed_fetch_reports_the_document_first_then_the_error(
        prefect_harness, env_settings, monkeypatch):
    """The documents a source could not fetch are the likely cause of what failed after them: the load
    task's failure keeps them, first, through Prefect's own handling of a failed task."""
    from extractors.base import SourceAssertionFailed
    from flows.displacement import displacement
    from sanctrace import pipeline, runs

    real_fetch, real_load = runs.fetch, pipeline.load_source
    lost = "report: https://data.unhcr.org/population/get/timeseries: HTTP 503 after 3 attempts"

    def fetch(rt, source_id, *args):
        fetched = real_fetch(rt, source_id, *args)
        if source_id == "unhcr-ukraine-refugees":
            fetched["failures"].append(lost)
        return fetched

    def load_source(rt, source_id, *args):
        if source_id == "unhcr-ukraine-refugees":
            raise SourceAssertionFailed(source_id, ["the timeseries has a figure for every day"])
        return real_load(rt, source_id, *args)

    monkeypatch.setattr(runs, "fetch", fetch)
    monkeypatch.setattr(pipeline, "load_source", load_source)
    state = displacement.with_options(persist_result=True)(return_state=True)
    assert state.is_failed() and "unhcr-ukraine-refugees" in state.message
    reports = {r["source_id"]: r for r in state.result(raise_on_failure=False)}
    failures = reports["unhcr-ukraine-refugees"]["failures"]
    assert failures[0] == f"[unhcr-ukraine-refugees] {lost}"
    assert failures[1].startswith("SourceAssertionFailed: ") and "every day" in failures[1]
    assert reports["iom-dtm-idps"]["ok"]


@pytest.mark.parametrize("warehouse_url", ["sqlite"], indirect=True)
def test_a_family_run_s_reports_survive_the_server_answering_with_its_own_copy_of_the_final_state(
        prefect_harness, env_settings, monkeypatch):
    """A request to set the final state that times out and is sent again finds the run already Completed:
    the server rejects the repeat and answers with its own copy of the state, and Prefect's engine takes
    that copy (prefect.utilities.engine.propose_state_sync, REJECT). Seen once in `make reliability`: a
    60 s stall of the session's server, then collect_all reported a family that had loaded as failed
    ("family flow casualties failed: 1 source(s) loaded"). The reports must be readable from that copy."""
    import prefect.flow_engine as engine
    from prefect.client.orchestration import get_client

    from flows.collect_all import _reports
    from flows.displacement import displacement

    real = engine.propose_state_sync

    def the_server_s_copy(client, state, *args, flow_run_id=None, **kwargs):
        proposed = real(client, state, *args, flow_run_id=flow_run_id, **kwargs)
        if flow_run_id is None or not proposed.is_final():
            return proposed
        with get_client(sync_client=True) as fresh:
            return fresh.read_flow_run(flow_run_id).state

    monkeypatch.setattr(engine, "propose_state_sync", the_server_s_copy)
    state = displacement(return_state=True)
    assert state.is_completed()
    reports = {r["source_id"]: r for r in _reports(state, "displacement", ["iom-dtm-idps", "unhcr-ukraine-refugees"])}
    assert sorted(reports) == ["iom-dtm-idps", "unhcr-ukraine-refugees"]
    assert all(r["ok"] for r in reports.values()) and reports["unhcr-ukraine-refugees"]["new"] == 181
