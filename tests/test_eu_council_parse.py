"""Council press release on the 15th package (16 Dec 2024), read from the recorded Wayback copy.

Every other input here is DERIVED from those real bytes in the test (archive additions removed,
sentences reworded or replaced); nothing is hand-written as a page.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from extractors import eu_council, htmltext, locators
from extractors.base import Document, FetchOptions, LayoutChanged

REPLAY = Path(__file__).resolve().parent.parent / "replay" / "eu-council-press"
MANIFEST = json.loads((REPLAY / "manifest.json").read_text())
ENTRY = MANIFEST["entries"][0]
URL = ENTRY["url"]
CONTENT = (REPLAY / ENTRY["file"]).read_bytes()
EXPECTED = {
    "sanctions_listings": 84, "sanctions_listings_persons": 54, "sanctions_listings_entities": 30,
    "vessels_targeted": 52, "vessels_designated_total": 79, "military_support_entities_added": 32,
}
LISTINGS_SENTENCE = ("The Council agreed on a significant package of 84 listings, which consists of 54 persons and "
                     "30 entities responsible for actions undermining or threatening the territorial integrity, "
                     "sovereignty and independence of Ukraine.")


def doc(content: bytes = CONTENT, url: str = URL) -> Document:
    return Document.from_bytes("eu-council-press", url, content)


def figures(parsed) -> dict[str, float]:
    return {r.indicator: r.value for r in parsed.records}


def derived(*replacements: tuple[str, str]) -> bytes:
    text = CONTENT.decode("utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    return text.encode("utf-8")


def councils_own(content: bytes) -> bytes:
    """The page as the Council serves it, derived from the archived bytes: the archive's head scripts,
    toolbar and trailer removed, /web/<timestamp>[xx_]/ link prefixes stripped, leading blank lines dropped."""
    text = content.decode("utf-8")
    text = re.sub(r"<head><script.*?<!-- End Wayback Rewrite JS Include -->", "<head>", text, flags=re.S)
    text = re.sub(r"<!-- BEGIN WAYBACK TOOLBAR INSERT -->.*?<!-- END WAYBACK TOOLBAR INSERT -->", "", text, flags=re.S)
    text = re.sub(r"<!--\s*FILE ARCHIVED ON.*?-->", "", text, flags=re.S)
    text = re.sub(r"(?:https://web\.archive\.org)?/web/\d{14}[a-z]{0,2}_?/", "", text)
    return text.lstrip("\n").encode("utf-8")


def test_figures_of_the_15th_package():
    parsed = eu_council.parse(doc())
    assert figures(parsed) == EXPECTED
    for record in parsed.records:
        assert (record.geo, record.unit) == ("EU", "count")
        assert record.period_start == record.period_end == record.vintage == date(2024, 12, 16)
        assert {"package:15", "published_at:2024-12-16T10:50", "archive_capture:20241216111014"} <= set(record.flags)


def test_each_figure_points_at_its_sentence():
    parsed = eu_council.parse(doc())
    for record in parsed.records:
        assert record.locator.startswith("text:")
        assert locators.resolve(CONTENT, record.locator) == record.raw
    by = {r.indicator: r for r in parsed.records}
    listing = by["sanctions_listings"]
    assert htmltext.strip_tags(listing.raw) == LISTINGS_SENTENCE
    assert listing.raw.startswith("The Council agreed on a significant package of <strong>84 listings</strong>")
    assert by["sanctions_listings_persons"].locator == listing.locator
    assert htmltext.strip_tags(by["vessels_targeted"].raw) == (
        "52 vessels originating from third countries were targeted today on these grounds, "
        "bringing the total of designated vessels to 79.")
    assert by["vessels_designated_total"].locator == by["vessels_targeted"].locator
    assert htmltext.strip_tags(by["military_support_entities_added"].raw).startswith(
        "The Council also added 32 new entities to the list of those directly supporting Russia’s military")


def test_third_countries_go_into_flags():
    record = next(r for r in eu_council.parse(doc()).records if r.indicator == "military_support_entities_added")
    countries = [f.split(":", 1)[1] for f in record.flags if f.startswith("third_country:")]
    assert countries == ["China", "India", "Iran", "Serbia", "United Arab Emirates"]
    assert record.partner == ""


def test_notice_is_the_councils_own_url():
    (notice,) = eu_council.parse(doc()).notices
    assert notice.id == notice.url == URL
    assert "archive.org" not in notice.url and "/web/" not in notice.url
    assert notice.kind == "press_release" and notice.regime == "RUS"
    assert notice.title == "Russia’s war of aggression against Ukraine: EU adopts 15th package of restrictive measures"
    assert notice.published_on == date(2024, 12, 16)
    assert locators.resolve(CONTENT, notice.locator) == (
        "Russia&#x2019;s war of aggression against Ukraine: EU adopts 15th package of restrictive measures")


def test_notice_url_from_the_page_even_when_fetched_through_the_archive():
    wayback = "https://web.archive.org/web/20241216111014/" + URL
    assert eu_council.parse(doc(url=wayback)).notices[0].url == URL
    assert eu_council.council_url("/web/20241216111014im_/https://www.consilium.europa.eu/media/x.png") == \
        "https://www.consilium.europa.eu/media/x.png"


def test_the_councils_own_page_derived_from_the_real_bytes():
    own = councils_own(CONTENT)
    assert b"archive.org" not in own and b"/web/2024" not in own and b"WAYBACK" not in own
    assert len(own) < len(CONTENT) - 10_000
    archived, parsed = eu_council.parse(doc()), eu_council.parse(doc(own))
    assert figures(parsed) == EXPECTED
    assert parsed.notices[0].id == archived.notices[0].id == URL
    for record, before in zip(parsed.records, archived.records, strict=True):
        assert locators.resolve(own, record.locator) == record.raw
        assert htmltext.strip_tags(record.raw) == htmltext.strip_tags(before.raw)
        assert not any(f.startswith("archive_capture:") for f in record.flags)


@pytest.mark.parametrize("old,new,expected", [
    ("84 listings</strong>, which consists of 54 persons and 30 entities",
     "84 listings</strong> (54 individuals and 30 entities)",
     {"sanctions_listings": 84, "sanctions_listings_persons": 54, "sanctions_listings_entities": 30}),
    ("agreed on a significant package of <strong>84 listings</strong>, which consists of 54 persons and 30 entities",
     "decided to list an additional 54 individuals and 30 entities",
     {"sanctions_listings_persons": 54, "sanctions_listings_entities": 30}),
    ("bringing the total of designated vessels to 79", "bringing the total number of listed vessels to 79",
     {"vessels_targeted": 52, "vessels_designated_total": 79}),
    ("also added <strong>32 new entities</strong> to the list of those directly supporting Russia’s military and "
     "industrial complex", "adds 32 additional entities to the list of those directly supporting Russia's "
     "military-industrial complex", {"military_support_entities_added": 32}),
])
def test_wording_variants_derived_from_the_real_page(old, new, expected):
    found = figures(eu_council.parse(doc(derived((old, new)))))
    assert {k: found.get(k) for k in expected} == expected
    if "list an additional" in new:  # no total stated: none is made up from the parts
        assert "sanctions_listings" not in found


def test_no_figure_sentence_on_a_package_page_is_layout_changed():
    text = CONTENT.decode("utf-8")
    for sentence in ("The Council agreed on a significant package of <strong>84 listings</strong>",
                     "<strong>52 vessels originating from third countries </strong>",
                     "The Council also added <strong>32 new entities</strong>"):
        start = text.index(sentence)
        text = text[:start] + "The Council took further measures." + text[text.index("</p>", start):]
    with pytest.raises(LayoutChanged) as err:
        eu_council.parse(doc(text.encode("utf-8")))
    assert "15th package" in str(err.value) and "Russia’s war of aggression" in str(err.value)


def test_a_zero_is_never_stored():
    found = figures(eu_council.parse(doc(derived(("<strong>52 vessels", "<strong>0 vessels")))))
    assert "vessels_targeted" not in found and found["vessels_designated_total"] == 79


@pytest.mark.parametrize("old,new,what", [
    ('<main id="gsc-main-content">', "<main>", "gsc-main-content"),
    ('<li class="gsc-eyebrow__item">16 December 2024 10:50</li>', "", "date"),
    ("EU adopts 15th package of restrictive measures</h1>", "EU adopts measures</h1>", "package"),
])
def test_missing_structure_is_layout_changed(old, new, what):
    content = derived((old, new))
    if what == "package":
        content = content.replace(b"a 15<sup>th</sup> package", b"a set")
    with pytest.raises(LayoutChanged, match=what):
        eu_council.parse(doc(content))


def test_not_utf8_is_layout_changed():
    with pytest.raises(LayoutChanged, match="UTF-8"):
        eu_council.parse(doc(CONTENT.replace(b"84 listings", b"84 \xff listings")))


def test_check_passes_and_catches_parts_that_do_not_add_up():
    assert not eu_council.check([eu_council.parse(doc())]).failed
    bad = eu_council.check([eu_council.parse(doc(derived(("54 persons", "55 persons"))))])
    assert any("= listings 84" in f for f in bad.failed)


def test_fetch_requests_exactly_the_recorded_url():
    class Client:
        def __init__(self):
            self.asked = []

        def get(self, url, params=None):
            self.asked.append((url, params))
            return doc()

    client = Client()
    list(eu_council.fetch(client, FetchOptions()))
    assert client.asked == [(URL, None)]
    assert {e["url"] for e in MANIFEST["entries"]} == {URL}
