"""The command line as a user runs it."""

import json
import subprocess
import sys

import pytest

from tests.conftest import replay_file

SUB = replay_file("unhcr-ukraine-refugees", "sublocation_widget283575_popgroups5459-5478_2022-08-05.json")


def sanctrace(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sanctrace.cli", *args], capture_output=True, text=True, **kw)


def test_parse_prints_one_json_object_per_value():
    result = sanctrace("parse", "unhcr-ukraine-refugees", str(SUB))
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 44
    assert {"value", "unit", "locator", "indicator", "geo", "period_start"} <= set(rows[0])
    assert rows[1]["geo"] == "Poland" and rows[1]["value"] == 1256568


def test_parse_reports_the_fields_it_did_not_read():
    sheet = replay_file("ohchr-casualties", "ocha_ukraine_key_figures_sheet_gid0_2022-05-02.csv")
    result = sanctrace("parse", "ohchr-casualties", str(sheet))
    assert result.returncode == 0, result.stderr
    summary = next(line for line in result.stderr.splitlines() if line.startswith("parsed: "))
    unread = int(summary.split("fields not read: ")[1].split()[0])
    assert unread > 0 and summary.startswith(f"parsed: {len(result.stdout.splitlines())} figure(s)")


def test_parse_exits_2_on_a_layout_it_does_not_know(tmp_path):
    changed = tmp_path / "changed.json"
    changed.write_bytes(SUB.read_bytes().replace(b'"data"', b'"rows"'))  # derived from the real file
    result = sanctrace("parse", "unhcr-ukraine-refugees", str(changed))
    assert result.returncode == 2 and "layout changed" in result.stderr and "data" in result.stderr


def test_parse_unknown_source_exits_2():
    assert sanctrace("parse", "nope", str(SUB)).returncode == 2


def test_sources_lists_every_source_as_json(tmp_path):
    env = {"SANCTRACE_WAREHOUSE_URL": f"sqlite:///{tmp_path}/none.db", "PATH": "/usr/bin:/bin"}
    result = sanctrace("sources", "--json", env=env)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert "unhcr-ukraine-refugees" in {r["id"] for r in rows}
    assert all(r["live_hosts"] and r["cadence"] for r in rows)  # main replaced landing_urls by live_hosts


def test_sources_names_the_database_error_when_the_warehouse_cannot_be_reached():
    # Port 1 on the loopback: nothing listens, so the connection is refused at once.
    env = {"SANCTRACE_WAREHOUSE_URL": "postgresql://reader:secret@127.0.0.1:1/none", "PATH": "/usr/bin:/bin"}
    result = sanctrace("sources", env=env)
    assert result.returncode == 1 and not result.stdout
    assert "cannot read the warehouse postgresql://reader:***@127.0.0.1:1/none" in result.stderr
    assert "Connection refused" in result.stderr and "secret" not in result.stderr


def test_sources_of_a_warehouse_not_migrated_yet_are_listed_with_a_note(tmp_path):
    env = {"SANCTRACE_WAREHOUSE_URL": f"sqlite:///{tmp_path}/fresh.db", "PATH": "/usr/bin:/bin"}
    result = sanctrace("sources", "--json", env=env)
    assert result.returncode == 0 and "is not migrated yet (sanctrace migrate)" in result.stderr
    assert all(json.loads(line)["last_success"] is None for line in result.stdout.splitlines())


def test_trade_watch_names_an_unknown_reporter_code(tmp_path):
    env = {"SANCTRACE_WAREHOUSE_URL": f"sqlite:///{tmp_path}/none.db", "PATH": "/usr/bin:/bin"}
    result = sanctrace("trade-watch", "--reporter", "KAZ", "--reporter", "XXX", env=env)
    assert result.returncode == 2 and "XXX is not a known ISO code" in result.stderr and not result.stdout
    assert sanctrace("trade-watch", "--hs", "chips", env=env).returncode == 2


@pytest.mark.parametrize("command", [("figures", "--geo", "POL"), ("history", "5"), ("plot", "out.png")])
def test_commands_reading_figures_name_an_unreadable_warehouse(command, tmp_path):
    env = {"SANCTRACE_WAREHOUSE_URL": "postgresql://reader:secret@127.0.0.1:1/none", "PATH": "/usr/bin:/bin"}
    result = sanctrace(*command, env=env, cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "cannot read the warehouse postgresql://reader:***@127.0.0.1:1/none" in result.stderr
