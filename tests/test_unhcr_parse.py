"""UNHCR parser on the real recorded responses (replay/unhcr-ukraine-refugees, see ORIGIN.md): the
portal's answers of August 2022 (refugees recorded) and of April 2022 (border crossings)."""

import json
from datetime import date

import pytest

from extractors import locators, unhcr
from extractors.base import Document, LayoutChanged
from tests.conftest import replay_file
from tests.un_replay import url_of

SUB = "sublocation_widget283575_popgroups5459-5478_2022-08-05.json"
TS = "timeseries_widget283577_popgroup5478_2022-08-05.json"
APR_SUB = "sublocation_widget283575_popgroups5459-5460_2022-04-27.json"
APR_TS = "timeseries_widget283577_popgroup5457_2022-04-27.json"
APR = date(2022, 4, 25)


def doc(name: str, content: bytes | None = None) -> Document:
    """A recorded answer at the request URL the replay manifest maps it to."""
    data = content if content is not None else replay_file(unhcr.SOURCE.id, name).read_bytes()
    return Document.from_bytes(unhcr.SOURCE.id, url_of(unhcr.SOURCE.id, name), data)


def test_countries_and_exact_figures():
    records = unhcr.parse(doc(SUB)).records
    by_name = {r.geo: r for r in records}
    assert len(records) == 44
    assert by_name["Poland"].value == 1256568 and str(by_name["Poland"].period_end) == "2022-08-01"
    assert by_name["Russian Federation"].value == 1968127
    assert str(by_name["Russian Federation"].period_end) == "2022-08-02"
    assert by_name["Bosnia and Herzegovina"].value == 223
    assert sum(r.value for r in records) == 6307137


def test_timeseries_points():
    records = unhcr.parse(doc(TS)).records
    assert len(records) == 69
    assert (records[0].value, str(records[0].period_end)) == (85000, "2022-04-25")
    assert (records[-1].value, str(records[-1].period_end)) == (6307137, "2022-08-03")
    assert {r.geo for r in records} == {unhcr.EUROPE}


def test_locator_reads_back_the_raw_text():
    d = doc(SUB)
    for record in unhcr.parse(d).records[:5]:
        assert locators.resolve(d.content, record.locator) == record.raw


def test_check_passes_on_real_documents():
    result = unhcr.check([unhcr.parse(doc(SUB)), unhcr.parse(doc(TS))])
    assert not result.failed
    assert any("6307137" in p for p in result.passed)


def test_sum_mismatch_on_shared_date_fails():
    # Derived from the real bytes: the last timeseries point is changed by one.
    body = json.loads(replay_file(unhcr.SOURCE.id, TS).read_bytes())
    body["data"]["timeseries"][-1]["individuals"] += 1
    result = unhcr.check([unhcr.parse(doc(SUB)), unhcr.parse(doc(TS, json.dumps(body).encode()))])
    assert result.failed and "6307137" in result.failed[0]


def test_renamed_field_raises_layout_changed():
    # Derived from the real bytes: the key holding the figure renamed, as a publisher might.
    content = replay_file(unhcr.SOURCE.id, SUB).read_bytes().replace(b'"individuals"', b'"persons"')
    with pytest.raises(LayoutChanged, match="individuals"):
        unhcr.parse(doc(SUB, content))


def test_non_numeric_count_is_rejected():
    content = replay_file(unhcr.SOURCE.id, SUB).read_bytes().replace(b'"1256568"', b'"1.2m"')
    with pytest.raises(LayoutChanged, match="not a count"):
        unhcr.parse(doc(SUB, content))


def test_too_few_countries_fails_check():
    body = json.loads(replay_file(unhcr.SOURCE.id, SUB).read_bytes())
    body["data"] = body["data"][:10]
    result = unhcr.check([unhcr.parse(doc(SUB, json.dumps(body).encode()))])
    assert any("30 host countries" in f for f in result.failed)


def test_august_rows_keep_their_published_flag():
    by_name = {r.geo: r for r in unhcr.parse(doc(SUB)).records}
    assert by_name["Poland"].flags == ("published=true",)
    assert by_name["Russian Federation"].flags == ("published=false",)
    assert by_name["Poland"].indicator == "refugees_from_ukraine_recorded"
    assert by_name["Poland"].period_start == by_name["Poland"].period_end == date(2022, 8, 1)  # a stock at a date


def test_april_rows_are_cumulative_border_crossings_since_24_february():
    parsed = unhcr.parse(doc(APR_SUB))
    by_name = {r.geo: r for r in parsed.records}
    assert {n: r.value for n, r in by_name.items()} == {
        "Poland": 2922978, "Russian Federation": 614318, "Hungary": 496914, "Republic of Moldova": 435275,
        "Romania": 413144, "Slovakia": 357560, "Belarus": 24578}
    assert sum(r.value for r in parsed.records) == 5264767
    assert {r.indicator for r in parsed.records} == {"border_crossings_from_ukraine_cumulative"}
    assert {(r.period_start, r.period_end) for r in parsed.records} == {(date(2022, 2, 24), APR)}
    assert by_name["Poland"].flags == ("published=true",) and by_name["Russian Federation"].flags == ("published=false",)
    assert sum(r.flags == ("published=false",) for r in parsed.records) == 4
    assert by_name["Poland"].raw == "2922978" and parsed.unread == []


def test_april_timeseries_is_daily_crossings_never_a_cumulative_count():
    records = unhcr.parse(doc(APR_TS)).records
    assert len(records) == 61 and {r.indicator for r in records} == {"border_crossings_from_ukraine_daily"}
    by_day = {r.period_end: r for r in records}
    assert by_day[date(2022, 2, 24)].value == 79982
    assert by_day[date(2022, 3, 7)].value == 205493 == max(r.value for r in records)  # the peak
    assert by_day[APR].value == 31587
    assert all(r.period_start == r.period_end for r in records)  # one day each
    assert sum(r.value for r in records) == 5264767
    assert {r.geo for r in records} == {unhcr.NEIGHBOURS}


def test_the_two_dates_measure_different_things():
    august = {r.indicator for name in (SUB, TS) for r in unhcr.parse(doc(name)).records}
    april = {r.indicator for name in (APR_SUB, APR_TS) for r in unhcr.parse(doc(name)).records}
    assert august == {"refugees_from_ukraine_recorded"}
    assert april == {"border_crossings_from_ukraine_cumulative", "border_crossings_from_ukraine_daily"}


def test_check_holds_for_each_kind_on_all_four_answers():
    result = unhcr.check([unhcr.parse(doc(n)) for n in (SUB, TS, APR_SUB, APR_TS)])
    assert not result.failed and not result.warnings
    assert any("6307137 equals timeseries 6307137" in p for p in result.passed)
    assert any("5264767 equals the sum of 61 days" in p for p in result.passed)
    from sanctrace.assertions import declared_checks

    declared = declared_checks(unhcr.SOURCE, [unhcr.parse(doc(n)) for n in (SUB, TS, APR_SUB, APR_TS)], result)
    assert not declared.failed and "declared: 181 records >= 60" in declared.passed


def test_a_group_in_no_answer_is_reported():
    result = unhcr.check([unhcr.parse(doc(SUB)), unhcr.parse(doc(TS))])
    assert result.warnings == ["population groups known but in no answer of this run: 5457, 5460"]


def test_a_daily_total_that_does_not_add_up_fails():
    # Derived from the real bytes: one day's crossings changed by one.
    body = json.loads(replay_file(unhcr.SOURCE.id, APR_TS).read_bytes())
    body["data"]["timeseries"][10]["individuals"] += 1
    result = unhcr.check([unhcr.parse(doc(APR_SUB)), unhcr.parse(doc(APR_TS, json.dumps(body).encode()))])
    assert len(result.failed) == 1 and "5264767" in result.failed[0] and "5264768" in result.failed[0]


def test_a_timeseries_without_its_request_is_refused():
    nameless = Document.from_bytes(unhcr.SOURCE.id, "file:///tmp/ts.json",
                                   replay_file(unhcr.SOURCE.id, APR_TS).read_bytes())
    with pytest.raises(LayoutChanged, match="population group"):
        unhcr.parse(nameless)


def test_an_unknown_population_group_is_refused_by_name():
    other = Document.from_bytes(unhcr.SOURCE.id, url_of(unhcr.SOURCE.id, APR_TS).replace("=5457", "=9999"),
                                replay_file(unhcr.SOURCE.id, APR_TS).read_bytes())
    with pytest.raises(LayoutChanged, match="'9999'"):
        unhcr.parse(other)
    content = replay_file(unhcr.SOURCE.id, APR_SUB).read_bytes().replace(b'"5460"', b'"5461"')
    with pytest.raises(LayoutChanged, match="'5461'"):
        unhcr.parse(doc(APR_SUB, content))


def test_an_unknown_field_is_reported_unread():
    body = json.loads(replay_file(unhcr.SOURCE.id, APR_SUB).read_bytes())
    body["data"][0]["refugees_recorded"] = "1000"  # as a publisher might add a figure
    assert unhcr.parse(doc(APR_SUB, json.dumps(body).encode())).unread == ["/data/*/refugees_recorded"]


def test_discovery_and_hosts_are_the_publishers():
    assert unhcr.SOURCE.discovery.kind == "document-is-index"
    assert set(unhcr.SOURCE.hosts) == {"data.unhcr.org", "data2.unhcr.org"}
