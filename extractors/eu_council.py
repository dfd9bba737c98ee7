"""Council of the EU press releases announcing a package of sanctions against Russia.

The page (``<main id="gsc-main-content">``) gives the title (``<h1>``), the publication date and time
(``<li class="gsc-eyebrow__item">16 December 2024 10:50</li>``, Brussels time) and, in its paragraphs,
the figures of the package. Wording changes between packages, so figures are found by meaning with
the patterns in ``PATTERNS`` over the visible text of each sentence; each figure's locator is the
``text:START-END`` span of its sentence in the decoded page and ``raw`` is that span (markup included).

The recorded copy is a Wayback Machine memento: the archive's toolbar lies outside ``<main>`` and is
never read, and ``/web/<timestamp>[xx_]/`` link prefixes are stripped, so the notice's id/url is the
Council's own. Records of an archived copy carry the flag ``archive_capture:<timestamp>``.

The third countries named for the entities added to the list of those supporting Russia's
military and industrial complex go into that record's flags as ``third_country:<name as written>``
(the 32 entities are not all in those countries, so ``partner`` would overstate it).
"""

from __future__ import annotations

import html
import re
from datetime import date, datetime
from typing import Iterable

from extractors import htmltext
from extractors.base import (
    CheckResult, Document, FetchOptions, LayoutChanged, NoticeRecord, Parsed, Record, SourceClient,
    SourceInfo,
)
from extractors.numbers import parse_number

SOURCE = SourceInfo(
    id="eu-council-press",
    family="sanctions",
    publisher="Council of the European Union",
    name="Press releases on EU sanctions packages against Russia",
    homepage="https://www.consilium.europa.eu/en/press/press-releases/",
    licence="Council of the EU copyright notice (reuse authorised, source acknowledged)",
    cadence="when a package is adopted",
    hosts=("www.consilium.europa.eu",),
    landing_urls=("https://www.consilium.europa.eu/en/policies/sanctions-against-russia/",),
    parser_version="1",
)
COUNCIL = "https://www.consilium.europa.eu"
PRESS_RELEASES = (  # packages with a recorded copy; more via options.extra["press_release_urls"]
    f"{COUNCIL}/en/press/press-releases/2024/12/16/"
    "russia-s-war-of-aggression-against-ukraine-eu-adopts-15th-package-of-restrictive-measures/",
)
N = r"(\d{1,3}(?:,\d{3})*|\d+)"
PATTERNS: dict[str, tuple[re.Pattern, ...]] = {  # named groups are indicators; matched on visible text
    "listings": (
        re.compile(rf"\b(?P<sanctions_listings>{N}) (?:new |additional |further )?listings\b"),
        re.compile(rf"\blistings\b.*?(?:consists? of|consisting of|compris\w+|including|\(|:) ?"
                   rf"(?P<sanctions_listings_persons>{N}) (?:persons|individuals|people)\b,? and "
                   rf"(?P<sanctions_listings_entities>{N}) (?:entities|legal persons)"),
        re.compile(rf"\b(?:list|lists|listed|listing|sanction|sanctions|sanctioned|designates?|designated) "
                   rf"(?:an additional |a further |additional |further |another )?"
                   rf"(?P<sanctions_listings_persons>{N}) (?:persons|individuals)\b,? and "
                   rf"(?P<sanctions_listings_entities>{N}) entities"),
    ),
    "vessels": (
        re.compile(rf"\b(?P<vessels_targeted>{N}) (?:new |additional |further |more )?vessels\b[^.]*?"
                   r"\b(?:targeted|added|listed|designated|subject)"),
        re.compile(rf"\btotal (?:number )?of (?:designated |listed |sanctioned |targeted )?vessels "
                   rf"(?:to|at|is|now at) (?P<vessels_designated_total>{N})\b"),
    ),
    "military": (
        re.compile(rf"\b(?:adds?|added|adding|lists?|listed) (?P<military_support_entities_added>{N}) "
                   r"(?:new |additional |further |more )?entities to the list of (?:those |entities )?"
                   r"(?:directly )?supporting Russia'?s military(?: and |-)industrial complex"),
    ),
}
THIRD_COUNTRIES = re.compile(r"third countries\)? ?\((?P<names>[^)]+)\)")
DATE = re.compile(r"(\d{1,2} [A-Z][a-z]+ \d{4})(?: (\d{1,2}:\d{2}))?")
PACKAGE = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th) package\b")
ARCHIVE_PREFIX = re.compile(r"^(?:https?:)?(?://web\.archive\.org)?/web/(\d{14})[a-z]{0,2}_?/")


def fetch(client: SourceClient, options: FetchOptions) -> Iterable[Document]:
    for url in (*PRESS_RELEASES, *options.extra.get("press_release_urls", ())):
        yield client.get(url)


def council_url(href: str) -> str:
    """The Council's own URL of a link, without a web-archive prefix."""
    href = ARCHIVE_PREFIX.sub("", html.unescape(href).strip())
    return COUNCIL + href if href.startswith("/") else href


def parse(doc: Document) -> Parsed:
    try:
        text = doc.content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LayoutChanged(doc.source_id, doc.url, f"not UTF-8: {exc}") from exc
    main = re.search(r"<main\b[^>]*\bid=\"gsc-main-content\"[^>]*>", text)
    if not main:
        raise LayoutChanged(doc.source_id, doc.url, 'no <main id="gsc-main-content">')
    end = text.find("</main>", main.end())
    if end < 0:
        raise LayoutChanged(doc.source_id, doc.url, "<main id=\"gsc-main-content\"> is never closed")
    blocks = htmltext.blocks(text, main.end(), end)
    h1 = next((b for b in blocks if b.tag == "h1"), None)
    when = next((m for b in blocks if "gsc-eyebrow__item" in b.classes.split()
                 for m in [DATE.fullmatch(b.text)] if m), None)
    if not h1 or not when:
        raise LayoutChanged(doc.source_id, doc.url, "no <h1> title or gsc-eyebrow__item date in <main>")
    published = datetime.strptime(" ".join(filter(None, when.groups())),
                                  "%d %B %Y %H:%M" if when.group(2) else "%d %B %Y")
    paragraphs = [b for b in blocks if b.tag == "p"]
    package = PACKAGE.search(h1.text) or next(filter(None, (PACKAGE.search(b.text) for b in paragraphs)), None)
    if not package:
        raise LayoutChanged(doc.source_id, doc.url, f"page {h1.text!r} announces no 'Nth package'")
    url = _own_url(text, doc.url)
    capture = ARCHIVE_PREFIX.match(doc.url) or re.search(r"/web/(\d{14})/https?://www\.consilium", text)
    flags = (f"package:{package.group(1)}", f"published_at:{published:%Y-%m-%dT%H:%M}",
             *([f"archive_capture:{capture.group(1)}"] if capture else []))
    records = _figures(text, paragraphs, published.date(), flags)
    if not records:
        raise LayoutChanged(doc.source_id, url, f"page {h1.text!r} announces the {package.group(0)} "
                            "but none of the expected figure sentences matched")
    notice = NoticeRecord(url, "press_release", "RUS", h1.text, published.date(), "", url,
                          "text:%d-%d" % h1.span(0, len(h1.text)))
    return Parsed(records=records, notices=[notice], reference_date=published.date())


def _own_url(text: str, fallback: str) -> str:
    for pattern in (r'<link rel="canonical" href="([^"]+)"', r'<meta name="TARGET_URL" content="([^"]+)"'):
        found = re.search(pattern, text)
        if found and "/press/press-releases/" in council_url(found.group(1)):
            return council_url(found.group(1))
    return council_url(fallback)


def _figures(text: str, paragraphs: list, day: date, flags: tuple[str, ...]) -> list[Record]:
    found: dict[str, Record] = {}
    for block in paragraphs:
        for sentence, start, end in htmltext.sentences(block, text):
            plain = sentence.replace("’", "'")
            for indicator, value, pattern_flags in _match(plain, block.text):
                if indicator not in found:
                    found[indicator] = Record(indicator, "EU", day, day, value, "count", f"text:{start}-{end}",
                                              raw=text[start:end], vintage=day, flags=flags + pattern_flags)
    return list(found.values())


def _match(sentence: str, paragraph: str) -> Iterable[tuple[str, float, tuple[str, ...]]]:
    for patterns in PATTERNS.values():
        for pattern in patterns:
            for match in pattern.finditer(sentence):
                for indicator, digits in match.groupdict().items():
                    value = parse_number(digits) if digits else None
                    if value:  # never store zero or a missing group
                        yield indicator, value, _countries(paragraph) if indicator.startswith("military") else ()


def _countries(paragraph: str) -> tuple[str, ...]:
    named = THIRD_COUNTRIES.search(paragraph)
    names = re.split(r",\s*|\s+and\s+", named.group("names")) if named else []
    names = [re.sub(r"^the ", "", name.strip()) for name in names]
    return tuple(f"third_country:{name}" for name in names if name)


def check(parsed: list[Parsed]) -> CheckResult:
    result = CheckResult()
    for p in parsed:
        figures = {r.indicator: r.value for r in p.records}
        name = p.notices[0].id if p.notices else "?"
        result.expect(bool(figures), f"{name}: at least one figure")
        parts = [figures.get(k) for k in ("sanctions_listings_persons", "sanctions_listings_entities")]
        if "sanctions_listings" in figures and all(parts):
            result.expect(sum(parts) == figures["sanctions_listings"],
                          f"{name}: persons {parts[0]:.0f} + entities {parts[1]:.0f} = listings "
                          f"{figures['sanctions_listings']:.0f}")
        if {"vessels_targeted", "vessels_designated_total"} <= figures.keys():
            result.expect(figures["vessels_designated_total"] >= figures["vessels_targeted"],
                          f"{name}: designated vessels total >= vessels targeted now")
    return result
