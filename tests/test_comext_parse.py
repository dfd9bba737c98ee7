"""eurostat-comext parsers without a warehouse: the recorded XLSX download of DS-045409 at CN8 level,
every CSV download style, and the API path up to the requests it builds.

Built documents here are of two kinds only, as the house rules allow:
- CSV styles derived from the recorded Dec. 2022 relational view by the Data Browser's download options
  (codes, labels or both; quoted or bare fields; LF or CRLF; header forms): the same values, the
  dimension texts re-written by code in the test, never new figures;
- refusals: the recorded workbook or CSV with one thing changed (a cell, a label), and API answers
  that must be refused (no API answer was ever recorded, so no positive API document exists here).
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date

import pytest

from extractors import comext_api, eurostat_comext as comext, locators
from extractors.base import Document, FetchError, FetchOptions, LayoutChanged, WatchList
from extractors.comext_labels import MEMBER_CODES
from tests.un_replay import read, url_of
from transforms.common import ValidationFailed
from transforms.trade import normalise

CX = "eurostat-comext"
XLSX = "estat_DS-045409_custom_4623968_CN8_8542_EU_exports_AM-BY-GE-KG-KZ-RU-UZ_2020-01_2022-12.xlsx"
DEC22 = "estat_comext_relational_view_EU_exports_to_KZ_2022-12.csv"
SHEET37 = "xl/worksheets/sheet39.xml"  # "Sheet 37": CN8 85423190 (after Summary and Structure)


def doc(name: str, content: bytes | None = None) -> Document:
    return Document.from_bytes(CX, url_of(CX, name), read(CX, name) if content is None else content)


@pytest.fixture(scope="module")
def workbook():
    return comext.parse(doc(XLSX))


def edited(replacements: list[tuple[bytes, bytes]], member: str | None = None) -> bytes:
    """The recorded workbook with text replaced in one worksheet (or in all of them)."""
    source, out = zipfile.ZipFile(io.BytesIO(read(CX, XLSX))), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == member or (member is None and item.filename.startswith("xl/worksheets/sheet")):
                for old, new in replacements:
                    data = data.replace(old, new)
            target.writestr(item, data)
    return out.getvalue()


# --- the XLSX download -----------------------------------------------------------------------------

def test_every_published_cell_is_a_figure_and_every_colon_is_counted(workbook):
    published = [r for r in workbook.records if not comext.is_derived(r)]
    assert len(published) == 36_667 and workbook.missing_marks == 711_773  # 110 sheets x 189 rows x 36 months
    assert len(published) + workbook.missing_marks == 110 * 189 * 36
    assert workbook.reference_date == date(2023, 1, 13)
    assert {r.unit for r in published} == {"EUR"} and {r.flow for r in published} == {"X"}
    assert len({r.commodity for r in published}) <= 110 and all(len(r.commodity) == 8 for r in published)


def test_manifest_cells(workbook):
    at = {r.locator: r for r in workbook.records if not comext.is_derived(r)}
    germany_kz = at["cell:Sheet 37!O51"]
    assert (germany_kz.value, germany_kz.geo, germany_kz.partner, germany_kz.commodity) == (
        68934.0, "Germany (incl. German Democratic Republic 'DD' from 1991)", "Kazakhstan", "85423190")
    assert (germany_kz.period_start, germany_kz.period_end) == (date(2021, 1, 1), date(2021, 1, 31))
    assert at["cell:Sheet 37!AK51"].value == 385709.0 and "cell:Sheet 37!AL51" not in at  # ':' -> no record
    assert at["cell:Sheet 37!AA52"].value == 3_504_091.0 and at["cell:Sheet 37!AD52"].value == 6720.0
    assert at["cell:Sheet 37!AA52"].partner == "Russian Federation (Russia)"
    assert at["cell:Sheet 37!AF156"].value == 225_429.0 and at["cell:Sheet 37!AF156"].geo == "Netherlands"
    content = read(CX, XLSX)
    assert locators.resolve(content, "cell:Sheet 37!AD52") == "6720.0"


def test_derived_totals_name_their_ranges_and_say_when_partial(workbook):
    derived = {(r.geo, r.partner, r.commodity, r.period_start, r.period_end): r
               for r in workbook.records if comext.is_derived(r)}
    eu = "European Union - 27 countries (sum of the member states' rows)"
    kz21 = derived[(eu, "Kazakhstan", "8542", date(2021, 1, 1), date(2021, 12, 31))]
    assert kz21.value == 6_104_540.0 and "partial" in kz21.flags  # ':' cells in its range
    assert kz21.locator.startswith("sum:cell:Sheet 35!O12:Z200|B=Kazakhstan + cell:Sheet 36!O12:Z200|B=Kazakhstan")
    year = derived[("Germany (incl. German Democratic Republic 'DD' from 1991)", "Kazakhstan", "85423190",
                    date(2021, 1, 1), date(2021, 12, 31))]
    cells = locators.resolve(read(CX, XLSX), year.locator).split(" + ")
    assert len(cells) == 12 and year.value == sum(float(c) for c in cells if c != ":")
    assert ("partial" in year.flags) == (":" in cells)


def test_any_workbook_of_this_kind_other_codes_and_partners():
    """The recorded workbook with Sheet 37's product re-coded and Kazakhstan renamed Türkiye (labels
    changed in the real bytes): the parser follows the labels, not a list of codes or partners."""
    content = edited([(b"[85423190]", b"[88062210]")], SHEET37)
    renamed = _rename_partner(content, b"Kazakhstan", "Türkiye".encode())
    parsed = comext.parse(doc(XLSX, renamed))
    at = {r.locator: r for r in parsed.records if not comext.is_derived(r)}
    assert (at["cell:Sheet 37!O51"].commodity, at["cell:Sheet 37!O51"].partner) == ("88062210", "Türkiye")
    assert any(r.commodity == "8806" and comext.is_derived(r) for r in parsed.records)  # its own heading
    frame = normalise(CX, [(doc(XLSX, renamed), parsed)]).observations
    assert "TUR" in set(frame["partner"]) and "KAZ" not in set(frame["partner"])


def _rename_partner(content: bytes, old: bytes, new: bytes) -> bytes:
    source, out = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                data = data.replace(b"<t>" + old + b"</t>", b"<t>" + new + b"</t>")
            target.writestr(item, data)
    return out.getvalue()


def test_an_unknown_partner_label_fails_the_batch_naming_it():
    content = _rename_partner(read(CX, XLSX), b"Kazakhstan", b"Atlantis")
    parsed = comext.parse(doc(XLSX, content))
    with pytest.raises(ValidationFailed, match="Atlantis"):
        normalise(CX, [(doc(XLSX, content), parsed)])


@pytest.mark.parametrize("old,new,message", [
    (b'<c r="O51" s="10" t="n"><v>68934.0</v></c>', b'<c r="O51" s="10" t="inlineStr"><is><t>n/a</t></is></c>',
     "sheet 'Sheet 37' cell row 51 column 2021-01: 'n/a' is neither a number nor ':'"),
    (b"<t>EXPORT</t>", b"<t>TRANSIT</t>", "FLOW 'TRANSIT'"),
    (b"<t>VALUE_IN_EUROS</t>", b"<t>SUPPLEMENTARY_QUANTITY</t>", "INDICATORS 'SUPPLEMENTARY_QUANTITY'"),
    (b"<t>TIME</t>", b"<t>PERIOD</t>", "no 'TIME' row"),
    (b"[85423190]", b"", "ends in no [code]"),
    (b"<t>2021-01</t>", b"<t>2021 January</t>", "period '2021 January'"),
    # a second special value in the legend under the table: ':' is the only one this parser knows
    (b'<t>not available</t></is></c></row>', b'<t>not available</t></is></c></row><row r="204"><c r="A204" '
     b't="inlineStr"><is><t>c</t></is></c><c r="B204" t="inlineStr"><is><t>confidential</t></is></c></row>',
     "special values {'c': 'confidential'}"),
])
def test_changed_workbooks_are_refused(old, new, message):
    with pytest.raises(LayoutChanged, match="eurostat-comext") as error:
        comext.parse(doc(XLSX, edited([(old, new)], SHEET37)))
    assert message in str(error.value)


# --- every CSV download style ----------------------------------------------------------------------

GEO_CODES = {name: code for code, name in MEMBER_CODES.items()}
AGGREGATE_CODES = {"European Union - 27 countries": "EU27_2020", "Euro area - 20 countries": "EA20",
                   "European Union": "EU", "Euro area": "EA"}


def _code_of(label: str) -> str:
    head = label.split(" (", 1)[0]
    return GEO_CODES.get(head) or AGGREGATE_CODES[head]


def styled(dimensions: str, quoting: int = csv.QUOTE_MINIMAL, newline: str = "\n",
           header: tuple[str, ...] | None = None) -> bytes:
    """The recorded Dec. 2022 relational view re-written as the Data Browser writes its other styles:
    ``dimensions`` 'codes', 'labels' or 'both' (the recorded style: countries as labels, FLOW, PRODUCT
    and STAT_PROCEDURE as code-label) or 'spaced' (code - label); the values are the file's own."""
    rows = list(csv.reader(io.StringIO(read(CX, DEC22).decode("utf-8"))))
    out = io.StringIO()
    writer = csv.writer(out, quoting=quoting, lineterminator=newline)
    writer.writerow(header or rows[0])
    for reporter, partner, product, flow, procedure, period, value in rows[1:]:
        if dimensions == "codes":
            reporter, partner = _code_of(reporter), "KZ"
            product, flow, procedure, period = "TOTAL", "2", "T", "202212"
        elif dimensions == "labels":
            product, flow, procedure, period = "Total", "EXPORT", "Total", "Dec. 2022"
        elif dimensions == "spaced":
            reporter = f"{_code_of(reporter)} - {reporter}"
            product, flow, procedure, period = "TOTAL - Total", "2 - EXPORT", "T - Total", "2022-12"
        writer.writerow([reporter, partner, product, flow, procedure, period, value])
    return out.getvalue().encode("utf-8")


def figures_of(content: bytes) -> set[tuple]:
    d = doc(DEC22, content)
    frame = normalise(CX, [(d, comext.parse(d))]).observations
    return set(zip(frame["geo"], frame["partner"], frame["commodity"], frame["flow"], frame["period_start"],
                   frame["value"]))


@pytest.mark.parametrize("dimensions,quoting,newline,header", [
    ("both", csv.QUOTE_ALL, "\r\n", None),
    ("codes", csv.QUOTE_MINIMAL, "\n", None),
    ("codes", csv.QUOTE_ALL, "\r\n", ("reporter", "partner", "product", "flow", "stat_procedure", "TIME_PERIOD", "OBS_VALUE")),
    ("labels", csv.QUOTE_MINIMAL, "\r\n", None),
    ("labels", csv.QUOTE_NONNUMERIC, "\n", ("REPORTER_LAB", "PARTNER_LAB", "PRODUCT_LAB", "FLOW_LAB",
                                            "STAT_PROCEDURE_LAB", "PERIOD", "VALUE_IN_EUROS")),
    ("spaced", csv.QUOTE_ALL, "\n", ("Reporter", "Partner", "Product", "Flow", "Stat procedure", "Period", "Value in euros")),
])
def test_every_download_style_gives_the_same_figures(dimensions, quoting, newline, header):
    recorded = figures_of(read(CX, DEC22))
    assert len(recorded) == 30 and ("DEU", "KAZ", "TOTAL", "X", date(2022, 12, 1), 365752435.0) in recorded
    content = styled(dimensions, quoting, newline, header)
    assert figures_of(content) == recorded
    checked = comext.check([comext.parse(doc(DEC22, content))])
    assert not checked.failed and any("equals the EU-27 row 1371276014" in p for p in checked.passed)


def test_a_csv_locator_reads_back_in_any_style():
    content = styled("codes", csv.QUOTE_ALL, "\r\n")
    parsed = comext.parse(doc(DEC22, content))
    germany = next(r for r in parsed.records if r.geo == "DE")
    assert germany.locator == "csv:row=27;col=VALUE_IN_EUR"
    assert locators.resolve(content, germany.locator) == "365752435"


def test_unread_columns_are_reported_and_colons_counted():
    rows = read(CX, DEC22).decode().splitlines()
    content = "\n".join([rows[0] + ",QUANTITY_IN_100KG"] + [r + ",12" for r in rows[1:2]]
                        + [rows[2].rsplit(",", 1)[0] + ",:,:"] + [r + ",7" for r in rows[3:]]).encode()
    parsed = comext.parse(doc(DEC22, content))
    assert parsed.unread == ["QUANTITY_IN_100KG"] and parsed.missing_marks == 1 and len(parsed.records) == 29


@pytest.mark.parametrize("old,new,message", [
    (b"STAT_PROCEDURE", b"WEIGHT_CLASS", "columns of no known meaning ['WEIGHT_CLASS']"),
    (b"PARTNER,", b"DESTINATION,", "no column for ['partner']"),
    (b"2-EXPORT,T-Total", b"2-EXPORT,1-Normal", "procedure '1-Normal'"),
    (b"2-EXPORT,T-Total", b"2-IMPORT,T-Total", "flow '2-IMPORT'"),
    (b"TOTAL-Total", b"Total of sanctioned goods", "product 'Total of sanctioned goods' gives no product code"),
    (b"REPORTER,", b"<!DOCTYPE html><html>", "neither a workbook nor CSV"),
])
def test_truly_unknown_csv_is_refused_naming_what_was_found(old, new, message):
    with pytest.raises(LayoutChanged, match="eurostat-comext") as error:
        comext.parse(doc(DEC22, read(CX, DEC22).replace(old, new, 1)))
    assert message in str(error.value)


# --- the live path: Eurostat's Comext API (no answer recorded: requests only, and refusals) -------------

def test_no_mirror_among_the_hosts_and_typed_params():
    assert comext.SOURCE.hosts == ("ec.europa.eu",)
    assert comext.SOURCE.discovery.status == "untested against a real document"
    assert comext.SOURCE.discovery.index_url == (
        "https://ec.europa.eu/eurostat/api/comext/dissemination/sdmx/2.1/dataflow/ESTAT/DS-045409")
    with pytest.raises(ValueError):
        comext.Params(comext_urls=["https://raw.githubusercontent.com/x.csv"])
    from sanctrace.settings import PROJECT_ROOT
    downloads = comext.replay_defaults(PROJECT_ROOT / "replay")["downloads"]
    assert len(downloads) == 3 and all(u.startswith("https://ec.europa.eu/eurostat/") for u in downloads)


def test_requests_built_from_the_watch_list():
    watch = WatchList(hs_codes=("8542", "8806"), reporters=("KAZ", "KGZ"), partners=("RUS", "WLD"))
    built = comext_api.requests_for(watch, "2020-01")
    assert [(r.product, r.partner) for r in built] == [
        ("8542", "KZ"), ("8542", "KG"), ("8542", "RU"), ("8806", "KZ"), ("8806", "KG"), ("8806", "RU")]
    first = built[0].url
    assert first.startswith("https://ec.europa.eu/eurostat/api/comext/dissemination/statistics/1.0/data/DS-045409?")
    assert "format=JSON" in first and "freq=M" in first and "flow=2" in first and "indicators=VALUE_IN_EUROS" in first
    assert "partner=KZ" in first and "product=8542" in first and "sinceTimePeriod=2020-01" in first
    assert sorted(p.split("=")[1] for p in first.split("&") if p.startswith("reporter=")) == sorted(MEMBER_CODES)
    assert "reporter=EL" in first  # Greece is EL at Eurostat


class StubClient:
    """Answers the dataflow with ``body`` (or fails); records what was asked."""

    def __init__(self, body: bytes | None):
        self.body, self.asked = body, []

    def has(self, url, params=None):
        return True

    def get(self, url, params=None):
        self.asked.append(url)
        if not comext_api.is_api_url(url):
            return doc(DEC22)  # the recorded download
        if self.body is None:
            raise FetchError(CX, url, "HTTP 503")
        return Document.from_bytes(CX, url, self.body)


def test_a_dataflow_without_its_update_date_fails_loudly():
    answer = b'<?xml version="1.0"?><Structure><Dataflow id="DS-045409"/></Structure>'  # a refusal case
    options = FetchOptions(params=comext.Params(), watch=WatchList(("8542",), ("KAZ",), ("RUS",)))
    with pytest.raises(LayoutChanged, match="no UPDATE_DATA annotation"):
        list(comext.fetch(StubClient(answer), options))


def test_an_unreachable_dataflow_is_a_named_failure_and_the_downloads_still_load():
    options = FetchOptions(params=comext.Params(downloads=[url_of(CX, DEC22)]), watch=WatchList(("8542",), ("KAZ",)))
    client = StubClient(None)
    fetched = list(comext.fetch(client, options))
    assert [d.url for d in fetched] == [url_of(CX, DEC22)]
    assert options.failures == [f"Comext dataflow: {comext_api.dataflow_url()}: HTTP 503"]
    assert client.asked[-1] == url_of(CX, DEC22)


@pytest.mark.parametrize("body,message", [
    (b'{"error": {"status": 413, "label": "too large"}}', "not a JSON-stat dataset (found ['error'])"),
    (b'{"class": "dataset", "id": ["geo", "time"], "size": [1, 1], "value": {}}', "dimensions ['geo', 'time']"),
    (b"<html>maintenance</html>", "not JSON"),
])
def test_unexpected_api_answers_are_refused(body, message):
    url = comext_api.requests_for(WatchList(("8542",), ("KAZ",)), "2020-01")[0].url
    with pytest.raises(LayoutChanged, match="eurostat-comext") as error:
        comext.parse(Document.from_bytes(CX, url, body))
    assert message in str(error.value)
