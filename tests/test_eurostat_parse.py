"""Eurostat: the recorded Comext relational-view CSVs and the SDMX-ML 2.1 message parsed exactly, and
variants (derived here from the recorded bytes) that must raise LayoutChanged naming what is wrong."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from extractors import eurostat_comext as comext, eurostat_sdmx, locators, sdmx
from extractors.base import Document, LayoutChanged
from tests.un_replay import read, url_of

CX, SD = "eurostat-comext", "eurostat-sdmx"
DEC21, DEC22 = ("estat_comext_relational_view_EU_exports_to_KZ_2021-12.csv",
                "estat_comext_relational_view_EU_exports_to_KZ_2022-12.csv")
GDP = "estat_sdmx21_NAMA_10_GDP_LU_B1GQ_CP_MEUR_2012-2015_structurespecific.xml"
EU27 = "European Union - 27 countries (AT, BE, BG, CY, CZ, DE, DK, EE, ES, FI, FR, GR, HR, HU, IE, IT, LT, LU, LV, MT, NL, PL, PT, RO, SE, SI, SK)"
GERMANY = "Germany (incl. German Democratic Republic 'DD' from 1991)"


def comext_doc(name: str, content: bytes | None = None) -> Document:
    return Document.from_bytes(CX, url_of(CX, name), read(CX, name) if content is None else content)


def by_geo(name: str) -> dict:
    return {r.geo: r for r in comext.parse(comext_doc(name)).records}


def test_comext_december_2022_figures_and_locators():
    doc = comext_doc(DEC22)
    rows = by_geo(DEC22)
    assert len(rows) == 30
    eu, germany = rows[EU27], rows[GERMANY]
    assert (eu.value, eu.unit, eu.raw, eu.flags) == (1371276014.0, "EUR", "1371276014", ("aggregate",))
    assert (germany.value, germany.locator, germany.flags) == (365752435.0, "csv:row=27;col=VALUE_IN_EUR", ())
    assert (germany.partner, germany.flow, germany.commodity) == ("Kazakhstan", "X", "TOTAL")
    assert (germany.period_start, germany.period_end) == (date(2022, 12, 1), date(2022, 12, 31))
    assert locators.resolve(doc.content, germany.locator) == "365752435"
    france = next(g for g in rows if g.startswith("France (incl. Saint Barthélemy"))
    assert rows[france].value == 220816763.0  # a quoted name with commas and semicolons stays one field
    assert sum(1 for r in rows.values() if "aggregate" in r.flags) == 4


def test_comext_december_2021_and_the_eu27_sum_check():
    rows = by_geo(DEC21)
    assert rows[EU27].value == 562078864.0 and rows[GERMANY].value == 182526879.0
    assert rows[GERMANY].locator == "csv:row=27;col=VALUE_IN_EUR"
    parsed = [comext.parse(comext_doc(n)) for n in (DEC21, DEC22)]
    result = comext.check(parsed)
    assert not result.failed and any("equals the EU-27 row 562078864" in p for p in result.passed)
    bad = comext.parse(comext_doc(DEC22, read(CX, DEC22).replace(b",365752435", b",365752436")))
    assert any("member states sum 1371276015" in f for f in comext.check([bad]).failed)


@pytest.mark.parametrize("old,new,message", [
    (b"VALUE_IN_EUR", b"VALUE_IN_USD", "columns of no known meaning ['VALUE_IN_USD'], no column for ['value']"),
    (b"Dec. 2022,293544", b"2022-W52,293544", "line 2: period '2022-W52'"),
    (b"T-Total,Dec. 2022,293544", b"T-Total,Dec. 2022,29x544", "line 2: value '29x544'"),
    (b"2-EXPORT,T-Total,Dec. 2022,293544", b"3-TRANSIT,T-Total,Dec. 2022,293544", "line 2: flow '3-TRANSIT'"),
    (b"2-EXPORT,T-Total,Dec. 2022,293544", b"2-EXPORT,9-Processing,Dec. 2022,293544", "procedure '9-Processing'"),
    (b"Cyprus,Kazakhstan", b"Cyprus,Kazakhstan,extra", "line 2 has 8 fields"),
])
def test_comext_unknown_layouts_raise(old, new, message):
    with pytest.raises(LayoutChanged, match="eurostat-comext") as error:
        comext.parse(comext_doc(DEC22, read(CX, DEC22).replace(old, new, 1)))
    assert message in str(error.value)
    with pytest.raises(LayoutChanged, match="no data rows"):
        comext.parse(comext_doc(DEC22, read(CX, DEC22).split(b"\n")[0] + b"\n"))


def gdp_doc(content: bytes | None = None) -> Document:
    return Document.from_bytes(SD, url_of(SD, GDP), read(SD, GDP) if content is None else content)


def test_sdmx_message_series_observations_and_prepared_time():
    message = sdmx.read(gdp_doc())
    assert message.dataset_id == "NAMA_10_GDP"
    assert message.prepared == datetime(2022, 11, 11, 12, 30, 30, 333000, tzinfo=timezone.utc)
    assert [(o.period, o.value) for o in message.observations] == [
        ("2012", "46526.2"), ("2013", "49094.5"), ("2014", "51791.3"), ("2015", "54142.3")]
    assert message.observations[0].key == {"geo": "LU", "na_item": "B1GQ", "unit": "CP_MEUR", "freq": "A"}


def test_sdmx_source_records_and_locators_read_back():
    doc = gdp_doc()
    parsed = eurostat_sdmx.parse(doc)
    assert [(r.period_start.year, r.value, r.raw) for r in parsed.records] == [
        (2012, 46526.2, "46526.2"), (2013, 49094.5, "49094.5"), (2014, 51791.3, "51791.3"), (2015, 54142.3, "54142.3")]
    first = parsed.records[0]
    assert (first.indicator, first.geo, first.unit, first.vintage) == (
        "NAMA_10_GDP.na_item=B1GQ", "LU", "million EUR", date(2022, 11, 11))
    assert parsed.reference_date == date(2022, 11, 11)
    assert [locators.resolve(doc.content, r.locator) for r in parsed.records] == ["46526.2", "49094.5", "51791.3", "54142.3"]
    assert not eurostat_sdmx.check([parsed]).failed


def test_sdmx_other_namespaces_and_flat_observations():
    renamed = read(SD, GDP).replace(b"xmlns:m=", b"xmlns:msg=").replace(b"<m:", b"<msg:").replace(b"</m:", b"</msg:")
    assert [o.value for o in sdmx.read(gdp_doc(renamed)).observations][-1] == "54142.3"
    flat = read(SD, GDP).replace(b'<Series geo="LU" na_item="B1GQ" unit="CP_MEUR" freq="A">', b"").replace(
        b"</Series>", b"").replace(b'<Obs TIME_PERIOD="2013"', b'<Obs geo="LU" na_item="B1GQ" unit="CP_MEUR" freq="A" OBS_FLAG="p" TIME_PERIOD="2013"')
    obs = sdmx.read(gdp_doc(flat)).observations
    assert obs[1].key["geo"] == "LU" and obs[1].attributes == {"OBS_FLAG": "p"}
    assert locators.resolve(flat, obs[1].locator) == "49094.5"


@pytest.mark.parametrize("old,new,message", [
    (b"StructureSpecificData", b"GenericData", "sdmx1 cannot read it"),
    (b"StructureSpecificData", b"Structure", "root is 'Structure', not an SDMX-ML 2.1 data message"),
    (b"<m:Prepared>2022-11-11T12:30:30.333Z</m:Prepared>", b"", "no Prepared element"),
    (b'OBS_VALUE="46526.2"', b'OBS_VALUE="46 526,2"', "OBS_VALUE '46 526,2' is not a decimal"),
    (b'TIME_PERIOD="2012"', b'TIME_PERIOD="2012-W01"', "TIME_PERIOD '2012-W01'"),
    (b'unit="CP_MEUR"', b'unit="PC_GDP"', "lacks a geo or a unit this parser knows"),
])
def test_sdmx_unknown_layouts_raise(old, new, message):
    with pytest.raises(LayoutChanged, match="eurostat-sdmx") as error:
        eurostat_sdmx.parse(gdp_doc(read(SD, GDP).replace(old, new)))
    assert message in str(error.value)


def test_sdmx_series_attributes_are_flags_and_the_locator_names_key_and_period():
    """Derived here from the recorded bytes: an upper-case attribute on the Series (as SDMX attaches
    series-level attributes) is a flag, not part of the indicator; the locator names key and period."""
    with_attr = read(SD, GDP).replace(b'freq="A">', b'freq="A" CONF_STATUS="F">')
    doc = gdp_doc(with_attr)
    parsed = eurostat_sdmx.parse(doc)
    last = parsed.records[-1]
    assert last.indicator == "NAMA_10_GDP.na_item=B1GQ" and last.flags == ("CONF_STATUS=F",)
    assert "[@geo='LU'][@na_item='B1GQ'][@unit='CP_MEUR'][@freq='A']" in last.locator
    assert last.locator.endswith("[@TIME_PERIOD='2015']/@OBS_VALUE")
    assert locators.resolve(with_attr, last.locator) == "54142.3"
