"""Ukrainian oblast names and pcodes -> ISO 3166-2:UA, including every geo the real IOM rounds give."""

from __future__ import annotations

import pytest

from extractors import iom_dtm
from extractors.base import Document
from transforms import codes_ua
from transforms.codes_ua import UnknownName, geo_code, macro_region_code, oblast_code, pcode_conflict, pcode_to_iso
from tests.un_replay import read, url_of

ISO_3166_2_UA = {  # the 27 subdivisions of ISO 3166-2:UA
    "UA-05", "UA-07", "UA-09", "UA-12", "UA-14", "UA-18", "UA-21", "UA-23", "UA-26", "UA-30", "UA-32",
    "UA-35", "UA-40", "UA-43", "UA-46", "UA-48", "UA-51", "UA-53", "UA-56", "UA-59", "UA-61", "UA-63",
    "UA-65", "UA-68", "UA-71", "UA-74", "UA-77",
}


def test_all_27_subdivisions_once():
    codes = [iso for iso, _, _, _ in codes_ua.OBLASTS]
    assert len(codes) == 27 and set(codes) == ISO_3166_2_UA
    assert len({pcode for _, pcode, _, _ in codes_ua.OBLASTS}) == 27


@pytest.mark.parametrize("name,code", [
    ("Dnipropetrovska", "UA-12"), ("Dnipropetrovska Oblast", "UA-12"), ("Dnipropetrovska oblast", "UA-12"),
    ("Zaporizka*", "UA-23"), ("Luhanska*", "UA-09"), ("Chernivetska", "UA-77"), ("Kharkiv Oblast", "UA-63"),
    ("Kyiv", "UA-30"), ("Kyiv City", "UA-30"), ("The city of Kyiv", "UA-30"),
    ("Kyivska", "UA-32"), ("Kyiv Oblast", "UA-32"), ("Kyivska Oblast", "UA-32"),
    ("Sevastopol", "UA-40"), ("Crimea", "UA-43"), ("Avtonomna Respublika Krym", "UA-43"),
    ("Ivano-Frankivska", "UA-26"), ("Odesa", "UA-51"),
    ("Residence location unknown (in Ukraine)", "UA-UNKNOWN"), ("Residence location unknown (in Ukraine)**", "UA-UNKNOWN"),
    ("Other oblasts", "UA-OTHER"),
])
def test_oblast_names(name, code):
    assert oblast_code(name) == code


def test_pcodes_follow_koatuu_not_iso():
    assert pcode_to_iso("UA12") == "UA-12"
    assert (pcode_to_iso("UA44"), pcode_to_iso("UA73"), pcode_to_iso("UA80")) == ("UA-09", "UA-77", "UA-30")
    assert (pcode_to_iso("UA85"), pcode_to_iso("UA01")) == ("UA-40", "UA-43")


def test_macro_regions():
    assert {macro_region_code(n) for n in ("West", "East", "North", "South", "Centre", "Kyiv")} == {
        "UA-MACRO-WEST", "UA-MACRO-EAST", "UA-MACRO-NORTH", "UA-MACRO-SOUTH", "UA-MACRO-CENTRE", "UA-MACRO-KYIV"}
    assert macro_region_code("Center") == macro_region_code("Central") == "UA-MACRO-CENTRE"
    assert geo_code("macro-region|Kyiv") == "UA-MACRO-KYIV" != geo_code("Kyiv")
    assert geo_code("macro-region|Not provided") == "UA-MACRO-UNKNOWN"


def test_unknown_names_fail():
    for bad in ("Atlantis", "macro-region|Atlantis"):
        with pytest.raises(UnknownName):
            geo_code(bad)
    with pytest.raises(UnknownName):
        pcode_to_iso("UA99")


def test_every_geo_of_the_real_rounds_is_coded_and_only_kyiv_pcodes_conflict():
    src = "iom-dtm-idps"
    geos = set()
    for name in ("round_3_idp_estimation_17_apr_2022.xlsx", "round_13_idp_estimation_25_may_2023.xlsx",
                 "round_14_idp_estimation_25_september_2023.xlsx"):
        parsed = iom_dtm.parse(Document.from_bytes(src, f"/saved/{name}", read(src, name)))
        geos |= {r.geo for r in parsed.records}
    coded = {geo: geo_code(geo) for geo in geos}
    assert coded["UA12|Dnipropetrovska"] == "UA-12" and coded["UA44|Luhanska"] == "UA-09"
    assert coded["UA32|Kyiv"] == "UA-30" and coded["UA80|Kyivska"] == "UA-32"  # the names win
    conflicts = {g for g in geos if pcode_conflict(g)}
    assert conflicts == {"UA32|Kyiv", "UA80|Kyivska"}
    assert "pcode UA32 means UA-32" in pcode_conflict("UA32|Kyiv")
    oblast_level = {c for g, c in coded.items() if not c.startswith("UA-MACRO") and c not in ("UA-UNKNOWN", "UA-OTHER")}
    assert len(oblast_level) == 25 and not oblast_level & {"UA-40", "UA-43"}  # 24 oblasts + Kyiv surveyed
    assert url_of(src, "round_13_idp_estimation_25_may_2023.xlsx").startswith("https://data.humdata.org/")
