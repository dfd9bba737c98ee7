"""A real `prefect server` and worker as subprocesses: deploy prefect.yaml, run collect_all, read results."""

from __future__ import annotations

import json
import re
import time

import requests
from sqlalchemy import create_engine, text

from sanctrace.serve import LocalPrefect

FAMILIES = {"displacement", "casualties", "sanctions", "trade", "collect_all"}


def api(local: LocalPrefect, method: str, path: str, **kw):
    response = requests.request(method, local.api + path, timeout=30, **kw)
    response.raise_for_status()
    return response.json()


def deployments(local: LocalPrefect) -> dict[str, dict]:
    found = api(local, "POST", "/deployments/filter", json={})
    flows = {f["id"]: f["name"] for f in api(local, "POST", "/flows/filter", json={})}
    return {flows[d["flow_id"]]: d for d in found}


def wait_for(local: LocalPrefect, flow_run_id: str, timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = api(local, "GET", f"/flow_runs/{flow_run_id}")
        if run["state"]["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
            return run
        time.sleep(2)
    log = (local.home / "worker.log").read_text(errors="replace")[-3000:]
    raise TimeoutError(f"flow run {flow_run_id} not finished after {timeout} s; worker log:\n{log}")


def start(local: LocalPrefect, name: str, *params: str) -> str:
    args = ["deployment", "run", name]
    for param in params:
        args += ["--param", param]
    out = local.run(*args)
    match = re.search(r"UUID:\s*([0-9a-f-]{36})", out)
    assert match, out
    return match.group(1)


def test_every_deployment_has_a_schedule_and_a_parameter_schema(served):
    found = deployments(served)
    assert set(found) == FAMILIES
    for name, deployment in found.items():
        crons = [s["schedule"].get("cron") for s in deployment["schedules"]]
        assert crons and all(crons), name
        assert all(s["schedule"].get("timezone") == "UTC" for s in deployment["schedules"])
        props = deployment["parameter_openapi_schema"]["properties"]
        assert {"sources", "fetch_mode", "start", "end", "force"} <= set(props), name
        assert all(props[p].get("description") for p in ("sources", "fetch_mode", "force")), name
        assert deployment["work_pool_name"] == "sanctrace" and deployment["description"]


def test_each_schedule_gives_its_deployment_upcoming_runs(served):
    """Prefect's scheduler service turns each deployment's cron schedule into scheduled runs: without
    them the deployments would never run on their own."""
    ids = {d["id"]: name for name, d in deployments(served).items()}
    deadline, scheduled = time.monotonic() + 120, {}
    while time.monotonic() < deadline:
        runs = api(served, "POST", "/flow_runs/filter", json={"flow_runs": {"deployment_id": {"any_": list(ids)}}})
        scheduled = {ids[r["deployment_id"]] for r in runs if r["auto_scheduled"] and r["state_type"] == "SCHEDULED"}
        if scheduled == FAMILIES:
            return
        time.sleep(2)
    log = (served.home / "server.log").read_text(errors="replace")
    errors = [line for line in log.splitlines() if "Error" in line][-5:]
    raise AssertionError(f"no scheduled run after 120 s for {sorted(FAMILIES - scheduled)}; server errors: {errors}")


def test_collect_all_runs_from_its_deployment(served):
    run_id = start(served, "collect_all/collect-all")
    run = wait_for(served, run_id)
    assert run["state"]["type"] == "COMPLETED", run["state"]
    engine = create_engine(served.env["SANCTRACE_WAREHOUSE_URL"])
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM observation")).scalar_one() >= 113
        flow_runs = set(conn.execute(text("SELECT DISTINCT flow_run_id FROM observation")).scalars())
        first_loaded_by = conn.execute(text(
            "SELECT flow_run_id FROM observation WHERE source_id = 'unhcr-ukraine-refugees' AND value = 1256568 "
            "ORDER BY id LIMIT 1")).scalar_one()
    engine.dispose()
    # this run's artifacts
    artifacts = api(served, "POST", "/artifacts/filter", json={"artifacts": {"flow_run_id": {"any_": [run_id]}}})
    keys = {a["key"] for a in artifacts}
    assert {"collect-all-summary", "collect-all-changes"} <= keys
    summary = next(a for a in artifacts if a["key"] == "collect-all-summary")
    assert "unhcr-ukraine-refugees" in summary["data"] and "https://data.unhcr.org/" in summary["data"]
    table = next(a for a in artifacts if a["key"] == "collect-all-changes")
    rows = json.loads(table["data"]) if isinstance(table["data"], str) else table["data"]
    if family_run_of(served, first_loaded_by) == run_id:
        assert any(r.get("new value") == 1256568 for r in rows)
    else:
        # The served scheduler runs each deployment when its cron comes (displacement: 05:30 UTC daily); a
        # suite running then has that run load UNHCR's figures first, and this run finds them unchanged.
        assert api(served, "GET", f"/flow_runs/{first_loaded_by}")["auto_scheduled"]
        assert not any(r.get("new value") == 1256568 for r in rows)
    assert flow_runs and None not in flow_runs


def family_run_of(local: LocalPrefect, flow_run_id: str) -> str | None:
    """The collect_all run whose family subflow ``flow_run_id`` is (None for a family run of its own)."""
    parent_task = api(local, "GET", f"/flow_runs/{flow_run_id}").get("parent_task_run_id")
    return api(local, "GET", f"/task_runs/{parent_task}")["flow_run_id"] if parent_task else None


def nullable_fields(schema, path: str = "") -> list[str]:
    """Where a schema offers null (anyOf with null, or a null default): the UI shows a type toggle there."""
    found = []
    if isinstance(schema, dict):
        if "anyOf" in schema or ("default" in schema and schema["default"] is None):
            found.append(path)
        for key, value in schema.items():
            found += nullable_fields(value, f"{path}/{key}")
    elif isinstance(schema, list):
        for i, value in enumerate(schema):
            found += nullable_fields(value, f"{path}[{i}]")
    return found


def test_a_plain_deploy_needs_no_variable_and_the_form_offers_choices(served):
    """`prefect deploy --all` with nothing set: each deployment moves into the folder it was deployed from."""
    from sanctrace.settings import PROJECT_ROOT

    assert not any(k.startswith("SANCTRACE_PROJECT") for k in served.env)
    for name, deployment in deployments(served).items():
        steps = deployment["pull_steps"]
        assert steps == [{"prefect.deployments.steps.set_working_directory": {"directory": str(PROJECT_ROOT)}}], name
        props = deployment["parameter_openapi_schema"]["properties"]
        assert props["sources"]["items"]["enum"], name  # source ids offered as choices
        assert set(props["fetch_mode"]["enum"]) == {"live", "replay"}, name
        # no "Property is type None" toggle anywhere in the form, per-source parameters included
        assert nullable_fields(deployment["parameter_openapi_schema"]) == [], name
        assert props["start"]["default"] == "" and props["start"]["type"] == "string", name
    trade = deployments(served)["trade"]["parameter_openapi_schema"]
    assert set(trade["properties"]["sources"]["items"]["enum"]) >= {"kz-stat-trade", "un-comtrade"}
