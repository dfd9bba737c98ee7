"""IOM DTM parser on the real recorded workbooks (replay/iom-dtm-idps), rounds 3, 13 and 14.

Figures are the ones /work/shared/snapshots/iom-dtm-idps/MANIFEST.md lists. Changed layouts are
derived from the real bytes (a string renamed inside the workbook's sharedStrings.xml).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace
from datetime import date
from urllib.parse import urldefrag

import pytest

from extractors import iom_dtm
from extractors.base import Document, LayoutChanged
from extractors.dtm_rounds import with_hint
from extractors.locators import resolve
from tests.un_replay import read, url_of

SRC = "iom-dtm-idps"
R3, R13, R14 = ("round_3_idp_estimation_17_apr_2022.xlsx", "round_13_idp_estimation_25_may_2023.xlsx",
                "round_14_idp_estimation_25_september_2023.xlsx")
NAMES = {R3: ("Round 3 IDP Estimation 17 Apr 2022", "2022-04-21T15:13:56.068263"),
         R13: ("Round 13 IDP Estimation 25 May 2023", "2023-07-04T17:18:43.525855"),
         R14: ("Round 14 IDP Estimation 25 September 2023", "2023-10-17T13:41:37.762683")}


def fetched(name: str, content: bytes | None = None) -> Document:
    """The document as fetch() requests it: live URL + the HDX resource name in the fragment."""
    title, modified = NAMES[name]
    url = with_hint(url_of(SRC, name), title, modified)
    assert url == url_of(SRC, name)  # the replay manifest holds the URL fetch() requests
    return Document.from_bytes(SRC, url, read(SRC, name) if content is None else content)


def edited(name: str | bytes, old: str, new: str) -> bytes:
    """The real workbook (by file name, or bytes already edited) with one shared string changed."""
    content = read(SRC, name) if isinstance(name, str) else name
    source, out = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/sharedStrings.xml":
                assert old.encode() in data
                data = data.replace(old.encode(), new.encode())
            target.writestr(item, data)
    return out.getvalue()


def find(parsed, indicator: str, geo: str):
    found = [r for r in parsed.records if r.indicator == indicator and r.geo == geo]
    assert len(found) == 1, (indicator, geo, found)
    return found[0]


@pytest.fixture(scope="module")
def r14():
    return iom_dtm.parse(fetched(R14))


@pytest.fixture(scope="module")
def r13():
    return iom_dtm.parse(fetched(R13))


@pytest.fixture(scope="module")
def r3():
    return iom_dtm.parse(fetched(R3))


def test_round_14_oblast_figures(r14):
    dnipro = find(r14, "idps", "UA12|Dnipropetrovska")
    assert dnipro.value == 498000 and dnipro.locator == "cell:Estimated Population!G6"
    assert find(r14, "returnees", "UA12|Dnipropetrovska").value == 323000
    assert find(r14, "idps", "UA63|Kharkivska").value == 494000
    assert find(r14, "returnees", "UA63|Kharkivska").value == 567000
    assert find(r14, "idps", "UA71|Cherkaska").value == 121000
    assert (find(r14, "idps", "UA32|Kyiv").value, find(r14, "returnees", "UA32|Kyiv").value) == (363000, 1042000)
    zap = find(r14, "idps", "UA23|Zaporizka")  # "Zaporizka*": the marker goes to flags
    assert zap.value == 220000 and "footnote=*" in zap.flags
    assert dnipro.unit == "persons" and dnipro.period_start == dnipro.period_end == date(2023, 9, 30)
    assert "round=14" in dnipro.flags and dnipro.vintage == date(2023, 10, 17)
    assert r14.reference_date == date(2023, 9, 30)


def test_round_14_missing_and_unknown_rows(r14):
    luhansk = find(r14, "idps", "UA44|Luhanska")
    assert luhansk.value is None and luhansk.raw == "n/a"
    assert luhansk.locator == "cell:Estimated Population!G26" and "footnote=*" in luhansk.flags
    assert find(r14, "returnees", "UA44|Luhanska").value is None
    unknown = find(r14, "idps", "Residence location unknown (in Ukraine)")  # its pcode is "n/a"
    assert unknown.value == 20000 and unknown.locator == "cell:Estimated Population!G28"
    assert "footnote=**" in unknown.flags
    assert find(r14, "returnees", "Residence location unknown (in Ukraine)").value == 15000


def test_round_14_counts_and_no_national_total(r14):
    idps = [r for r in r14.records if r.indicator == "idps"]
    assert len(idps) == 26 and len([r for r in r14.records if r.indicator == "returnees"]) == 26
    assert sum(r.value for r in idps if r.value is not None) == 3674000  # computed, never published
    assert not any("total" in r.geo.lower() for r in r14.records)


def test_round_14_top_oblast_shares(r14):
    share = find(r14, "idps_share", "Dnipropetrovska Oblast")
    assert share.value == 0.14 and share.locator == "cell:Current Location of IDPs!B2"
    assert share.unit == "fraction of IDPs"
    assert find(r14, "idps_by_origin_share", "Donetska Oblast").value == 0.24
    assert find(r14, "idps_share", "Other oblasts").value == 0.48


def test_round_14_date_is_the_workbooks_and_difference_is_reported(r14):
    # the HDX name says 25 September 2023, the workbook's #date+reported says 2023-09-30
    assert any("2023-09-30" in w and "2023-09-25" in w for w in r14.warnings)


def test_round_13_oblast_and_macro_figures(r13):
    assert find(r13, "idps", "Kharkivska").value == 689000
    assert find(r13, "population_present", "Kharkivska").value == 2978000
    assert find(r13, "returnees", "Kharkivska").value == 551000
    assert find(r13, "idps", "Dnipropetrovska").value == 625000
    assert (find(r13, "idps", "Kyiv").value, find(r13, "returnees", "Kyiv").value) == (455000, 1106000)
    for indicator in ("idps", "returnees", "population_present", "non_displaced_residents"):
        assert find(r13, indicator, "Luhanska").value is None
    assert find(r13, "idps", "macro-region|East").value == 1665000
    assert find(r13, "idps", "macro-region|West").value == 974000
    assert find(r13, "idps", "macro-region|Kyiv").value == 455000  # a separate series from "Kyiv"
    assert find(r13, "idps_by_origin", "macro-region|East").value == 3399000
    assert find(r13, "idps", "Kharkivska").locator == "cell:ESTIMATED POPULATION!C4"
    assert r13.reference_date == date(2023, 5, 25)  # from the HDX resource name
    assert find(r13, "idps", "Kharkivska").vintage == date(2023, 7, 4)
    assert len([r for r in r13.records if r.indicator == "idps" and "|" not in r.geo]) == 26


def test_round_3_macro_regions(r3):
    current = {r.geo: r.value for r in r3.records if r.indicator == "idps"}
    assert current["macro-region|West"] == 2850000
    assert current == {"macro-region|Kyiv": 114000, "macro-region|East": 1459000, "macro-region|South": 228000,
                       "macro-region|Center": 1802000, "macro-region|North": 1254000,
                       "macro-region|West": 2850000}
    assert sum(current.values()) == 7707000
    assert find(r3, "idps_by_origin", "macro-region|East").value == 3468000  # header "Marco-region" [sic]
    # Round 3 of 17 April 2022 (the HDX resource name), uploaded 2022-04-21: not round 4 of 3 May 2022
    assert r3.reference_date == date(2022, 4, 17)
    east = find(r3, "idps", "macro-region|East")
    assert east.value == 1459000 and "round=3" in east.flags and east.vintage == date(2022, 4, 21)
    assert east.period_start == east.period_end == date(2022, 4, 17)
    assert {r.indicator for r in r3.records} == {"idps", "idps_by_origin"}


def test_every_locator_reads_back_its_raw_text(r3, r13, r14):
    for name, parsed in ((R3, r3), (R13, r13), (R14, r14)):
        content = read(SRC, name)
        for record in parsed.records:
            assert resolve(content, record.locator) == record.raw, record


def test_file_name_gives_the_date_when_parsing_a_saved_file():
    doc = Document.from_bytes(SRC, f"/tmp/saved/{R13}", read(SRC, R13))  # as `sanctrace parse` would
    parsed = iom_dtm.parse(doc)
    assert parsed.reference_date == date(2023, 5, 25) and "round=13" in parsed.records[0].flags
    assert parsed.records[0].vintage is None


def test_no_date_anywhere_is_refused():
    doc = Document.from_bytes(SRC, urldefrag(url_of(SRC, R13)).url, read(SRC, R13))  # live URL, no HDX name
    with pytest.raises(LayoutChanged, match="no survey date"):
        iom_dtm.parse(doc)


def test_missing_idp_tag_is_a_layout_change():
    content = edited(R14, "#affected+idp+ind", "#affected+idp+hh")
    with pytest.raises(LayoutChanged, match="no #affected\\+idp\\+ind column"):
        iom_dtm.parse(fetched(R14, content))


def test_tag_over_a_column_that_is_not_idps_is_a_layout_change():
    content = edited(R14, "Estimated max. de facto IDPs present", "Estimated max. residents present")
    with pytest.raises(LayoutChanged, match="does not say 'idp'"):
        iom_dtm.parse(fetched(R14, content))


def test_unknown_layout_names_sheets_and_headers():
    content = edited(edited(R3, "Marco-region", "Region"), "Macro-region", "Region")
    with pytest.raises(LayoutChanged) as err:
        iom_dtm.parse(fetched(R3, content))
    assert "'Current location of IDPs'" in str(err.value) and "# est. Departed" in str(err.value)


def test_changed_macro_region_membership_is_a_layout_change():
    content = edited(R13, "Sumska oblast", "Sumy oblast")  # derived: the grouping sheet renamed one member
    with pytest.raises(LayoutChanged, match="membership changed"):
        iom_dtm.parse(fetched(R13, content))


def test_not_a_workbook_is_a_layout_change():
    with pytest.raises(LayoutChanged, match="not a readable workbook"):
        iom_dtm.parse(fetched(R14, read(SRC, R14)[:4000]))


def test_metadata_document_parses_to_no_records():
    meta = "hdx_package_show_ukraine-idp-estimates_2023-10-18.json"
    parsed = iom_dtm.parse(Document.from_bytes(SRC, url_of(SRC, meta), read(SRC, meta)))
    assert parsed.records == []
    with pytest.raises(LayoutChanged, match="not an HDX dataset"):
        iom_dtm.parse(Document.from_bytes(SRC, "x.json", b'{"data": []}'))


def test_check_passes_on_the_three_rounds(r3, r13, r14):
    result = iom_dtm.check([iom_dtm.parse(Document.from_bytes(SRC, "m.json", read(
        SRC, "hdx_package_show_ukraine-idp-estimates_2023-10-18.json"))), r3, r13, r14])
    assert result.failed == []
    joined = " | ".join(result.passed)
    assert "oblast IDPs sum 5088000 matches macro-region IDPs by location sum 5088000" in joined
    assert "macro-region IDPs by location sum 7707000 matches macro-region IDPs by origin sum 7707000" in joined
    assert "round 14 (2023-09-30): idps_share parts sum to 1" in joined
    assert result.warnings == [f"round 14: {r14.warnings[0]}"]  # the workbook/HDX date difference
    # the publisher's Macro-regions_Oblasts grouping: oblasts add up to each macro-region (round 13)
    assert "east oblasts' IDPs sum 1665000 matches macro-region east IDPs sum 1665000" in joined
    assert "kyiv oblasts' IDPs sum 455000 matches macro-region kyiv IDPs sum 455000" in joined


def test_check_fails_loudly(r13, r14):
    assert iom_dtm.check([]).failed == []  # a run that brings no new round (only the metadata) is fine
    broken = replace(r13, records=[replace(r, value=r.value + 100000) if r.geo == "macro-region|West"
                                   and r.indicator == "idps" else r for r in r13.records])
    assert any("matches macro-region IDPs by location" in f for f in iom_dtm.check([broken]).failed)
    moved = replace(r13, records=[replace(r, value=r.value + 50000) if r.geo == "Kharkivska"
                                  and r.indicator == "idps" else r for r in r13.records])
    failed = iom_dtm.check([moved]).failed
    assert any("east oblasts' IDPs sum 1715000" in f for f in failed)
    short = replace(r14, records=[r for r in r14.records if r.geo != "UA63|Kharkivska"][:30])
    assert any("oblast rows" in f for f in iom_dtm.check([short]).failed)
    huge = replace(r14, records=[replace(r14.records[0], value=5e7)] + r14.records[1:])
    assert any("within range" in f for f in iom_dtm.check([huge]).failed)


def test_unread_sheets_and_columns_are_reported(r3, r13, r14):
    assert r3.unread == ["Current location of IDPs!B '% IDPs location per M-R'",
                         "IDPs by Region of Origin!B '% IDPs origin per M-R'"]
    assert "Current location of IDPs!C '% EST'" in r13.unread
    assert "IDPs by Region of Origin!C '% EST IDPs'" in r13.unread
    assert any(u.startswith("ESTIMATED POPULATION!J '* Estimates in Donetska") for u in r13.unread)  # footnotes
    assert r14.unread[:2] == ["Estimated Population!B 'Country Name'", "Estimated Population!C 'Country Code'"]
    extra = edited(R14, "Top 5 IDP hosting oblasts", "IDP hosting oblasts")  # a sheet no table matches
    assert "sheet 'Current Location of IDPs' (no table this parser knows)" in iom_dtm.parse(fetched(R14, extra)).unread


def test_declared_assertions_hold_on_the_recorded_rounds(r3, r13, r14):
    from extractors.base import CheckResult
    from sanctrace.assertions import declared_checks

    result = declared_checks(iom_dtm.SOURCE, [r3, r13, r14], CheckResult())
    assert result.failed == [] and len(result.passed) == 4
    assert any("fields not read" in w for w in result.warnings)
    no_vintage = iom_dtm.parse(Document.from_bytes(SRC, f"/saved/{R13}", read(SRC, R13)))  # no HDX upload date
    assert any("vintage filled in 0.0%" in f for f in declared_checks(iom_dtm.SOURCE, [no_vintage], CheckResult()).failed)
