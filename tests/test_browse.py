"""`sanctrace browse` in headless Chromium: Datasette over a SQLite warehouse loaded from the replay
archive, from a source's figures to one figure's provenance page.

Datasette reads SQLite only, so this runs on SQLite (a PostgreSQL warehouse is exported first).
Every request that is not to 127.0.0.1 is blocked. Screenshots go to the test's tmp dir.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.request

import pytest

from sanctrace import browse, pipeline, runs
from sanctrace.settings import Settings
from tests.conftest import REPLAY, free_port
from warehouse.migrate import upgrade

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SOURCES = ("ohchr-casualties", "kz-stat-trade")


@pytest.fixture
def warehouse(tmp_path):
    db = tmp_path / "warehouse.db"
    settings = Settings(warehouse_url=f"sqlite:///{db}", snapshot_store=str(tmp_path / "snapshots"),
                        replay_archive=REPLAY, fetch_mode="replay")
    upgrade(settings.warehouse_url)
    rt = pipeline.runtime(settings)
    pipeline.register_sources(rt)
    for source in SOURCES:
        assert runs.run_source(rt, source).ok
    yield rt, db
    rt.engine.dispose()


@pytest.fixture
def served(warehouse, tmp_path):
    rt, db = warehouse
    meta = browse.write_metadata(rt.engine, tmp_path / "metadata.json")
    port = free_port()
    env = {**os.environ, "SANCTRACE_SNAPSHOT_STORE": rt.settings.snapshot_store,
           "SANCTRACE_WAREHOUSE_URL": rt.settings.warehouse_url}
    log = open(tmp_path / "datasette.log", "wb")
    proc = subprocess.Popen(browse.command(db, meta, port), env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(base, proc, tmp_path / "datasette.log")
        yield rt, base
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def _wait(base: str, proc: subprocess.Popen, log) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"datasette exited: {log.read_text()}")
        try:
            urllib.request.urlopen(f"{base}/-/versions.json", timeout=2)
            return
        except OSError:
            time.sleep(0.3)
    raise AssertionError("datasette did not answer within 60 s")


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


def test_metadata_and_canned_queries(served):
    rt, base = served
    meta = get_json(f"{base}/-/metadata.json")
    db = meta["databases"]["warehouse"]
    assert set(db["queries"]) == {"current_figures", "revisions", "trade_watch", "figures_of_document"}
    assert "in its series' unit" in db["tables"]["observation"]["columns"]["value"]
    assert db["tables"]["snapshot"]["units"] == {"size_bytes": "byte"}
    assert "Bureau of National Statistics" in db["description_html"]
    assert "https://stat.gov.kz/ru/industries/economy/foreign-market/" in db["description_html"]
    assert "Bureau of National Statistics terms of use" in db["description_html"]
    revisions = get_json(f"{base}/warehouse/revisions.json?_shape=array")
    assert revisions and {r["source_id"] for r in revisions} == {"kz-stat-trade"}
    kaz = get_json(f"{base}/warehouse/trade_watch.json?reporter=KAZ&_shape=array")
    assert [r["exports_to_rus_usd"] for r in kaz if r["year"] == 2022] == [pytest.approx(9_091_390_916.9)]
    figures = get_json(f"{base}/warehouse/current_figures.json?source=ohchr-casualties&_shape=array")
    assert len(figures) == 100 and {f["source_id"] for f in figures} == {"ohchr-casualties"}
    first = figures[0]
    document = get_json(f"{base}/warehouse/figures_of_document.json?sha256={first['document']}&_shape=array")
    assert {r["explain"] for r in document} == {f["explain"] for f in figures}  # one sheet, every figure
    with urllib.request.urlopen(f"{base}/-/document/{first['document']}") as response:
        assert response.headers["content-disposition"].startswith("attachment")
        assert rt.store.get(first["document"]) == response.read()


def test_the_provenance_page_reads_the_warehouse_read_only(warehouse):
    from sqlalchemy.exc import OperationalError

    from sanctrace.datasette_plugin import read_only_engine

    rt, db = warehouse
    with read_only_engine(str(db)).connect() as conn:
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM observation").scalar_one() > 100
        with pytest.raises(OperationalError, match="readonly"):
            conn.exec_driver_sql("DELETE FROM observation")


def test_from_a_source_to_a_figures_provenance_page_in_chromium(served, tmp_path):
    if not shutil.which(CHROMIUM):
        pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    rt, base = served
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("http://127.0.0.1")
                   else route.abort())
        page.goto(f"{base}/warehouse/source")
        page.get_by_role("link", name="Civilian casualties in Ukraine since 24 February 2022").click()
        page.wait_for_url("**/warehouse/current_figures?source=ohchr-casualties")
        page.screenshot(path=tmp_path / "figures-of-source.png")
        link = page.get_by_role("link", name="explain", exact=False).first
        observation_id = int(link.inner_text().split()[-1])
        link.click()
        page.wait_for_url(f"**/-/explain/{observation_id}")
        shown_value, shown_sha = page.locator("#value").inner_text(), page.locator("#sha256").inner_text()
        publisher_url = page.locator("#publisher-url").get_attribute("href")
        page.screenshot(path=tmp_path / "provenance.png", full_page=True)
        browser.close()
    with rt.engine.connect() as conn:
        value, sha, url = conn.exec_driver_sql(
            "SELECT o.value, n.sha256, n.url FROM observation o JOIN snapshot n ON n.id = "
            f"o.snapshot_id WHERE o.id = {observation_id}").one()
    assert shown_value == f"{value:,.10g}" and shown_sha == sha and publisher_url == url
    assert (tmp_path / "provenance.png").stat().st_size > 10_000
