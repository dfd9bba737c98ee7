"""Kazakhstan and Kyrgyzstan national trade releases and the Taldau declaration, parsed from the real
recorded copies (replay/kz-stat-trade, replay/kg-stat-trade; see their ORIGIN.md). Figures are the
MANIFEST's (thousand USD, as published)."""

from datetime import date

import pytest

from extractors import kg_stat, kz_stat, kz_taldau, locators
from extractors.base import Document, FetchOptions, LayoutChanged, SanctraceError
from tests.conftest import replay_file

KZ = {2019: "kz_bns_foreign_trade_main_indicators_2019.xls", 2020: "kz_bns_foreign_trade_main_indicators_2020.xls",
      2021: "kz_bns_foreign_trade_main_indicators_2021.xls", 2022: "kz_bns_foreign_trade_by_country_2022.xls",
      2023: "kz_bns_foreign_trade_by_country_2023.xls"}
KG = "kg_nsc_4.03.00.18_export_geographic_distribution.xlsx"


def kz_doc(release: int) -> Document:
    return Document.from_bytes(kz_stat.SOURCE.id, KZ[release], replay_file(kz_stat.SOURCE.id, KZ[release]).read_bytes())


def kg_doc() -> Document:
    return Document.from_bytes(kg_stat.SOURCE.id, KG, replay_file(kg_stat.SOURCE.id, KG).read_bytes())


def kz(release: int) -> dict[tuple[int, str, str], object]:
    return {(r.period_start.year, r.partner, r.flow): r for r in kz_stat.parse(kz_doc(release)).records}


def test_kz_exact_figures_and_cells_in_every_release():
    r2019, r2020, r2021, r2022, r2023 = (kz(y) for y in KZ)
    assert [r2019[2019, "Всего", f].value for f in "TXM"] == [97774894.6, 58065588.7, 39709305.9]
    russia = r2019[2019, "Россия", "X"]
    assert (russia.value, russia.raw, russia.locator) == (5670903.38551, "5670903.38551", "cell:12_2019!D12")
    assert r2019[2018, "Россия", "X"].value == 5279873.7
    assert r2020[2020, "Россия", "X"].value == 5007142.5 and r2020[2020, "Россия", "T"].value == 18775351.5
    assert r2020[2020, "Россия", "M"].value == 13768209 and r2020[2020, "Россия", "M"].raw == "13768209"
    assert r2021[2021, "Россия", "X"].value == 7018745.76433 and r2021[2021, "Россия", "M"].value == 17605534.20124
    assert r2021[2020, "Россия", "X"].value == 5007142.52335 and r2021[2020, "Россия", "T"].value == 18775351.55957
    # The 2022 release has one more row above its table than the 2023 release: found by header words.
    assert r2022[2022, "Всего", "X"].value == 84593070.08131 and r2022[2022, "Всего", "X"].locator == "cell:2022!D7"
    assert r2022[2022, "Россия", "X"].locator == "cell:2022!D13" and r2022[2022, "Россия", "X"].value == 9091390.9169
    assert (r2022[2022, "Россия", "T"].value, r2022[2022, "Россия", "M"].value) == (26972021.44517, 17880630.52827)
    assert r2023[2022, "Россия", "X"].locator == "cell:2022!D12"
    assert r2023[2023, "Россия", "X"].value == 10207415.70534 and r2023[2023, "Россия", "M"].value == 16847033.9314
    assert r2023[2023, "Всего", "X"].value == 79138754.67736 and r2023[2023, "Всего", "X"].locator == "cell:2023!D6"
    record = r2023[2023, "Россия", "X"]
    assert (record.indicator, record.geo, record.unit, record.commodity) == ("trade_value", "Казахстан", "thousand USD", "TOTAL")
    assert (record.period_start, record.period_end) == (date(2023, 1, 1), date(2023, 12, 31))


def test_kz_release_years_and_no_sheet_but_the_two_tables():
    assert {year for year, _, _ in kz(2023)} == {2022, 2023}  # cover, legend, contents, methodology skipped
    assert {year for year, _, _ in kz(2019)} == {2018, 2019}
    # The 2018 sheet writes its total as "Всего\nв том числе": whitespace collapses, the name table maps it.
    assert kz(2019)[2018, "Всего в том числе", "X"].value == 61111221.4


def test_kz_vintage_from_the_cover_or_inferred_and_flagged():
    latest = kz_stat.parse(kz_doc(2023)).records
    assert {r.vintage for r in latest} == {date(2024, 7, 25)} and {r.flags for r in latest} == {()}
    for release in (2019, 2020, 2021, 2022):
        records = kz_stat.parse(kz_doc(release)).records
        assert {r.vintage for r in records} == {date(release + 1, 1, 1)}
        assert {r.flags for r in records} == {("vintage=inferred",)}


def test_kz_locators_read_back_from_xls():
    d = kz_doc(2021)
    for record in kz_stat.parse(d).records[:40]:
        assert float(locators.resolve(d.content, record.locator)) == record.value
    assert locators.resolve(d.content, "cell:12_2020!D12") == "5007142.52335"
    assert locators.resolve(d.content, "cell:12_2020!A12") == "Россия"


def test_kz_check_passes_on_the_five_releases():
    result = kz_stat.check([kz_stat.parse(kz_doc(y)) for y in KZ])
    assert not result.failed, result.failed
    assert len(result.passed) == 5 * 2 * 5  # five releases, two years each, five assertions


def test_kz_check_fails_without_russia_or_with_cis_members_above_their_group():
    parsed = kz_stat.parse(kz_doc(2022))
    parsed.records = [r for r in parsed.records if r.partner != "Россия"]
    assert any("exports to Russia None" in f for f in kz_stat.check([parsed]).failed)
    parsed = kz_stat.parse(kz_doc(2022))
    parsed.records = [r for r in parsed.records if r.partner != "Страны СНГ"]
    assert any("CIS member exports" in f for f in kz_stat.check([parsed]).failed)


def test_kz_unknown_layout_raises_naming_what_is_missing():
    other = Document.from_bytes(kz_stat.SOURCE.id, "kg.xlsx", kg_doc().content)
    with pytest.raises(LayoutChanged, match="no sheet with a Товарооборот/Экспорт/Импорт header"):
        kz_stat.parse(other)
    with pytest.raises(LayoutChanged, match="not a readable workbook"):
        kz_stat.parse(Document.from_bytes(kz_stat.SOURCE.id, "x.xls", b"<html>moved</html>"))


def test_kz_fetch_takes_further_release_urls():
    asked = []

    class Client:
        def get(self, url, params=None):
            asked.append(url)
            return Document.from_bytes(kz_stat.SOURCE.id, url, b"")

    extra = "https://stat.gov.kz/api/getFile/?docId=NEW"
    list(kz_stat.fetch(Client(), FetchOptions(extra={"release_urls": [extra, kz_stat.RELEASE_URLS[0]]})))
    assert asked == [*kz_stat.RELEASE_URLS, extra]


def test_kg_wide_table_becomes_one_record_per_country_and_year():
    records = kg_stat.parse(kg_doc()).records
    by = {(r.partner, r.period_start.year): r for r in records}
    assert {r.period_start.year for r in records} == set(range(1994, 2024))
    assert by["Russia", 2021].value == 393340.098 and by["Russia", 2022].value == 1069691.913
    assert by["Russia", 2022].locator == "cell:Лист1!AF38" and by["Russia", 2023].value == 823728.781
    assert [by["Total", y].value for y in range(2019, 2024)] == [1986109.963, 1973190.595, 2752163.747, 2254702.932, 3384856.093]
    assert (by["Kazakhstan", 2021].value, by["Kazakhstan", 2022].value) == (382191.799, 410888.086)
    assert by["Germany", 2022].value == 15796.88 and by["China", 2022].value == 60800.135
    andorra = by["Andorra", 2022]
    assert andorra.value is None and andorra.raw == "-"  # the Committee's "no exports" mark, kept as written
    assert {(r.geo, r.flow, r.unit, r.commodity) for r in records} == {("Kyrgyzstan", "X", "thousand USD", "TOTAL")}
    assert {r.vintage for r in records} == {date(2024, 1, 1)} and {r.flags for r in records} == {("vintage=inferred",)}
    assert locators.resolve(kg_doc().content, "cell:Лист1!AF38") == "1069691.913"


def test_kg_check_and_layout_errors():
    parsed = kg_stat.parse(kg_doc())
    assert not kg_stat.check([parsed]).failed
    parsed.records = [r for r in parsed.records if not (r.partner == "Russia" and r.period_start.year == 2022)]
    assert any("missing [2022]" in f for f in kg_stat.check([parsed]).failed)
    with pytest.raises(LayoutChanged, match="no sheet titled 4.03.00.18"):
        kg_stat.parse(Document.from_bytes(kg_stat.SOURCE.id, "kz.xls", kz_doc(2021).content))


def test_taldau_is_declared_but_refuses_to_guess_a_shape():
    assert kz_taldau.SOURCE.id == "kz-taldau" and kz_taldau.SOURCE.hosts == ("taldau.stat.gov.kz",)
    with pytest.raises(LayoutChanged, match="no Taldau response was ever recorded, so its shape is unknown"):
        kz_taldau.parse(Document.from_bytes(kz_taldau.SOURCE.id, kz_taldau.ENDPOINT + "1", b"{}"))
    with pytest.raises(SanctraceError, match="taldau_queries"):
        list(kz_taldau.fetch(None, FetchOptions()))
    asked = []

    class Client:
        def get(self, url, params=None):
            asked.append((url, params))
            return Document.from_bytes(kz_taldau.SOURCE.id, url, b"")

    query = {"indicator": "702489", "period": "7", "dics": "67"}
    list(kz_taldau.fetch(Client(), FetchOptions(extra={"taldau_queries": [query]})))
    assert asked == [("https://taldau.stat.gov.kz/ru/Api/GetIndexData/702489", {"period": "7", "dics": "67"})]
