"""The Comtrade area-code table and the Eurostat name/code tables, checked against pycountry."""

import pycountry
import pytest

from transforms.codes import UnknownName
from transforms.codes_eurostat import MEMBER_STATES, comext_code, eurostat_geo, is_aggregate
from transforms.codes_m49 import EXCEPTIONS, iso_of_m49, m49_of_iso, unused_exceptions

COUNTRY_EXCEPTIONS = {842: ("USA", 840), 251: ("FRA", 250), 699: ("IND", 356), 757: ("CHE", 756), 579: ("NOR", 578)}


@pytest.mark.parametrize("code", sorted(EXCEPTIONS))
def test_no_exception_shadows_an_iso_numeric_code(code):
    # If pycountry knew the number, the exception would silently override an ISO country.
    assert pycountry.countries.get(numeric=f"{code:03d}") is None


@pytest.mark.parametrize("code,expected", sorted(COUNTRY_EXCEPTIONS.items()))
def test_country_exceptions_name_the_country_whose_iso_number_differs(code, expected):
    alpha_3, iso_numeric = expected
    assert iso_of_m49(code) == alpha_3
    assert int(pycountry.countries.get(alpha_3=alpha_3).numeric) == iso_numeric != code
    assert m49_of_iso(alpha_3) == code  # requests use Comtrade's number, not ISO's


def test_groups_and_world_are_never_countries():
    assert iso_of_m49(0) == iso_of_m49("0") == "WLD"
    assert iso_of_m49(97) == "AGG-EU" and iso_of_m49(490) == "AGG-OTHER-ASIA-NES"
    others = [v for k, v in EXCEPTIONS.items() if k not in COUNTRY_EXCEPTIONS and k != 0]
    assert others and all(v.startswith("AGG-") for v in others)


def test_iso_numeric_codes_and_the_recorded_and_watched_areas():
    assert {iso_of_m49(c) for c in (156, 32, 276)} == {"CHN", "ARG", "DEU"}
    watched = {"KAZ": 398, "KGZ": 417, "ARM": 51, "GEO": 268, "UZB": 860, "TUR": 792, "ARE": 784,
               "CHN": 156, "RUS": 643, "WLD": 0}
    assert {a: m49_of_iso(a) for a in watched} == watched
    assert all(iso_of_m49(n) == a for a, n in watched.items())


def test_unknown_codes_fail_by_name():
    with pytest.raises(UnknownName, match="999"):
        iso_of_m49(999)
    with pytest.raises(UnknownName, match="XYZ"):
        m49_of_iso("XYZ")
    with pytest.raises(UnknownName):
        iso_of_m49("CHN")


def test_the_publishers_reporter_list_answers_first_and_the_table_only_for_what_it_lacks():
    # Reporters.json (shipped copy) answers: current and former entries, ISO alpha-3 as the publisher gives it
    assert [iso_of_m49(n) for n in (842, 251, 699, 757, 579, 280, 729, 736)] == [
        "USA", "FRA", "IND", "CHE", "NOR", "DEU", "SDN", "SDN"]
    assert m49_of_iso("DEU") == 276 and m49_of_iso("SDN") == 729  # requests use the current entry
    assert iso_of_m49(975) == "AGG-ASEAN"  # a group of the list the table lacks: never a country
    assert iso_of_m49(58) == "AGG-BELGIUM-LUXEMBOURG"  # the list files it under BEL: the table wins, said why
    assert unused_exceptions() == {}  # no table entry the publisher's list makes dead
    from extractors.comtrade_reference import bundled
    areas = bundled().areas
    dead = [n for n, iso in EXCEPTIONS.items() if n in areas and areas[n].iso == iso]
    assert dead == []


def test_an_area_neither_knows_is_named():
    with pytest.raises(UnknownName, match="'Netherlands Antilles \\(...2010\\)'.*gives it 'ANT'"):
        iso_of_m49(530)
    with pytest.raises(UnknownName, match="in neither UN Comtrade's reporter list nor the table"):
        iso_of_m49(1)


def test_comext_names_with_notes_and_aggregates():
    assert comext_code("Germany (incl. German Democratic Republic 'DD' from 1991)") == "DEU"
    assert comext_code("Ireland (Eire)") == "IRL" and comext_code("Czechia") == "CZE"
    assert comext_code("France (incl. Saint Barthélemy 'BL' -> 2012; incl. French Guiana 'GF')") == "FRA"
    assert comext_code("European Union - 27 countries (AT, BE, BG)") == "AGG-EU27_2020"
    assert comext_code("European Union (AT-01/1995, BE-01/1958)") == "AGG-EU"
    assert comext_code("Euro area - 20 countries (AT, BE)") == "AGG-EA20"
    assert comext_code("Euro area (AT-01/1999, BE-01/1999)") == "AGG-EA"
    assert comext_code("Kazakhstan") == "KAZ"
    assert all(is_aggregate(comext_code(n)) for n in ("Euro area", "European Union - 27 countries (x)"))
    assert len(MEMBER_STATES) == 27 and all(pycountry.countries.get(alpha_3=a) for a in MEMBER_STATES.values())
    with pytest.raises(UnknownName):
        comext_code("Atlantis (incl. Lemuria)")


def test_eurostat_geo_codes():
    assert [eurostat_geo(c) for c in ("LU", "EL", "UK", "DE", "EU27_2020")] == ["LUX", "GRC", "GBR", "DEU", "AGG-EU27_2020"]
    with pytest.raises(UnknownName):
        eurostat_geo("QQ")
