"""Uzbekistan's Statistics Agency (uz-stat-trade): the recorded exports CSV (replay/uz-stat-trade, see its
ORIGIN.md) parsed and loaded on SQLite and PostgreSQL with the MANIFEST's figures (thousand USD, inferred, as
published), its M49 partners mapped to ISO, and its discovery's live path tested up to the requests it makes."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from extractors import locators, uz_stat
from extractors.base import LIVE_UNTESTED, Document, FetchOptions, LayoutChanged
from sanctrace import runs
from sanctrace.explain import explain
from tests.conftest import replay_file
from transforms import trade
from transforms.common import ValidationFailed
from warehouse.models import Observation, Series

UZ, FILE = "uz-stat-trade", "uz_stat_sdmx_data_1105.csv"
EXPORTS_URL = uz_stat.SIAT + "sdmx_data_1105.csv"
EXACT = dict(rel=1e-12)
# The MANIFEST's figures, thousand USD: (line, M49 partner, ISO, year) -> value
FIGURES = {(53, "643", "RUS", 2010): 4154837.3, (53, "643", "RUS", 2021): 2088237.3,
           (53, "643", "RUS", 2022): 3151098.4, (53, "643", "RUS", 2023): 3495675.6, (45, "398", "KAZ", 2022): 1407547.5, (46, "417", "KGZ", 2022): 982539.4}


def uz_doc(url: str = EXPORTS_URL, content: bytes | None = None) -> Document:
    return Document.from_bytes(UZ, url, content if content is not None else replay_file(UZ, FILE).read_bytes())


def test_exports_csv_gives_the_manifest_figures_with_their_lines():
    parsed = uz_stat.parse(uz_doc())
    by = {(r.partner, r.period_start.year): r for r in parsed.records}
    assert len(parsed.records) == 228 * 14 and parsed.missing_marks == 0
    for (line, m49, _, year), value in FIGURES.items():
        record = by[m49, year]
        assert (record.value, record.raw, record.locator) == (value, str(value), f"csv:row={line};col={year}")
        assert locators.resolve(uz_doc().content, record.locator) == str(value)
    assert by["192", 2010].locator == "csv:row=2;col=2010"  # line 2, Cuba: the first data row
    russia = by["643", 2022]
    assert (russia.geo, russia.flow, russia.unit, russia.commodity) == ("860", "X", "thousand USD", "TOTAL")
    assert russia.flags == ("unit=inferred", "vintage=inferred") and russia.vintage == date(2024, 1, 1)
    assert parsed.unread == ["Klassifikator (Uzbek names)", "Klassifikator_ru (Russian names)"]
    assert not uz_stat.check([parsed]).failed


def test_refusals_name_the_document_and_what_is_wrong():
    content = replay_file(UZ, FILE).read_bytes()
    with pytest.raises(LayoutChanged, match="flow .* is unknown"):
        uz_stat.parse(uz_doc(uz_stat.SIAT + "sdmx_data_9999.csv"))
    with pytest.raises(LayoutChanged, match="header is not Code,Klassifikator"):
        uz_stat.parse(uz_doc(content=content.replace(b"Klassifikator_en", b"Name_en")))
    with pytest.raises(LayoutChanged, match=r"line 53, 2022: '3151098,4' is not a number"):
        uz_stat.parse(uz_doc(content=content.replace(b"3151098.4", b'"3151098,4"')))


def test_m49_partners_map_to_iso_and_the_agencys_own_codes_are_explicit():
    doc = uz_doc()
    frame = trade.normalise(UZ, [(doc, uz_stat.parse(doc))]).observations
    partners = set(frame["partner"])
    assert {"RUS", "KAZ", "KGZ", "CUB", "SDN", "AGG-OTHER-COUNTRIES"} <= partners and len(partners) == 228
    assert "WLD" not in partners  # code 0 is the Agency's "Other countries", not the world total
    assert set(frame["geo"]) == {"UZB"} and set(frame["flags"]) == {"unit=inferred,vintage=inferred"}
    assert set(trade.UZ_STAT_M49) <= {c for c in uz_stat.partner_names(doc)}  # every explicit entry is used


def test_a_code_no_table_knows_is_reported_by_name_never_dropped():
    # A refusal test: the recorded file with Sudan's code changed to one no list has.
    content = replay_file(UZ, FILE).read_bytes().replace(b"\n736,Sudan,", b"\n999,Sudan,")
    doc = uz_doc(content=content)
    with pytest.raises(ValidationFailed, match=r"M49 code 999 \('Sudan'\) is in neither .* at csv:row=186"):
        trade.normalise(UZ, [(doc, uz_stat.parse(doc))])


def test_discovery_asks_each_tables_metadata_and_fails_loudly_on_an_unexpected_answer():
    """No SIAT JSON was ever recorded (LIVE_UNTESTED): tested up to the requests made, and the refusals."""
    assert uz_stat.SOURCE.discovery.status == LIVE_UNTESTED and uz_stat.SOURCE.hosts == ("api.siat.stat.uz",)

    class Asking:
        def __init__(self, body: bytes):
            self.body, self.asked = body, []

        def get(self, url, params=None):
            self.asked.append(url)
            return Document.from_bytes(UZ, url, self.body)

        def has(self, url, params=None):
            return True

    for body, what in ((b"<html>moved</html>", "not JSON"),
                       (b'{"metadata": [{"name_ru": "x", "value_ru": "y"}], "data": []}', "no metadata entry")):
        client = Asking(body)
        with pytest.raises(LayoutChanged, match=what):
            list(uz_stat.fetch(client, FetchOptions()))
        assert client.asked == [uz_stat.SIAT + "sdmx_data_1105.json"]
    imports = Asking(b"{}")  # the imports table: its request, then the refusal of an answer without metadata
    with pytest.raises(LayoutChanged, match="no metadata entry"):
        uz_stat.table_candidate(imports, "1176")
    assert imports.asked == [uz_stat.SIAT + "sdmx_data_1176.json"]
    named = Asking(b"")
    list(uz_stat.fetch(named, FetchOptions(params=uz_stat.Params(documents=[EXPORTS_URL]))))
    assert named.asked == [EXPORTS_URL]
    assert uz_stat.replay_defaults(replay_file(UZ, FILE).parent.parent) == {"documents": [EXPORTS_URL]}


def current(rt, partner: str, year: int) -> Observation:
    with Session(rt.engine, expire_on_commit=False) as session:
        return session.execute(
            select(Observation).join(Series, Series.id == Observation.series_id)
            .where(Observation.source_id == UZ, Series.partner == partner, Series.flow == "X",
                   Series.geo == "UZB", Observation.period_start == date(year, 1, 1),
                   Observation.superseded_at.is_(None))).scalar_one()


def test_exports_load_with_exact_figures_in_usd(rt):
    report = runs.run_source(rt, UZ)
    assert report.ok, report.failures
    assert report.documents == 1 and report.new == 228 * 14
    assert report.unread == ["Klassifikator (Uzbek names)", "Klassifikator_ru (Russian names)"]
    for (line, _, iso, year), thousand in FIGURES.items():
        obs = current(rt, iso, year)
        assert obs.value == pytest.approx(thousand * 1000, **EXACT) and float(obs.raw) == thousand
        assert (obs.published_unit, obs.locator) == ("thousand USD", f"csv:row={line};col={year}")
        assert obs.flags == "unit=inferred,vintage=inferred" and obs.vintage == date(2024, 1, 1)
    assert current(rt, "RUS", 2022).value == pytest.approx(3_151_098_400, **EXACT)
    chain = explain(rt, current(rt, "RUS", 2022).id)
    assert chain["reproduced"] and chain["text_at_locator"] == "3151098.4"
    assert chain["snapshot"]["url"] == EXPORTS_URL
    again = runs.run_source(rt, UZ)
    assert again.ok and again.new == 0 and again.revised == 0 and again.skipped_unchanged
