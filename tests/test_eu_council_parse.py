"""Council press releases on the 15th (16 Dec 2024) and 19th (23 Oct 2025) packages, read from the recorded
Wayback copies; the ways releases count listings; the links that discover earlier packages and legal acts.

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
    assert eu_council.canonical("/web/20241216111014im_/https://www.consilium.europa.eu/media/x.png") == \
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




# --- the 19th package (a later site template) and the ways releases count listings ---------------------------

URL19 = MANIFEST["entries"][1]["url"]
CONTENT19 = (REPLAY / MANIFEST["entries"][1]["file"]).read_bytes()
EXPECTED19 = {  # (indicator, commodity, partner): value, from the page's own wording (MANIFEST.md)
    ("sanctions_listings", "", ""): 69, ("vessels_targeted", "", ""): 117,
    ("vessels_designated_total", "", ""): 557, ("military_support_entities_added", "", ""): 45,
    ("military_support_entities_third_countries", "", ""): 17,
    ("military_support_entities_in_country", "", "China"): 12, ("military_support_entities_in_country", "", "India"): 3,
    ("military_support_entities_in_country", "", "Thailand"): 2,
    ("measure_listings_persons", "measure:Children", ""): 11, ("measure_listings", "measure:Belarus", ""): 5,
}


def derived19(*replacements: tuple[str, str]) -> bytes:
    text = CONTENT19.decode("utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    return text.encode("utf-8")


def series(parsed) -> dict[tuple[str, str, str], float]:
    return {(r.indicator, r.commodity, r.partner): r.value for r in parsed.records}


def test_figures_of_the_19th_package():
    parsed = eu_council.parse(doc(CONTENT19, URL19))
    assert series(parsed) == EXPECTED19
    for record in parsed.records:
        assert record.period_start == record.period_end == record.vintage == date(2025, 10, 23)
        assert {"package:19", "published_at:2025-10-23T11:20", "archive_capture:20251023125146"} <= set(record.flags)
        assert locators.resolve(CONTENT19, record.locator) == record.raw
    by = {r.indicator: r for r in parsed.records}
    assert "listing_form:total" in by["sanctions_listings"].flags
    assert htmltext.strip_tags(by["sanctions_listings"].raw).startswith(
        "Today, the Council adopted a sweeping 19th package of further 69 individual listings")
    assert htmltext.strip_tags(by["military_support_entities_added"].raw).startswith(
        "The Council has identified 45 new entities directly supporting Russia’s military and industrial complex")
    china = next(r for r in parsed.records if r.partner == "China")
    assert "including:Hong Kong" in china.flags
    assert not eu_council.check([parsed]).failed


def test_a_sub_measure_is_never_the_packages_persons():
    parsed = eu_council.parse(doc(CONTENT19, URL19))
    indicators = {r.indicator for r in parsed.records}
    assert not indicators & {"sanctions_listings_persons", "sanctions_listings_entities"}
    children = next(r for r in parsed.records if r.commodity == "measure:Children")
    assert htmltext.strip_tags(children.raw).startswith(
        "Therefore, the EU is reinforcing accountability of those involved in such activities by listing 11 additional")
    assert "listing_form:persons_only" in children.flags


def test_the_19th_page_counts_it_does_not_read_are_reported_unread():
    unread = eu_council.parse(doc(CONTENT19, URL19)).unread
    assert any("'eight banks'" in u for u in unread) and any("'Four banks'" in u for u in unread)
    assert not any("listings" in u or "individuals" in u for u in unread)


def test_notice_of_the_19th_and_its_iso_issue_date():
    notices = eu_council.parse(doc(CONTENT19, URL19)).notices
    release = notices[0]
    assert (release.id, release.kind, release.published_on) == (URL19, "press_release", date(2025, 10, 23))
    assert release.title == ("19th package of sanctions against Russia: EU targets Russian energy, third-country "
                             "banks and crypto providers")
    with pytest.raises(LayoutChanged, match="data-issue-date '2025-10-24' is not the page's date 2025-10-23"):
        eu_council.parse(doc(derived19(('data-issue-date="2025-10-23"', 'data-issue-date="2025-10-24"')), URL19))
    with pytest.raises(LayoutChanged, match="neither dd/mm/yyyy nor ISO"):
        eu_council.parse(doc(derived19(('data-issue-date="2025-10-23"', 'data-issue-date="23.10.2025"')), URL19))


ACTS19 = ["32025D2032", "32025R2033", "32025D2036", "32025R2037", "32025R2035", "32025D2040", "32025D2038",
          "32025R2039"]


def test_the_19th_page_links_its_8_official_journal_acts():
    acts = eu_council.linked_acts(doc(CONTENT19, URL19))
    assert [a.key for a in acts] == ACTS19
    assert acts[1].url == "https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=OJ:L_202502033"
    assert acts[1].title.startswith("Council Regulation (EU) 2025/2033 of 23 October 2025 amending Regulation (EU) "
                                    "No 833/2014")
    assert {a.release_date for a in acts} == {date(2025, 10, 23)} and {a.package for a in acts} == {"19"}
    notices = {n.id: n for n in eu_council.parse(doc(CONTENT19, URL19)).notices[1:]}
    assert list(notices) == ACTS19
    assert {n.kind for n in notices.values()} == {"legal_act"}
    assert [notices[c].regime for c in ACTS19] == ["RUS-833", "RUS-833", "RUS-269", "RUS-269", "RUS-269", "BLR",
                                                   "BLR", "BLR"]
    assert notices["32025R2033"].oj_reference == "OJ L, 2025/2033"
    assert locators.resolve(CONTENT19, notices["32025R2033"].locator).strip().startswith(
        "Council Regulation (EU) 2025/2033")
    assert eu_council.linked_acts(doc()) == []  # the 15th's acts were "soon to be published": no links


def test_the_15th_page_links_the_14th_package():
    (page,) = eu_council.linked_pages(doc())
    assert page.url == page.key == (
        "https://www.consilium.europa.eu/en/press/press-releases/2024/06/24/russia-s-war-of-aggression-against-"
        "ukraine-comprehensive-eu-s-14th-package-of-sanctions-cracks-down-on-circumvention-and-adopts-energy-measures/")
    assert (page.package, page.release_date) == ("14", date(2024, 6, 24))
    assert page.title.startswith("Russia’s war of aggression against Ukraine: comprehensive EU’s 14th package")
    assert eu_council.linked_pages(doc(CONTENT19, URL19)) == []  # it links no earlier package


@pytest.mark.parametrize("old,new,expected,form", [
    ("84 listings</strong>, which consists of 54 persons and 30 entities",
     "84 individuals and entities</strong>",
     {"sanctions_listings_combined": 84}, "combined"),
    ("84 listings</strong>, which consists of 54 persons and 30 entities responsible",
     "84 listings</strong>. These are 54 persons and 30 entities responsible",
     {"sanctions_listings": 84, "sanctions_listings_persons": 54, "sanctions_listings_entities": 30},
     "total_then_breakdown"),
    ("84 listings</strong>, which consists of 54 persons and 30 entities",
     "84 listings</strong> (30 entities and 54 individuals)",
     {"sanctions_listings": 84, "sanctions_listings_persons": 54, "sanctions_listings_entities": 30},
     "total_with_breakdown"),
    ("agreed on a significant package of <strong>84 listings</strong>, which consists of 54 persons and 30 entities",
     "agreed on a significant package of close to 84 listings", {"sanctions_listings": 84}, "total"),
])
def test_every_listing_form_derived_from_the_real_page(old, new, expected, form):
    parsed = eu_council.parse(doc(derived((old, new))))
    listings = {r.indicator: r for r in parsed.records if "listing_form" in " ".join(r.flags)}
    assert {k: r.value for k, r in listings.items()} == expected
    assert all(f"listing_form:{form}" in r.flags for r in listings.values())
    if form == "total_then_breakdown":  # each figure points at its own sentence
        assert listings["sanctions_listings"].locator != listings["sanctions_listings_persons"].locator
    if "close to" in new:
        assert "approximate:close to" in listings["sanctions_listings"].flags


def test_a_count_of_all_listings_in_force_is_never_the_packages():
    """Derived: the 15th page's last paragraph given the Council's usual cumulative sentence."""
    content = derived(("The EU remains ready to further limit Russia’s ability to wage war, including by further "
                       "sanctions.", "EU restrictive measures now apply to a total of over 2,400 individuals and "
                       "entities."))
    found = {r.indicator: r for r in eu_council.parse(doc(content)).records}
    assert found["sanctions_listings_in_force"].value == 2400
    assert "approximate:over" in found["sanctions_listings_in_force"].flags
    assert found["sanctions_listings"].value == 84 and "sanctions_listings_combined" not in found


@pytest.mark.parametrize("content,url,sentence", [
    (lambda: derived(("which consists of 54 persons and 30 entities", "which consists of 54 persons, 30 entities "
                      "and 2 bodies")), URL, "The Council agreed on a significant package of 84 listings, which "
     "consists of 54 persons, 30 entities and 2 bodies"),
    (lambda: derived19(("further 69 <strong>individual listings", "further 69 <strong>designations of persons and bodies")), URL19,
     "Today, the Council adopted a sweeping 19th package of further 69 designations of persons and bodies"),
])
def test_a_listing_sentence_of_no_known_form_is_refused_naming_it(content, url, sentence):
    """Built variants of the recorded pages (refusal tests): the listing sentence reworded into an unknown form."""
    with pytest.raises(LayoutChanged) as err:
        eu_council.parse(doc(content(), url))
    assert "matches no known form" in str(err.value) and sentence in str(err.value).replace("’", "'")


def test_a_package_page_without_its_listings_loads_nothing():
    """Built variant of the 19th page (a refusal test): its listing words removed, its vessels still there."""
    content = derived19(("a sweeping 19th package of further 69 <strong>individual listings and numerous",
                         "a sweeping 19th package of <strong>numerous"))
    with pytest.raises(LayoutChanged, match="no sentence announces its listings; none of its figures is loaded"):
        eu_council.parse(doc(content, URL19))


# --- discovery: the feed (no recorded copy) and link-following -----------------------------------------------

def test_a_non_feed_answer_is_refused():
    """The real 15th-package page given as the feed's answer, and a built empty RSS channel (refusal tests)."""
    with pytest.raises(LayoutChanged, match="not the Council's press-release feed"):
        eu_council.feed_candidates(Document.from_bytes("eu-council-press", eu_council.FEED, CONTENT))
    empty = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
    with pytest.raises(LayoutChanged, match="no RSS/Atom items"):
        eu_council.parse(Document.from_bytes("eu-council-press", eu_council.FEED, empty))


class LinkClient:
    """Answers the recorded pages; has no copy of anything else (as a replay archive)."""

    def __init__(self):
        self.asked = []
        self.pages = {URL: CONTENT, URL19: CONTENT19}

    def has(self, url, params=None):
        return url in self.pages

    def get(self, url, params=None):
        self.asked.append(url)
        return doc(self.pages[url], url)


def test_following_links_discovers_the_14th_package_without_a_recorded_copy():
    options = FetchOptions(params=eu_council.Params(feed_url=None, press_release_urls=[URL, URL19]))
    client = LinkClient()
    docs = list(eu_council.fetch(client, options))
    assert [d.url for d in docs] == client.asked == [URL, URL19]
    (found,) = options.discovery.discovered
    assert found.package == "14" and options.discovery.no_copy == [found.key]
    assert options.discovery.counts() == {"discovered": 1, "new": 1, "changed": 0, "known": 0, "no_copy": 1}


def test_a_linked_page_is_fetched_when_a_copy_exists_and_its_links_are_followed():
    """The 19th page is listed by the feed here (a stand-in for the feed's answer, which was never recorded)."""
    options = FetchOptions(params=eu_council.Params(feed_url=None, press_release_urls=[URL]))
    client = LinkClient()
    fourteenth = eu_council.linked_pages(doc())[0].url
    client.pages[fourteenth] = CONTENT19  # not the 14th's bytes: only the discovery path is under test
    list(eu_council.fetch(client, options))
    assert client.asked == [URL, fourteenth]
    assert [c for c, _ in options.discovery.fetched][0].package == "14"


def test_replay_defaults_read_the_recorded_pages_and_no_feed():
    params = eu_council.Params(**eu_council.replay_defaults(REPLAY.parent))
    assert params.feed_url == "" and params.press_release_urls == [URL, URL19] and not params.follow_links
    assert "web.archive.org" not in eu_council.SOURCE.hosts and eu_council.SOURCE.hosts == ("www.consilium.europa.eu",)
    assert eu_council.SOURCE.discovery.kind == "rss-feed"
    assert eu_council.SOURCE.discovery.index_url == "https://www.consilium.europa.eu/en/rss/pressreleases.ashx"
    with pytest.raises(ValueError):
        eu_council.Params(press_release_urls=[URL], fsf_token="x")  # another source's parameter is refused
