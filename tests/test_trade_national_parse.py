"""Kazakhstan and Kyrgyzstan national trade releases and the Taldau declaration, parsed from the real
recorded copies (replay/kz-stat-trade, replay/kg-stat-trade; see their ORIGIN.md). Figures are the
MANIFEST's (thousand USD, as published)."""

from datetime import date

import pytest

from extractors import kg_stat, kz_releases, kz_stat, kz_taldau, locators, sheets
from extractors.base import (
    LIVE_DECLARED, LIVE_UNTESTED, Candidate, Document, FetchError, FetchOptions, LayoutChanged, SanctraceError,
)
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


class Asking:
    """A client that records what fetch() asks for and answers each URL with the given bytes."""

    def __init__(self, source_id: str, answers: dict[str, bytes] | None = None):
        self.source_id, self.answers, self.asked = source_id, answers or {}, []

    def get(self, url, params=None):
        self.asked.append((url, params) if params else url)
        return Document.from_bytes(self.source_id, url, self.answers.get(url, b""))

    def has(self, url, params=None):
        return True


def test_kz_fetch_takes_the_release_urls_its_params_name():
    named = ["https://stat.gov.kz/api/iblock/element/1/file/ru/", "https://stat.gov.kz/api/iblock/element/2/file/ru/"]
    client = Asking(kz_stat.SOURCE.id)
    list(kz_stat.fetch(client, FetchOptions(params=kz_stat.Params(release_urls=[*named, named[0]]))))
    assert client.asked == named


class FailingOn(Asking):
    """Asking, but the first URL named answers with a fetch error."""

    def get(self, url, params=None):
        if not self.asked:
            self.asked.append(url)
            raise FetchError(self.source_id, url, "HTTP 503")
        return super().get(url, params)


@pytest.mark.parametrize("module, field", [(kz_stat, "release_urls"), (kg_stat, "table_urls")])
def test_a_named_document_that_fails_is_reported_and_the_others_still_load(module, field):
    named = ["https://stat.example/a.xlsx", "https://stat.example/b.xlsx"]
    client, options = FailingOn(module.SOURCE.id), FetchOptions(params=module.Params(**{field: named}))
    docs = list(module.fetch(client, options))
    assert [d.url for d in docs] == named[1:] and client.asked == named
    assert len(options.failures) == 1 and options.failures[0].endswith(f": {named[0]}: HTTP 503")


def test_kz_replay_defaults_name_the_recorded_releases_at_the_bureau():
    urls = kz_stat.replay_defaults(replay_file(kz_stat.SOURCE.id, "manifest.json").parent.parent)["release_urls"]
    assert len(urls) == 5 and all(u.startswith("https://stat.gov.kz/api/iblock/element/not-kept-") for u in urls)


def test_kz_cover_dates_on_two_real_releases():
    """The Bureau's covers state the release date and the next one, in English and in Russian."""
    path = replay_file(kz_stat.SOURCE.id, "kz_bns_price_indices_export_import_2025-01_cover.xlsx")
    english = sheets.load_workbook(Document.from_bytes(kz_stat.SOURCE.id, path.name, path.read_bytes()))
    assert kz_releases.cover_dates(english) == kz_releases.Cover(date(2025, 3, 18), date(2025, 4, 17))
    russian = sheets.load_workbook(kz_doc(2023))
    assert kz_releases.cover_dates(russian) == kz_releases.Cover(date(2024, 7, 25), date(2025, 7, 25))
    assert kz_releases.cover_dates(sheets.load_workbook(kz_doc(2019))) == kz_releases.Cover(None, None)


def test_kz_discovery_reads_the_listing_and_refuses_any_other_page():
    """No listing page was ever recorded: the listing's positive path is untested (LIVE_UNTESTED); what is
    tested is the request it makes and that a page of another shape fails loudly, never yields nothing."""
    assert kz_stat.SOURCE.discovery.status == LIVE_UNTESTED and kz_stat.SOURCE.hosts == ("stat.gov.kz",)
    for page, what in ((b"<html><body><p>moved</p></body></html>", "no '.divTableBody .divTableRow' rows"),
                       (b'<div class="divTableBody"><div class="divTableRow"><a href="/x.pdf">A</a></div></div>',
                        "no link to /api/iblock/element")):
        client = Asking(kz_stat.SOURCE.id, {kz_stat.LISTING: page})
        with pytest.raises(LayoutChanged, match=what):
            list(kz_stat.fetch(client, FetchOptions()))
        assert client.asked == [kz_stat.LISTING]


def test_kz_a_discovered_release_keeps_the_date_its_cover_states():
    doc = kz_doc(2023)
    options = FetchOptions()
    options.discovery.fetched.append((Candidate(url=doc.url, key="iblock-element-1-ru", title="2023"), doc.sha256))
    kz_stat._dated(options, doc)
    assert options.discovery.fetched[0][0].release_date == date(2024, 7, 25)


def test_kz_unread_share_columns_and_sheets_are_reported():
    unread = kz_stat.parse(kz_doc(2023)).unread
    assert "sheet 'Метод.пояснения'" in unread and "2023!E 'удельный вес страны в общем объеме экспорта, %'" in unread


def test_kg_fetch_and_its_listing():
    named = "https://stat.gov.kg/media/files/abc.xlsx"
    client = Asking(kg_stat.SOURCE.id)
    list(kg_stat.fetch(client, FetchOptions(params=kg_stat.Params(table_urls=[named]))))
    assert client.asked == [named]
    client = Asking(kg_stat.SOURCE.id, {kg_stat.LISTING: b'<html><a href="/media/files/a.pdf">4.03.00.18</a></html>'})
    with pytest.raises(LayoutChanged, match="no .xls/.xlsx link beside the text '4.03.00.18'"):
        list(kg_stat.fetch(client, FetchOptions()))
    assert client.asked == [kg_stat.LISTING] and kg_stat.SOURCE.discovery.status == LIVE_UNTESTED
    assert kg_stat.parse(kg_doc()).unread == ["Лист1!A (Kyrgyz names)", "Лист1!B (Russian names)"]


def test_no_live_host_is_a_mirror():
    for module in (kz_stat, kg_stat, kz_taldau):
        assert not {"raw.githubusercontent.com", "github.com", "web.archive.org"} & set(module.SOURCE.hosts)
        assert module.SOURCE.discovery is not None


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
    with pytest.raises(SanctraceError, match="no query given"):
        list(kz_taldau.fetch(None, FetchOptions()))
    client = Asking(kz_taldau.SOURCE.id)
    query = {"indicator": "702489", "period": "7", "dics": "67"}
    list(kz_taldau.fetch(client, FetchOptions(params=kz_taldau.Params(queries=[query]))))
    assert client.asked == [("https://taldau.stat.gov.kz/ru/Api/GetIndexData/702489", {"period": "7", "dics": "67"})]
    assert kz_taldau.SOURCE.discovery.status == LIVE_DECLARED
