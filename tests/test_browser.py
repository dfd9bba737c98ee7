"""A person in the Prefect UI (headless Chromium): Quick run and Custom run of deployments.

Drives the classic UI of the session's served Prefect (server, deployments of prefect.yaml, worker).
It runs the casualties deployment and IOM DTM alone, so that test_deploy's collect_all run, whichever
runs first, is still the one that first loads UNHCR's figures.
Every request that is not to 127.0.0.1 is blocked: the UI would load third-party scripts.
Screenshots go to the test's tmp dir.
"""

from __future__ import annotations

import shutil
import time

import pytest
from sqlalchemy import create_engine, text

from tests.test_deploy import api, deployments, wait_for

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

if not shutil.which(CHROMIUM):
    pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium; .ci/run installs it)",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def page(served):
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("http://127.0.0.1")
                   else route.abort())
        yield page
        browser.close()


def run_ids(served, deployment_id: str) -> set[str]:
    """Runs of a deployment started by someone (the scheduler's upcoming runs left out)."""
    runs = api(served, "POST", "/flow_runs/filter",
               json={"flow_runs": {"deployment_id": {"any_": [deployment_id]}}})
    return {r["id"] for r in runs if not r["auto_scheduled"]}


def new_run(served, deployment_id: str, before: set[str], timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        created = run_ids(served, deployment_id) - before
        if created:
            return created.pop()
        time.sleep(0.5)
    raise AssertionError(f"no flow run created for deployment {deployment_id} within {timeout} s")


def sources_fetched_by(served, flow_run_id: str) -> set[str]:
    engine = create_engine(served.env["SANCTRACE_WAREHOUSE_URL"])
    with engine.connect() as conn:
        found = set(conn.execute(text("SELECT DISTINCT source_id FROM fetch WHERE flow_run_id = :run"),
                                 {"run": flow_run_id}).scalars())
    engine.dispose()
    return found


def creates_run(response) -> bool:
    return response.url.endswith("/create_flow_run") and response.request.method == "POST"


def create_run(page, click, attempts: int = 3):
    """Clicks what creates a run (``click``) and returns the UI's create_flow_run response; clicks again,
    as a person would, when the server answers 503. Prefect's server sends 503, with Retry-After, when a
    write fails on its own SQLite database's lock (likely SQLITE_BUSY_SNAPSHOT: a transaction that read
    before another one wrote, which no busy timeout waits out). Prefect's own clients retry it; its UI
    shows an error and leaves that to the person (a CI run failed on it once). Any other status is
    returned at once."""
    for attempt in range(attempts):
        # on a busy machine a fresh server's first page can take longer than new_run's 30 s to send it
        with page.expect_response(creates_run, timeout=90_000) as created:
            click()
        if created.value.status != 503 or attempt == attempts - 1:
            return created.value
        time.sleep(float(created.value.headers.get("retry-after") or 2))


def quick_run(page) -> None:
    page.get_by_role("button", name="Run", exact=True).click()
    page.get_by_role("button", name="Quick run").click()


def test_quick_run_from_the_deployment_page_completes(served, page, tmp_path):
    deployment = deployments(served)["casualties"]
    before = run_ids(served, deployment["id"])
    page.goto(f"{served.ui}/deployments/deployment/{deployment['id']}")
    try:
        created = create_run(page, lambda: quick_run(page))
    finally:
        page.screenshot(path=tmp_path / "deployment-casualties.png")
    assert created.ok, (created.status, created.text())
    run_id = new_run(served, deployment["id"], before)
    assert run_id == created.json()["id"]
    run = wait_for(served, run_id)
    assert run["state"]["type"] == "COMPLETED", run["state"]
    page.goto(f"{served.ui}/runs/flow-run/{run_id}")
    page.get_by_text("Artifacts", exact=True).click()
    page.get_by_text("casualties-run-summary").first.wait_for(timeout=30_000)
    page.get_by_text("casualties-run-changes").first.wait_for()
    page.screenshot(path=tmp_path / "run-artifacts.png")
    assert (tmp_path / "run-artifacts.png").stat().st_size > 10_000


def test_custom_run_with_one_source_fetches_only_that_source(served, page, tmp_path):
    deployment = deployments(served)["displacement"]
    before = run_ids(served, deployment["id"])
    page.goto(f"{served.ui}/deployments/deployment/{deployment['id']}/run")
    page.get_by_text("sources (Optional)").wait_for()
    # sources is a choice of the family's source ids (an enum), not free text
    page.locator("button.p-select-button__control").first.focus()
    page.keyboard.press("ArrowDown")  # opens the list of choices
    page.locator(".p-select-option__text", has_text="iom-dtm-idps").click()
    page.keyboard.press("Escape")
    page.get_by_text("Run Name", exact=True).click()  # closes the list of choices before Submit
    # optional fields (start, end, each source's parameters) are plain fields, with no type toggle
    page.get_by_text("start (Optional)").wait_for()
    assert page.get_by_text("Property is type None").count() == 0
    page.screenshot(path=tmp_path / "custom-run-form.png")
    # the run is created through the UI's own requests (it validates the parameters with the server first),
    # then the UI goes back to the deployment's page: slow on a busy machine
    try:
        created = create_run(page, page.get_by_role("button", name="Submit").click)  # the form stays filled in
        assert created.ok, (created.status, created.text())
        page.wait_for_url(lambda url: not url.endswith("/run"), timeout=90_000)
    finally:
        page.screenshot(path=tmp_path / "after-submit.png", full_page=True)
    run_id = new_run(served, deployment["id"], before)
    run = wait_for(served, run_id)
    assert run["state"]["type"] == "COMPLETED", run["state"]
    assert run["parameters"]["sources"] == ["iom-dtm-idps"]
    assert sources_fetched_by(served, run_id) == {"iom-dtm-idps"}
