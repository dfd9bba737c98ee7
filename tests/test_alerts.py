"""Notifications end to end: the session's `prefect server` (its event services on), `sanctrace alerts
setup --webhook` pointing at a webhook receiver on 127.0.0.1, and real `sanctrace run`s of recorded
documents. The automations are removed when the module ends.

A source's first state is loaded in-process (runs.run_source, no Prefect); the run under test is the
CLI's `sanctrace run` against the server, so its events reach the automations as a deployed run's would.
The quick test (a revised figure, about 20 s on an idle machine) runs in `make test`; the rest are
`slow` (`make reliability`).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from sanctrace import pipeline, runs
from sanctrace.serve import LocalPrefect
from sanctrace.settings import Settings
from tests.conftest import REPLAY, free_port
from tests.test_events import KZ, KZ_2020, KZ_2021, IOM, META, META_2022, R3, SHA_2021, URL_2021, archive, \
    _recorded_url, round_3_in_may_2022
from warehouse.migrate import upgrade

SANCTRACE = str(Path(sys.executable).with_name("sanctrace"))
ARRIVAL = 60  # seconds a notification may take after its run ended (measured: about 1-3 s)
QUIET = 10  # seconds after a run's last event with no notification before "none" is believed (several times
#             the measured 1-2 s from a sanctrace event to its notification)


class Receiver:
    """A webhook receiver on 127.0.0.1: every POST body (JSON) is kept with the time it arrived."""

    def __init__(self):
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                received.append((time.time(), json.loads(body)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"

    def wait_for(self, count: int, since: int, timeout: float = ARRIVAL) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(self.received) - since < count and time.monotonic() < deadline:
            time.sleep(0.2)
        return [body for _, body in self.received[since:]]

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class Alerting:
    """The session's Prefect server (its event services on), a webhook receiver, and `sanctrace` run
    against them."""

    QUIET_LOGS = {"PREFECT_LOGGING_TO_API_ENABLED": "false", "PREFECT_LOGGING_LEVEL": "WARNING"}

    def __init__(self, prefect: LocalPrefect):
        self.prefect = prefect
        self.receiver = Receiver()

    def sanctrace(self, *args: str, env: dict[str, str] | None = None, check: bool = True):
        started = time.monotonic()
        result = subprocess.run([SANCTRACE, *args], env={**self.prefect.env, **self.QUIET_LOGS, **(env or {})},
                                capture_output=True, text=True, timeout=300)
        result.seconds = time.monotonic() - started
        if check:
            assert result.returncode == 0, f"sanctrace {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
        return result

    def api(self, path: str, body: dict):
        request = urllib.request.Request(f"{self.prefect.api}{path}", json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def last_event(self, since: datetime, prefix: str = "") -> datetime | None:
        """When the server's newest event (with this name prefix) since then occurred."""
        where = {"occurred": {"since": since.isoformat()}, "order": "DESC"}
        found = self.api("/events/filter", {"filter": {**where, **({"event": {"prefix": [prefix]}} if prefix else {})},
                                            "limit": 1})["events"]
        return datetime.fromisoformat(found[0]["occurred"].replace("Z", "+00:00")) if found else None


@pytest.fixture(scope="module")
def alerting(prefect_server):
    world = Alerting(prefect_server)
    try:
        listed = world.sanctrace("alerts", "setup", "--webhook", world.receiver.url).stdout
        assert listed.count("sanctrace-alerts-webhook") == 4 and "4 automation(s)" in listed, listed
        yield world
    finally:
        # the server outlives this module: no automation may notify on later tests' runs
        world.sanctrace("alerts", "remove", check=False)
        world.receiver.stop()


@pytest.fixture
def warehouse(tmp_path) -> dict[str, str]:
    """A SQLite warehouse and snapshot store of this test, as the `sanctrace run` environment."""
    env = {"SANCTRACE_WAREHOUSE_URL": f"sqlite:///{tmp_path / 'warehouse.db'}",
           "SANCTRACE_SNAPSHOT_STORE": str(tmp_path / "snapshots"), "SANCTRACE_FETCH_MODE": "replay",
           "SANCTRACE_REPLAY_ARCHIVE": str(REPLAY)}
    upgrade(env["SANCTRACE_WAREHOUSE_URL"])
    return env


def load_first_state(env: dict[str, str], source_id: str, folder: Path) -> None:
    """The state a source was in before the run under test, loaded without Prefect."""
    settings = Settings(warehouse_url=env["SANCTRACE_WAREHOUSE_URL"], snapshot_store=env["SANCTRACE_SNAPSHOT_STORE"],
                        replay_archive=folder, fetch_mode="replay")
    rt = pipeline.runtime(settings)
    pipeline.register_sources(rt)
    assert runs.run_source(rt, source_id).ok


def run_and_collect(alerting: Alerting, env: dict[str, str], args: list[str], expected: int,
                    ok: bool = True) -> tuple[list[dict], float, float]:
    """`sanctrace run ARGS`; then the notifications that arrived until QUIET s after the run's last event
    (so that one too many is seen), how long the run took, and how long after the run's last sanctrace
    event the last notification came."""
    since, began = len(alerting.receiver.received), datetime.now(timezone.utc) - timedelta(seconds=1)
    result = alerting.sanctrace("run", *args, env=env, check=ok)
    assert ok or result.returncode != 0, result.stdout
    alerting.receiver.wait_for(expected, since)
    last = alerting.last_event(began)
    assert last is not None, "the server recorded no event of the run"
    while datetime.now(timezone.utc) < last + timedelta(seconds=QUIET):
        time.sleep(0.5)
    got = alerting.receiver.received[since:]
    emitted = alerting.last_event(began, "sanctrace.")
    latency = max(t for t, _ in got) - emitted.timestamp() if got and emitted else float("nan")
    return [body for _, body in got], result.seconds, latency


def test_a_revised_figure_gives_one_notification_with_old_and_new_value_and_document(alerting, warehouse, tmp_path):
    """Kazakhstan's 2020 release is loaded; the run replays the 2021 release, which restates 2020."""
    load_first_state(warehouse, KZ, archive(tmp_path / "a1", KZ, [KZ_2020]))
    later = archive(tmp_path / "a2", KZ, [KZ_2020, KZ_2021])
    got, seconds, latency = run_and_collect(alerting, warehouse, ["--source", KZ, "--archive", str(later)], 2)
    print(f"\nrun {seconds:.1f} s; notifications {len(got)} "
          f"(expected 2: revised + new document), the last {latency:.1f} s after the run's last event")
    revised = [g for g in got if g["subject"] == f"sanctrace: figures revised by {KZ}"]
    new = [g for g in got if g["subject"] == f"sanctrace: new document from {KZ}"]
    assert len(revised) == 1 and len(new) == 1 and len(got) == 2, got
    text = revised[0]["text"]
    print(json.dumps(revised[0], ensure_ascii=False, indent=1))
    assert text.startswith(f"{KZ} (trade): 21 figure(s) revised\n")
    # The examples in the document's order: the table's first row is the world total.
    assert ("- trade_value/KAZ/WLD/TOTAL/T 2020-01-01..2020-12-31: 86469848800.0 -> 86469848760.72 USD (revised) "
            f"in {URL_2021} at cell:12_2020!B6") in text
    assert URL_2021 in new[0]["text"] and SHA_2021[:12] in new[0]["text"]
    assert revised[0]["sender"] == "sanctrace"


@pytest.mark.slow
def test_a_new_iom_round_gives_one_notification(alerting, warehouse, tmp_path):
    """HDX as of May 2022 (round 3) is loaded; the run reads HDX as of October 2023: rounds 13 and 14."""
    load_first_state(warehouse, IOM, archive(tmp_path / "2022", IOM, [META_2022, R3],
                                             {META_2022: _recorded_url(IOM, META), R3: round_3_in_may_2022()}))
    got, seconds, latency = run_and_collect(alerting, warehouse, ["--source", IOM], 1)
    print(f"\nrun {seconds:.1f} s; notifications {len(got)} (expected 1), {latency:.1f} s after its event")
    assert [g["subject"] for g in got] == [f"sanctrace: new document from {IOM}"], got
    text = got[0]["text"]
    assert text.startswith(f"{IOM} (displacement): 2 new document(s) loaded\n")
    print(text)
    assert "(round 13)" in text and "(round 14)" in text and _recorded_url(IOM, R3) not in text
    assert _recorded_url(IOM, "round_14_idp_estimation_25_september_2023.xlsx") in text


@pytest.mark.slow
def test_an_unchanged_run_gives_none(alerting, warehouse, tmp_path):
    folder = archive(tmp_path / "a", KZ, [KZ_2020, KZ_2021])
    load_first_state(warehouse, KZ, folder)
    got, seconds, _ = run_and_collect(alerting, warehouse, ["--source", KZ, "--archive", str(folder)], 0)
    print(f"\nrun {seconds:.1f} s; notifications {len(got)} (expected 0) in the {QUIET} s after its last event")
    assert got == []


@pytest.mark.slow
def test_a_failing_source_gives_a_failure_notification(alerting, warehouse):
    """A live run whose publisher does not answer (stat.gov.kz sent to a closed port on 127.0.0.1)."""
    closed = free_port()
    live = {**warehouse, "SANCTRACE_FETCH_MODE": "live", "SANCTRACE_HOST_MAP": json.dumps({"stat.gov.kz": f"127.0.0.1:{closed}"}),
            "SANCTRACE_PRIVATE_HOSTS_ALLOWED": '["127.0.0.1"]', "SANCTRACE_RETRY_TOTAL": "0",
            "SANCTRACE_MIN_HOST_INTERVAL": "0"}
    got, seconds, latency = run_and_collect(alerting, live, ["--source", KZ, "--mode", "live"], 1, ok=False)
    print(f"\nrun {seconds:.1f} s; notifications {len(got)} (expected 1), {latency:.1f} s after its event")
    assert [g["subject"] for g in got] == [f"sanctrace: {KZ} failed"], got
    print(got[0]["text"])
    assert got[0]["text"].startswith(f"{KZ} (trade) failed: ")
    assert "https://stat.gov.kz/ru/industries/economy/foreign-market/spreadsheets/" in got[0]["text"]


@pytest.mark.slow
def test_alerts_list_and_remove_touch_only_sanctrace_s_automations(alerting):
    from_list = lambda: [json.loads(line) for line in alerting.sanctrace("alerts", "list", "--json").stdout.splitlines()]  # noqa: E731
    slack = "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"  # Slack's own example
    _save_their_blocks(alerting)
    try:
        alerting.sanctrace("alerts", "setup", "--webhook", alerting.receiver.url, "--slack", slack,
                           "--block", "custom-webhook/ops-team")
        rows = from_list()
        assert sorted(r["event"] for r in rows) == sorted(("sanctrace.document.new", "sanctrace.figures.revised",
                                                          "sanctrace.notice.new", "sanctrace.source.failed"))
        assert all(r["notifies"] == "sanctrace-alerts-webhook, sanctrace-alerts-slack, ops-team" and r["enabled"]
                   for r in rows), rows
        theirs = _someone_elses_automation(alerting)
        removed = alerting.sanctrace("alerts", "remove").stdout
        assert "removed 4 automation(s) and 2 notification block(s)" in removed  # not their ops-team block
        assert from_list() == []
        assert "no sanctrace automations" in alerting.sanctrace("alerts", "list").stdout
        assert _automation_names(alerting) == [theirs]  # someone else's automation is left alone
        assert {"ops-team", "not-a-notifier"} <= _block_names(alerting)
        for args, message in ((("--webhook", "127.0.0.1:8080/hook"), "is not an http(s) URL"),
                              (("--slack", "https://example.org/hook"), "is not a Slack incoming webhook URL"),
                              (("--block", "secret/not-a-notifier"), "is not a notification block"),
                              (("--block", "ops-team"), "name it TYPE-SLUG/NAME")):
            bad = alerting.sanctrace("alerts", "setup", *args, check=False)
            assert bad.returncode == 2 and message in bad.stderr, bad.stderr
        no_server = subprocess.run([SANCTRACE, "alerts", "list"], capture_output=True, text=True, timeout=120,
                                   env={k: v for k, v in alerting.prefect.env.items() if k != "PREFECT_API_URL"})
        assert no_server.returncode == 2 and "set PREFECT_API_URL" in no_server.stderr
    finally:  # the other tests' automations, as the fixture made them
        alerting.sanctrace("alerts", "setup", "--webhook", alerting.receiver.url)


def _save_their_blocks(alerting: Alerting) -> None:
    """Blocks a user saved: a webhook of their own (any notification block would do) and a secret."""
    code = ("from prefect.blocks.notifications import CustomWebhookNotificationBlock as W\n"
            "from prefect.blocks.system import Secret\n"
            f"W(name='ops', url={alerting.receiver.url!r}, json_data={{'text': '{{{{body}}}}'}}).save('ops-team', overwrite=True)\n"
            "Secret(value='x').save('not-a-notifier', overwrite=True)\n")
    subprocess.run([sys.executable, "-c", code], env=alerting.prefect.env, check=True, timeout=120)


def _block_names(alerting: Alerting) -> set[str]:
    return {b["name"] for b in alerting.api("/block_documents/filter", {})}


def _someone_elses_automation(alerting: Alerting) -> str:
    name = "ops: any failed flow run"
    alerting.api("/automations/", {"name": name, "actions": [{"type": "do-nothing"}], "trigger": {
        "type": "event", "expect": ["prefect.flow-run.Failed"], "posture": "Reactive", "threshold": 1, "within": 0}})
    return name


def _automation_names(alerting: Alerting) -> list[str]:
    return [a["name"] for a in alerting.api("/automations/filter", {})]
