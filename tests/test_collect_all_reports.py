"""collect_all turns a family flow whose result cannot be read into failed reports, never a crash."""

from prefect.exceptions import MissingResult

from flows.collect_all import _reports


class StateWithoutData:
    message = None

    def result(self, raise_on_failure=False):
        raise MissingResult("State data is missing.")


def test_a_family_state_without_its_data_becomes_a_failed_report_per_source():
    reports = _reports(StateWithoutData(), "trade", ["kz-stat-trade", "un-comtrade"])
    assert [r["source_id"] for r in reports] == ["kz-stat-trade", "un-comtrade"]
    assert all(not r["ok"] for r in reports)
    assert reports[0]["failures"] == ["family flow trade failed: State data is missing."]
