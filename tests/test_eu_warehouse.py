"""EU sources through the whole pipeline into the warehouse, on SQLite and PostgreSQL (``rt`` fixture).

The press release and the consolidated-list excerpt are the recorded real documents in replay/.
The de-listing test serves lists DERIVED from the real excerpt (the real entity repeated with
varied ids, see tests/eu_fsf_build.py) from a temporary replay archive.
"""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import func, select

from extractors import eu_fsf
from extractors.base import FetchOptions
from sanctrace import pipeline, runs
from sanctrace.explain import explain, render
from sanctrace.settings import PROJECT_ROOT
from tests import eu_fsf_build
from warehouse.models import Designation, Notice, Observation, Series

COUNCIL_URL = ("https://www.consilium.europa.eu/en/press/press-releases/2024/12/16/"
               "russia-s-war-of-aggression-against-ukraine-eu-adopts-15th-package-of-restrictive-measures/")
EXPECTED = {
    "sanctions_listings": 84, "sanctions_listings_persons": 54, "sanctions_listings_entities": 30,
    "vessels_targeted": 52, "vessels_designated_total": 79, "military_support_entities_added": 32,
}


def figures(rt, source_id: str) -> dict[tuple[str, str, str, str], tuple[float, date, date]]:
    with rt.engine.connect() as conn:
        rows = conn.execute(
            select(Series.indicator, Series.geo, Series.commodity, Series.flow, Series.unit, Observation.value,
                   Observation.period_start, Observation.period_end)
            .join(Series, Series.id == Observation.series_id)
            .where(Observation.source_id == source_id, Observation.superseded_at.is_(None))).all()
    assert all(r.unit == "count" for r in rows)
    return {(r.indicator, r.geo, r.commodity, r.flow): (r.value, r.period_start, r.period_end) for r in rows}


def counts(rt) -> tuple[int, int, int]:
    with rt.engine.connect() as conn:
        return tuple(conn.execute(select(func.count()).select_from(t)).scalar_one()
                     for t in (Observation, Notice, Designation))


COUNCIL_URL19 = ("https://www.consilium.europa.eu/en/press/press-releases/2025/10/23/19th-package-of-sanctions-against-"
                 "russia-eu-targets-russian-energy-third-country-banks-and-crypto-providers/")
EXPECTED19 = {  # (indicator, commodity, partner): value (MANIFEST.md: 69 listings, 117 and 557 vessels, 45 entities)
    ("sanctions_listings", "", ""): 69, ("vessels_targeted", "", ""): 117,
    ("vessels_designated_total", "", ""): 557, ("military_support_entities_added", "", ""): 45,
    ("military_support_entities_third_countries", "", ""): 17, ("military_support_entities_in_country", "", "CHN"): 12,
    ("military_support_entities_in_country", "", "IND"): 3, ("military_support_entities_in_country", "", "THA"): 2,
    ("measure_listings_persons", "measure:Children", ""): 11, ("measure_listings", "measure:Belarus", ""): 5,
}
ACTS19 = {"32025D2032", "32025R2033", "32025D2036", "32025R2037", "32025R2035", "32025D2040", "32025D2038",
          "32025R2039"}


def council_figures(rt) -> dict[tuple[date, str, str, str], float]:
    with rt.engine.connect() as conn:
        rows = conn.execute(
            select(Series.indicator, Series.geo, Series.commodity, Series.partner, Series.unit, Observation.value,
                   Observation.period_start, Observation.period_end)
            .join(Series, Series.id == Observation.series_id)
            .where(Observation.source_id == "eu-council-press", Observation.superseded_at.is_(None))).all()
    assert all(r.unit == "count" and r.geo == "AGG-EU" and r.period_start == r.period_end for r in rows)
    return {(r.period_start, r.indicator, r.commodity, r.partner): r.value for r in rows}


def test_council_press_releases_into_observations_and_notices(rt):
    params = {"feed_url": None, "press_release_urls": [COUNCIL_URL, COUNCIL_URL19], "follow_links": True}
    report = runs.run_source(rt, "eu-council-press", params=params)
    assert report.ok, report.failures
    day, day19 = date(2024, 12, 16), date(2025, 10, 23)
    assert council_figures(rt) == {**{(day, k, "", ""): v for k, v in EXPECTED.items()},
                                   **{(day19, *k): v for k, v in EXPECTED19.items()}}
    with rt.engine.connect() as conn:
        notices = {n.id: n for n in conn.execute(select(Notice.__table__))}
    notice = notices[COUNCIL_URL]
    assert (notice.id, notice.url, notice.kind, notice.regime) == (COUNCIL_URL, COUNCIL_URL, "press_release", "RUS")
    assert notice.published_on == day and notice.source_id == "eu-council-press"
    assert notice.title == "Russia’s war of aggression against Ukraine: EU adopts 15th package of restrictive measures"
    assert notices[COUNCIL_URL19].published_on == day19
    assert set(notices) == {COUNCIL_URL, COUNCIL_URL19} | ACTS19
    act = notices["32025R2033"]
    assert (act.kind, act.regime, act.published_on, act.oj_reference) == ("legal_act", "RUS-833", day19, "OJ L, 2025/2033")
    assert act.url == "https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=OJ:L_202502033"
    assert report.notices_new == 10
    # the 15th page links the 14th package's release, of which no copy is recorded
    assert report.discovery == {"again_keys": [], "discovered": 1, "new": 1, "changed": 0, "known": 0, "no_copy": 1,
                                "no_copy_keys": [COUNCIL_14TH]}
    assert any("'eight banks'" in u for u in report.unread)


COUNCIL_14TH = ("https://www.consilium.europa.eu/en/press/press-releases/2024/06/24/russia-s-war-of-aggression-against-"
                "ukraine-comprehensive-eu-s-14th-package-of-sanctions-cracks-down-on-circumvention-and-adopts-energy-"
                "measures/")


def test_explain_the_69_listings_of_the_19th_package(rt):
    runs.run_source(rt, "eu-council-press")
    with rt.engine.connect() as conn:
        listing = conn.execute(select(Observation.id).join(Series, Series.id == Observation.series_id)
                               .where(Series.indicator == "sanctions_listings", Observation.value == 69)).scalar_one()
    chain = explain(rt, listing)
    assert chain["reproduced"] and chain["snapshot"]["url"] == COUNCIL_URL19
    assert "further 69 <strong>individual listings" in chain["text_at_locator"]


def test_a_release_without_its_listings_loads_nothing(rt, tmp_path):
    """A BUILT variant of the 19th page (a refusal test): its listing words removed. The run fails and loads
    none of the page's other figures (vessels, entities) nor the 15th's that came with it."""
    folder = tmp_path / "replay" / "eu-council-press"
    folder.mkdir(parents=True)
    source = PROJECT_ROOT / "replay" / "eu-council-press"
    manifest = json.loads((source / "manifest.json").read_text())
    for entry in manifest["entries"]:
        content = (source / entry["file"]).read_bytes()
        content = content.replace(b"further 69 <strong>individual listings and numerous", b"<strong>numerous")
        (folder / entry["file"]).write_bytes(content)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    runtime = pipeline.runtime(rt.settings.model_copy(update={"replay_archive": tmp_path / "replay"}))
    report = runs.run_source(runtime, "eu-council-press")
    assert not report.ok and "no sentence announces its listings" in report.failures[0]
    assert counts(rt) == (0, 0, 0)


def test_a_second_run_adds_nothing(rt):
    assert runs.run_source(rt, "eu-council-press").ok and runs.run_source(rt, "eu-fsf-consolidated").ok
    before = counts(rt)
    assert before == (len(EXPECTED) + len(EXPECTED19) + 1, 2 + len(ACTS19) + 1, 1)
    again = [runs.run_source(rt, s) for s in ("eu-council-press", "eu-fsf-consolidated")]
    assert all(r.ok and r.new == 0 and r.notices_new == 0 and r.designations_listed == 0 for r in again)
    assert counts(rt) == before


def test_explain_the_84_listings_prints_the_sentence(rt):
    runs.run_source(rt, "eu-council-press")
    with rt.engine.connect() as conn:
        listing = conn.execute(select(Observation.id).join(Series, Series.id == Observation.series_id)
                               .where(Series.indicator == "sanctions_listings", Observation.value == 84)).scalar_one()
    chain = explain(rt, listing)
    assert chain["reproduced"] and chain["value"] == 84
    sentence = ("The Council agreed on a significant package of <strong>84 listings</strong>, which consists of "
                "54 persons and 30 entities responsible for actions undermining or threatening the territorial "
                "integrity, sovereignty and independence of Ukraine.")
    assert chain["text_at_locator"] == sentence
    assert chain["snapshot"]["url"] == COUNCIL_URL
    assert chain["snapshot"]["sha256"] == "ae277f96a189a4f5e219508d77bec3d5c6dbd2da55694644924bd6b7b41817d2"
    assert sentence in render(chain) and "reproduced yes" in render(chain)


def test_consolidated_list_excerpt_into_designation_notice_and_observation(rt):
    report = runs.run_source(rt, "eu-fsf-consolidated")
    assert report.ok, report.failures
    assert report.designations_listed == 1
    day = date(2024, 12, 11)
    assert figures(rt, "eu-fsf-consolidated") == {
        ("designations", "AGG-EU", "programme:IRQ", "subject:person"): (1.0, day, day)}
    with rt.engine.connect() as conn:
        designation = conn.execute(select(Designation.__table__)).one()
        notice = conn.execute(select(Notice.__table__)).one()
    assert (designation.logical_id, designation.regime, designation.entity_type) == ("13", "IRQ", "person")
    assert designation.name == "Saddam Hussein Al-Tikriti" and designation.listed_on == date(2003, 7, 8)
    assert designation.legal_basis == "1210/2003 (OJ L169)" and designation.delisted_at is None
    details = json.loads(designation.details)
    assert details["citizenships"] == ["IQ"] and details["birthdates"] == ["1937-04-28"]
    assert len(details["aliases"]) == 3
    assert (notice.id, notice.kind, notice.regime, notice.published_on) == (
        "32003R1210", "legal_act", "IRQ", date(2003, 7, 8))
    with rt.engine.connect() as conn:
        count = conn.execute(select(Observation.id)).scalar_one()
    assert explain(rt, count)["reproduced"]


def listed_on(rt, day: date) -> set[str]:
    """Who was listed on ``day``: listed on or before it, not de-listed on or before it."""
    with rt.engine.connect() as conn:
        return set(conn.execute(select(Designation.logical_id).where(
            Designation.listed_on <= day,
            (Designation.delisted_at.is_(None)) | (Designation.delisted_at > day))).scalars())


def test_a_later_list_without_an_entity_delists_it(rt, tmp_path):
    """Two lists BUILT from the real entity: 1,001 entities on 2024-12-11, then the same without
    logicalId 13 on 2024-12-12 (generationDate changed). Served from a temporary replay archive."""
    folder = tmp_path / "replay" / "eu-fsf-consolidated"
    folder.mkdir(parents=True)
    first = eu_fsf_build.build(eu_fsf.MIN_ENTITIES + 1)
    head, template, tail = eu_fsf_build.parts()
    head = head.replace(b'generationDate="2024-12-11T21:24:35.826+01:00" globalFileId="171703"',
                        b'generationDate="2024-12-12T21:00:00.000+01:00" globalFileId="171704"')
    second = head + b"".join(eu_fsf_build.entity(template, i) for i in range(1, eu_fsf.MIN_ENTITIES + 1)) + tail
    runtime = pipeline.runtime(rt.settings.model_copy(update={"replay_archive": tmp_path / "replay"}))
    reports = []
    for name, content in (("first.xml", first), ("second.xml", second)):
        (folder / name).write_bytes(content)
        (folder / "manifest.json").write_text(json.dumps({"source": "eu-fsf-consolidated", "entries": [
            {"url": eu_fsf.FULL_LIST_URL, "file": name, "content_type": "application/xml"}]}))
        reports.append(runs.run_source(runtime, "eu-fsf-consolidated"))
    assert all(r.ok for r in reports), [r.failures for r in reports]
    assert (reports[0].designations_listed, reports[1].designations_listed) == (1001, 0)
    assert reports[1].designations_delisted == 1
    with rt.engine.connect() as conn:
        gone = conn.execute(select(Designation.__table__).where(Designation.logical_id == "13")).one()
    assert gone.delisted_at == date(2024, 12, 12) and gone.listed_on == date(2003, 7, 8)
    assert "13" in listed_on(rt, date(2024, 12, 11)) and len(listed_on(rt, date(2024, 12, 11))) == 1001
    assert "13" not in listed_on(rt, date(2024, 12, 12)) and len(listed_on(rt, date(2024, 12, 12))) == 1000
    # and the figures of both lists are kept, each on its own generation date
    with rt.engine.connect() as conn:
        per_day = dict(conn.execute(select(Observation.period_start, func.sum(Observation.value))
                                    .where(Observation.source_id == "eu-fsf-consolidated")
                                    .group_by(Observation.period_start)).all())
    assert per_day == {date(2024, 12, 11): 1001, date(2024, 12, 12): 1000}


class Client:
    def __init__(self):
        self.asked = []

    def get(self, url, params=None):
        from extractors.client import full_url

        from extractors.base import Document

        self.asked.append(full_url(url, params))
        return Document.from_bytes("test", url, b"<main></main>")  # a page with no links: nothing to follow


def test_replay_manifests_match_what_fetch_requests():
    from extractors import eu_council

    for module, source in ((eu_council, "eu-council-press"), (eu_fsf, "eu-fsf-consolidated")):
        manifest = json.loads((PROJECT_ROOT / "replay" / source / "manifest.json").read_text())
        client = Client()
        params = module.Params(**module.replay_defaults(PROJECT_ROOT / "replay"))
        list(module.fetch(client, FetchOptions(params=params)))
        assert client.asked == [e["url"] for e in manifest["entries"]]
