"""UNHCR parser on the real recorded responses (replay/unhcr-ukraine-refugees, see ORIGIN.md)."""

import json

import pytest

from extractors import locators, unhcr
from extractors.base import Document, LayoutChanged
from tests.conftest import replay_file

SUB = "sublocation_widget283575_popgroups5459-5478_2022-08-05.json"
TS = "timeseries_widget283577_popgroup5478_2022-08-05.json"


def doc(name: str, content: bytes | None = None) -> Document:
    data = content if content is not None else replay_file(unhcr.SOURCE.id, name).read_bytes()
    return Document.from_bytes(unhcr.SOURCE.id, name, data)


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
