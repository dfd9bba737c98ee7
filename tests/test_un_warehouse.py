"""IOM DTM and OHCHR (via OCHA's sheet) end to end from the recorded documents into the warehouse,
on SQLite and PostgreSQL: exact figures, the derived national IDP sum and its inputs, idempotence,
a round that cannot be fetched, and `explain` reproducing a sample."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from extractors.base import FetchOptions
from sanctrace import pipeline, runs
from sanctrace.explain import explain
from warehouse.models import Derivation, Observation, Series

IOM, OHCHR = "iom-dtm-idps", "ohchr-casualties"


def current(rt, source: str) -> dict[tuple[str, str, date], Observation]:
    with Session(rt.engine, expire_on_commit=False) as session:
        rows = session.execute(select(Observation, Series.indicator, Series.geo)
                            .join(Series, Series.id == Observation.series_id)
                            .where(Observation.source_id == source, Observation.superseded_at.is_(None))).all()
    return {(indicator, geo, obs.period_end): obs for obs, indicator, geo in rows}


def inputs(rt, observation_id: int) -> list[int]:
    with rt.engine.connect() as conn:
        return list(conn.execute(select(Derivation.input_observation_id)
                                 .where(Derivation.observation_id == observation_id)).scalars())


def test_iom_rounds_load_with_exact_figures_and_a_derived_national_sum(rt):
    report = runs.run_source(rt, IOM)  # discovery: every round the archive holds is new
    assert report.ok, report.failures
    assert {k: report.discovery[k] for k in ("discovered", "new", "known", "no_copy")} == {
        "discovered": 14, "new": 14, "known": 0, "no_copy": 11}
    assert "declared: vintage filled in 100.0% of records >= 100%" in report.checks["passed"]
    assert "Current location of IDPs!B '% IDPs location per M-R'" in report.unread  # round 3's shares
    assert any(w.startswith("fields not read: ") for w in report.checks["warnings"])
    obs = current(rt, IOM)
    r14, r13, r4 = date(2023, 9, 30), date(2023, 5, 25), date(2022, 4, 17)  # r4: round 3 of 17 April 2022
    assert obs["idps", "UA-12", r14].value == 498000 and obs["returnees", "UA-12", r14].value == 323000
    assert obs["idps", "UA-63", r14].value == 494000
    luhansk = obs["idps", "UA-09", r14]
    assert luhansk.value is None and luhansk.locator == "cell:Estimated Population!G26" and luhansk.raw == "n/a"
    assert obs["idps", "UA-UNKNOWN", r14].value == 20000
    assert obs["idps", "UA-63", r13].value == 689000
    assert obs["idps", "UA-MACRO-WEST", r4].value == 2850000
    assert obs["idps", "UA-30", r14].flags == "round=14,pcode_conflict=UA32"
    assert obs["idps_share", "UA-12", r14].value == 0.14 and not obs["idps_share", "UA-12", r14].is_count
    assert all(o.method == "published" for k, o in obs.items() if k[1] != "UKR")

    national = {day: obs["idps", "UKR", day] for day in (r4, r13, r14)}
    assert {d: o.value for d, o in national.items()} == {r4: 7707000, r13: 5088000, r14: 3674000}
    assert all(o.method == "derived" for o in national.values())
    summed = {d: sorted(inputs(rt, o.id)) for d, o in national.items()}
    assert len(summed[r4]) == 6 and len(summed[r13]) == 25 and len(summed[r14]) == 25  # Luhanska "n/a" skipped
    by_id = {o.id: o for o in obs.values()}
    assert sum(by_id[i].value for i in summed[r14]) == 3674000
    assert {by_id[i].period_end for i in summed[r13]} == {r13}


def test_iom_second_run_adds_nothing_and_a_loaded_round_is_not_fetched_again(rt):
    runs.run_source(rt, IOM)
    again = runs.run_source(rt, IOM)
    assert again.ok and again.new == 0 and again.revised == 0 and again.withdrawn == 0
    assert again.discovery["known"] == 14 and again.discovery["no_copy"] == 0  # no-copy rounds: listed
    options = FetchOptions()
    shas, _ = pipeline.fetch_source(rt, IOM, options, "replay")
    assert len(shas) == 1  # the metadata only: rounds 3, 13 and 14 are known at the same HDX version


def test_iom_rounds_with_no_recorded_copy_are_reported_and_the_others_load(rt):
    report = runs.run_source(rt, IOM)
    assert report.ok and report.discovery["no_copy"] == 11
    assert "ef1802e8-b96f-4544-8527-52ee8cdff2c6" in report.discovery["no_copy_keys"]  # round 12
    assert report.new > 0 and current(rt, IOM)["idps", "UA-12", date(2023, 9, 30)].value == 498000
    live = runs.run_source(rt, IOM, params={"rounds": [99]})
    assert not live.ok and "round(s) [99] requested but not listed" in live.failures[0]


def test_iom_explain_reproduces_published_and_derived_figures(rt):
    runs.run_source(rt, IOM)
    obs = current(rt, IOM)
    dnipro = explain(rt, obs["idps", "UA-12", date(2023, 9, 30)].id)
    assert dnipro["reproduced"] and dnipro["text_at_locator"] == "498000.0"
    assert "#hdx_resource=Round+14" in dnipro["snapshot"]["url"]
    national = explain(rt, obs["idps", "UKR", date(2023, 5, 25)].id)
    assert national["reproduced"] and national["method"] == "derived" and len(national["derived_from"]) == 25
    assert national["text_at_locator"].startswith("689000.0 + 625000.0")


def test_ohchr_loads_cumulative_counts_citing_ohchr(rt):
    report = runs.run_source(rt, OHCHR)
    assert report.ok, report.failures
    obs = current(rt, OHCHR)
    assert len(obs) == 100
    killed = obs["civilians_killed", "UKR", date(2022, 3, 27)]
    assert killed.value == 1119 and killed.period_start == date(2022, 2, 24)
    assert killed.cites_url == "https://www.ohchr.org/en/news/2022/03/ukraine-civilian-casualty-update-27-march-2022"
    assert obs["civilians_injured", "UKR", date(2022, 3, 27)].value == 1790
    assert (obs["civilians_killed", "UKR", date(2022, 3, 3)].value, obs["civilians_injured", "UKR", date(2022, 3, 3)].value) == (249, 553)
    assert (obs["civilians_killed", "UKR", date(2022, 4, 25)].value, obs["civilians_injured", "UKR", date(2022, 4, 25)].value) == (2665, 3053)
    assert obs["civilians_killed", "UKR", date(2022, 3, 25)].flags == "no_cited_document"
    assert runs.run_source(rt, OHCHR).new == 0
    chain = explain(rt, killed.id)
    assert chain["reproduced"] and chain["text_at_locator"] == "1119" and chain["cites_url"] == killed.cites_url


UNHCR = "unhcr-ukraine-refugees"


def test_unhcr_both_dates_load_as_distinct_indicators_and_periods(rt):
    report = runs.run_source(rt, UNHCR)
    assert report.ok, report.failures
    assert report.documents == 4 and report.revised == 0 and report.new == 44 + 69 + 7 + 61
    obs = current(rt, UNHCR)
    poland = obs["refugees_from_ukraine_recorded", "POL", date(2022, 8, 1)]
    assert poland.value == 1256568 and poland.period_start == date(2022, 8, 1) and poland.flags == "published=true"
    assert poland.locator == "json:/data/1/individuals"
    assert obs["refugees_from_ukraine_recorded", "RUS", date(2022, 8, 2)].value == 1968127
    assert obs["refugees_from_ukraine_recorded", "DEU", date(2022, 8, 3)].value == 915000
    assert obs["refugees_from_ukraine_recorded", "AGG-EUROPE", date(2022, 8, 3)].value == 6307137
    assert obs["refugees_from_ukraine_recorded", "AGG-EUROPE", date(2022, 4, 25)].value == 85000
    august = {(geo, end): o.value for (ind, geo, end), o in obs.items() if ind == "refugees_from_ukraine_recorded"}
    assert (august["CZE", date(2022, 8, 2)], august["MDA", date(2022, 8, 1)], august["TUR", date(2022, 5, 19)],
            august["BIH", date(2022, 8, 3)]) == (404839, 88018, 145000, 223)
    assert (august["AGG-EUROPE", date(2022, 4, 27)], august["AGG-EUROPE", date(2022, 5, 25)],
            august["AGG-EUROPE", date(2022, 6, 17)]) == (128300, 1509585, 5146852)
    assert sum(v for (geo, _), v in august.items() if geo != "AGG-EUROPE") == 6307137
    april = {geo: o for (ind, geo, end), o in obs.items() if ind == "border_crossings_from_ukraine_cumulative"}
    assert {g: o.value for g, o in april.items()} == {"POL": 2922978, "RUS": 614318, "HUN": 496914, "MDA": 435275,
                                                      "ROU": 413144, "SVK": 357560, "BLR": 24578}
    assert {(o.period_start, o.period_end) for o in april.values()} == {(date(2022, 2, 24), date(2022, 4, 25))}
    assert sorted(o.flags for o in april.values()).count("published=false") == 4
    daily = {end: o for (ind, geo, end), o in obs.items() if ind == "border_crossings_from_ukraine_daily"}
    assert len(daily) == 61 and sum(o.value for o in daily.values()) == 5264767
    assert (daily[date(2022, 2, 24)].value, daily[date(2022, 3, 7)].value, daily[date(2022, 4, 25)].value) == (
        79982, 205493, 31587)
    assert {geo for (ind, geo, _) in obs if ind == "border_crossings_from_ukraine_daily"} == {"AGG-UKR-NEIGHBOURS"}
    # the same day (2022-04-25) under a stock and a flow: two indicators, neither a revision of the other
    assert daily[date(2022, 4, 25)].series_id != obs["refugees_from_ukraine_recorded", "AGG-EUROPE", date(2022, 4, 25)].series_id
    again = runs.run_source(rt, UNHCR)
    assert again.ok and again.new == 0 and again.revised == 0
    chain = explain(rt, april["POL"].id)
    assert chain["reproduced"] and chain["text_at_locator"] == "2922978"
    assert chain["snapshot"]["url"].startswith("https://data2.unhcr.org/population/get/sublocation?")
