"""Council of the EU press releases announcing a package of sanctions against Russia.

Discovery: the Council's press-release RSS feed (``FEED``, RSS 2.0 as the Council publishes it,
read with feedparser) lists new releases; those about a package of sanctions against Russia are the
candidates. UNTESTED AGAINST A REAL FEED: no copy of it was ever recorded, so an answer that is not
a feed, or a feed without items, fails loudly. Each release then links to earlier packages'
releases (the 15th-package page links to the 14th's) and to the package's Official Journal acts
(the 19th-package page links to its 8 acts): ``linked_pages`` and ``linked_acts`` read those links,
tested on the two recorded pages. Pages are fetched through ``extractors.discovery`` (a page the
warehouse holds is not fetched again); acts become ``legal_act`` notices (their CELEX, EUR-Lex URL,
title and date as the link states them), the ``eu-oj-acts`` source's notices.

The page (``<main id="gsc-main-content">``) gives the title (``<h1>``), the publication date and time
(``<li class="gsc-eyebrow__item">16 December 2024 10:50</li>``, Brussels time; the page's
``data-issue-date``, ``16/12/2024`` in the 2024 template and ``2025-10-23`` in the later one, must
agree) and, in its paragraphs, the figures of the package, read sentence by sentence by
``council_listings`` (every form releases use to count listings, vessels and the entities added to
the list of those supporting Russia's military-industrial complex). Each figure's locator is the
``text:START-END`` span of its sentence in the decoded page and ``raw`` is that span (markup
included).

Recorded copies are Wayback Machine mementos: the archive's toolbar lies outside ``<main>`` and is
never read, and ``/web/<timestamp>[xx_]/`` link prefixes are stripped, so the notice's id/url is the
Council's own. Records of an archived copy carry the flag ``archive_capture:<timestamp>``.

The third countries named for the entities added to the military-industrial list go into that
record's flags as ``third_country:<name as written>`` when the page names them without counts
(the entities are not all in those countries, so ``partner`` would overstate it); a page that counts
them per country gives ``military_support_entities_in_country`` figures with the country as partner.
"""

from __future__ import annotations

import html
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterable

import feedparser
from pydantic import Field

from extractors import council_listings, htmltext
from extractors.base import (
    LIVE_UNTESTED, Assertions, Candidate, CheckResult, Discovery, Document, FetchOptions, LayoutChanged,
    NoticeRecord, Parsed, Record, SourceClient, OptionalText, SourceInfo, SourceParams,
)
from extractors.client import recorded_urls
from extractors.discovery import fetch_candidates

COUNCIL = "https://www.consilium.europa.eu"
FEED = f"{COUNCIL}/en/rss/pressreleases.ashx"
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
    parser_version="2",
    discovery=Discovery(
        "rss-feed", FEED, LIVE_UNTESTED,
        "New packages: items of the Council's press-release RSS feed about a package of sanctions against "
        "Russia (built from the feed's published format; no copy was ever recorded). Earlier packages and a "
        "package's Official Journal acts: links between releases (linked-pages), tested on a recorded index "
        "(the 15th- and 19th-package pages). A release is identified by its page URL, with its package number "
        "and date."),
    # min 0: a run that finds no new package reads only the feed; each page must hold its listings (check)
    assertions=Assertions(min_records=0, max_records=2000, fill_rates=(("locator", 1.0), ("vintage", 1.0))),
)
PACKAGE = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th) package\b")
DATE = re.compile(r"(\d{1,2} [A-Z][a-z]+ \d{4})(?: (\d{1,2}:\d{2}))?")
ARCHIVE_PREFIX = re.compile(r"^(?:https?:)?(?://web\.archive\.org)?/web/(\d{14})[a-z]{0,2}_?/")
RELEASE_PATH = re.compile(r"^/en/press/press-releases/(\d{4})/(\d{2})/(\d{2})/[\w-]+/?$")
THIRD_COUNTRIES = re.compile(r"third countries\)? ?\((?P<names>[^)]+)\)")
LINK = re.compile(r"<a\b(?P<attrs>(?:[^>\"']|\"[^\"]*\"|'[^']*')*)>(?P<text>.*?)</a>", re.S)
HREF = re.compile(r"""\bhref\s*=\s*(?:"([^"]*)"|'([^']*)')""")
OJ_LINK = re.compile(r"[?&]uri=(?:OJ:L_(?P<year>\d{4})(?P<num>\d{5})|CELEX(?::|%3A)(?P<celex>[0-9][0-9A-Z()]+))")
ACT = re.compile(r"\b(?P<kind>Regulation|Decision) \((?:EU|CFSP|EU, Euratom)\) (?:No )?(?P<year>\d{4})/(?P<num>\d+)")
ACT_DAY = re.compile(r"\bof (\d{1,2} [A-Z][a-z]+ \d{4})\b")
# The base act an act amends or implements -> regime (the eu-oj-acts codes; Belarus's own regime).
BASE_ACTS = {"833/2014": "RUS-833", "2014/512/CFSP": "RUS-833", "269/2014": "RUS-269",
             "2014/145/CFSP": "RUS-269", "765/2006": "BLR", "2012/642/CFSP": "BLR"}
RUSSIA = re.compile(r"\bRussia", re.I)
SANCTIONS = re.compile(r"\b(?:sanctions?|restrictive measures)\b", re.I)


class Params(SourceParams):
    feed_url: OptionalText = Field(
        FEED, description="The Council's press-release RSS feed: its items about a package of sanctions against "
        "Russia are the new packages. Empty: read no feed (a replay archive holds no recorded copy of it).")
    press_release_urls: list[str] = Field(
        default_factory=list, description="Press-release pages (www.consilium.europa.eu) read on every run, "
        "whatever the feed lists: e.g. a package the feed no longer shows.")
    follow_links: bool = Field(
        True, description="Follow each release's links to earlier packages' releases (pages the warehouse "
        "already holds are not fetched again).")
    max_pages: int = Field(30, ge=1, le=500, description="At most this many linked or listed pages per run.")


def replay_defaults(archive: Path) -> dict[str, Any]:
    """A replay run reads the recorded releases (no feed was ever recorded). It does not follow their links:
    the defaults ask for what was recorded only (the fault matrix serves exactly that, live). A run given
    ``follow_links`` reports the linked releases with no recorded copy (the 14th package's)."""
    urls = [url for url in recorded_urls(archive, SOURCE.id) if "/press-releases/" in url]
    return {"feed_url": "", "press_release_urls": urls, "follow_links": False}


def fetch(client: SourceClient, options: FetchOptions) -> Iterable[Document]:
    params = options.params or Params()
    queue: list[Candidate] = []
    if params.feed_url:
        feed = client.get(params.feed_url)
        yield feed
        queue += feed_candidates(feed)
    seen: set[str] = set()
    for url in params.press_release_urls:
        page = client.get(url)
        seen.add(canonical(url))
        yield page
        queue += linked_pages(page) if params.follow_links else []
    budget = params.max_pages
    while queue and budget > 0:
        batch = [c for c in dict.fromkeys(queue) if c.key not in seen][:budget]
        seen.update(c.key for c in batch)
        budget -= len(batch)
        queue = []
        for page in fetch_candidates(client, options, batch):
            yield page
            queue += linked_pages(page) if params.follow_links else []


def canonical(href: str) -> str:
    """The Council's own URL of a link (no web-archive prefix); a release page's URL ends with '/'."""
    url = ARCHIVE_PREFIX.sub("", html.unescape(href).strip())
    url = COUNCIL + url if url.startswith("/") else url
    path = url[len(COUNCIL):] if url.startswith(COUNCIL) else ""
    return url + "/" if RELEASE_PATH.match(path) and not url.endswith("/") else url


def is_feed(content: bytes) -> bool:
    head = content[:512].lstrip().lower()
    return head.startswith(b"<?xml") or head.startswith(b"<rss") or head.startswith(b"<feed")


def feed_candidates(doc: Document) -> list[Candidate]:
    """The feed's releases about a package of sanctions against Russia (only those: the parser reads
    package figures). Not a feed, or a feed with no items, is refused naming the document."""
    feed = feedparser.parse(doc.content)
    if not feed.get("version") or not feed.entries:
        problem = feed.get("bozo_exception") or "no RSS/Atom items"
        raise LayoutChanged(doc.source_id, doc.url, f"not the Council's press-release feed: {problem}")
    found = []
    for i, entry in enumerate(feed.entries):
        title, link = entry.get("title", "").strip(), entry.get("link", "").strip()
        if not title or not link:
            raise LayoutChanged(doc.source_id, doc.url, f"feed item {i} has no title or link")
        words = f"{title} {entry.get('summary', '')}"
        package = PACKAGE.search(words)
        if package and RUSSIA.search(words) and SANCTIONS.search(words):
            day = entry.get("published_parsed") or entry.get("updated_parsed")
            found.append(Candidate(canonical(link), canonical(link), title=title, package=package.group(1),
                                   release_date=date(*day[:3]) if day else None))
    return found


def _main(text: str) -> tuple[int, int] | None:
    main = re.search(r"<main\b[^>]*\bid=\"gsc-main-content\"[^>]*>", text)
    end = text.find("</main>", main.end()) if main else -1
    return (main.end(), end) if main and end >= 0 else None


def _links(doc: Document) -> Iterable[tuple[str, str, int, int]]:
    """(href, visible text, source start, source end of the link text) of each link in <main>."""
    text = doc.content.decode("utf-8", errors="replace")
    bounds = _main(text)
    if not bounds:
        return
    for link in LINK.finditer(text, *bounds):
        href = HREF.search(link.group("attrs"))
        if href:
            yield (href.group(1) or href.group(2) or "", htmltext.strip_tags(link.group("text")),
                   *link.span("text"))


def linked_pages(doc: Document) -> list[Candidate]:
    """Releases about an earlier package of sanctions against Russia that the page links to."""
    own = canonical(doc.url)
    found = []
    for href, words, _, _ in _links(doc):
        url = canonical(href)
        path = RELEASE_PATH.match(url[len(COUNCIL):]) if url.startswith(COUNCIL) else None
        package = PACKAGE.search(words)
        if path and package and RUSSIA.search(words) and url != own:
            found.append(Candidate(url, url, title=words, package=package.group(1),
                                   release_date=date(*map(int, path.groups()))))
    return list(dict.fromkeys(found))


def linked_acts(doc: Document) -> list[Candidate]:
    """The Official Journal acts the page links to (EUR-Lex ``?uri=OJ:L_YYYYNNNNN`` or ``CELEX:``),
    keyed by CELEX, read from the link's own words ("Council Regulation (EU) 2025/2033 of 23 October 2025")."""
    package = _package_of(doc)
    found = []
    for href, words, _, _ in _links(doc):
        url = canonical(href)
        oj = OJ_LINK.search(url) if "eur-lex.europa.eu" in url else None
        if oj:
            found.append(Candidate(url, _celex(oj, words), title=words, package=package,
                                   release_date=_act_day(words)))
    return found


def _package_of(doc: Document) -> str:
    text = doc.content.decode("utf-8", errors="replace")
    h1 = re.search(r"<h1[^>]*>(.*?)</h1>", text, re.S)
    package = PACKAGE.search(htmltext.strip_tags(h1.group(1))) if h1 else None
    return package.group(1) if package else ""


def _celex(oj: re.Match, words: str) -> str:
    if oj.group("celex"):
        return oj.group("celex")
    act = ACT.search(words)
    if not act or act.group("year") != oj.group("year") or int(act.group("num")) != int(oj.group("num")):
        return f"OJ:L_{oj.group('year')}{oj.group('num')}"  # the link's own identifier, never a guessed CELEX
    return f"3{act.group('year')}{act.group('kind')[0]}{int(act.group('num')):04d}"


def _act_day(words: str) -> date | None:
    said = ACT_DAY.search(words)
    return datetime.strptime(said.group(1), "%d %B %Y").date() if said else None


def parse(doc: Document) -> Parsed:
    if is_feed(doc.content):
        feed_candidates(doc)  # refuses what is not the feed
        return Parsed()  # discovery only: the releases it lists are fetched as their own documents
    try:
        text = doc.content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LayoutChanged(doc.source_id, doc.url, f"not UTF-8: {exc}") from exc
    if not re.search(r"<main\b[^>]*\bid=\"gsc-main-content\"[^>]*>", text):
        raise LayoutChanged(doc.source_id, doc.url, 'no <main id="gsc-main-content">')
    bounds = _main(text)
    if not bounds:
        raise LayoutChanged(doc.source_id, doc.url, "<main id=\"gsc-main-content\"> is never closed")
    blocks = htmltext.blocks(text, *bounds)
    h1 = next((b for b in blocks if b.tag == "h1"), None)
    when = next((m for b in blocks if "gsc-eyebrow__item" in b.classes.split()
                 for m in [DATE.fullmatch(b.text)] if m), None)
    if not h1 or not when:
        raise LayoutChanged(doc.source_id, doc.url, "no <h1> title or gsc-eyebrow__item date in <main>")
    published = datetime.strptime(" ".join(filter(None, when.groups())),
                                  "%d %B %Y %H:%M" if when.group(2) else "%d %B %Y")
    _same_issue_date(doc, text, published.date())
    paragraphs = [b for b in blocks if b.tag == "p"]
    package = PACKAGE.search(h1.text) or next(filter(None, (PACKAGE.search(b.text) for b in paragraphs)), None)
    if not package:
        raise LayoutChanged(doc.source_id, doc.url, f"page {h1.text!r} announces no 'Nth package'")
    url = _own_url(text, doc.url)
    capture = ARCHIVE_PREFIX.match(doc.url) or re.search(r"/web/(\d{14})/https?://www\.consilium", text)
    flags = (f"package:{package.group(1)}", f"published_at:{published:%Y-%m-%dT%H:%M}",
             *([f"archive_capture:{capture.group(1)}"] if capture else []))
    out = _figures(doc, url, h1.text, package.group(0), text, blocks, published.date(), flags)
    out.notices = [NoticeRecord(url, "press_release", "RUS", h1.text, published.date(), "", url,
                                "text:%d-%d" % h1.span(0, len(h1.text))), *_act_notices(doc, out.warnings)]
    out.reference_date = published.date()
    return out


def _same_issue_date(doc: Document, text: str, day: date) -> None:
    """The page's data-issue-date (dd/mm/yyyy in the 2024 template, ISO later) must be the eyebrow's day."""
    attribute = re.search(r'\bdata-issue-date="([^"]*)"', text)
    if not attribute:
        return
    value = attribute.group(1)
    for layout in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            stated = datetime.strptime(value, layout).date()
            break
        except ValueError:
            continue
    else:
        raise LayoutChanged(doc.source_id, doc.url, f"data-issue-date {value!r} is neither dd/mm/yyyy nor ISO")
    if stated != day:
        raise LayoutChanged(doc.source_id, doc.url, f"data-issue-date {value!r} is not the page's date {day}")


def _own_url(text: str, fallback: str) -> str:
    for pattern in (r'<link rel="canonical" href="([^"]+)"', r'<meta name="TARGET_URL" content="([^"]+)"'):
        found = re.search(pattern, text)
        if found and "/press/press-releases/" in canonical(found.group(1)):
            return canonical(found.group(1))
    return canonical(fallback)


def _figures(doc: Document, url: str, title: str, package: str, text: str, blocks: list, day: date,
             flags: tuple[str, ...]) -> Parsed:
    sentences, section = [], ""
    for block in blocks:
        if block.tag == "h2":
            section = block.text
        elif block.tag == "p":
            sentences += [(s.replace("’", "'"), section, start, end, block.text)
                          for s, start, end in htmltext.sentences(block, text)]
    try:
        reading = council_listings.read([(s, section) for s, section, *_ in sentences])
    except council_listings.UnknownForm as exc:
        raise LayoutChanged(doc.source_id, url, f"page {title!r} ({package}): {exc}") from None
    if not reading.form:
        raise LayoutChanged(doc.source_id, url, f"page {title!r} announces the {package} but no sentence "
                            "announces its listings; none of its figures is loaded without them")
    records = []
    for figure in reading.figures:
        _, _, start, end, paragraph = sentences[figure.sentence]
        extra = _countries(paragraph) if figure.indicator == "military_support_entities_added" else ()
        records.append(Record(figure.indicator, "EU", day, day, figure.value, "count", f"text:{start}-{end}",
                              partner=figure.partner, commodity=figure.commodity, raw=text[start:end],
                              vintage=day, flags=flags + figure.flags + extra))
    return Parsed(records=records, warnings=reading.warnings, unread=reading.unread)


def _countries(paragraph: str) -> tuple[str, ...]:
    named = THIRD_COUNTRIES.search(paragraph)
    names = re.split(r",\s*|\s+and\s+", named.group("names")) if named else []
    names = [re.sub(r"^the ", "", name.strip()) for name in names]
    return tuple(f"third_country:{name}" for name in names if name)


def _act_notices(doc: Document, warnings: list[str]) -> list[NoticeRecord]:
    notices = []
    spans = {canonical(href): (start, end) for href, _, start, end in _links(doc)}
    for act in linked_acts(doc):
        regime = next((code for base, code in BASE_ACTS.items() if base in act.title), "")
        if not regime:
            warnings.append(f"act {act.key} ({act.title[:80]}) amends no base act this parser knows; regime RUS")
        oj = OJ_LINK.search(act.url)
        reference = f"OJ L, {oj.group('year')}/{int(oj.group('num'))}" if oj and oj.group("year") else ""
        notices.append(NoticeRecord(act.key, "legal_act", regime or "RUS", act.title, act.release_date,
                                    reference, act.url, "text:%d-%d" % spans[act.url]))
    return notices


def check(parsed: list[Parsed]) -> CheckResult:
    result = CheckResult()
    for p in (p for p in parsed if p.notices):
        figures = {r.indicator: r.value for r in p.records if not r.commodity and not r.partner}
        name = p.notices[0].id
        listings = [k for k in figures if k.startswith("sanctions_listings")]
        result.expect(bool(listings), f"{name}: the package's listings are read")
        parts = [figures.get(k) for k in ("sanctions_listings_persons", "sanctions_listings_entities")]
        if "sanctions_listings" in figures and all(parts):
            result.expect(sum(parts) == figures["sanctions_listings"],
                          f"{name}: persons {parts[0]:.0f} + entities {parts[1]:.0f} = listings "
                          f"{figures['sanctions_listings']:.0f}")
        if {"vessels_targeted", "vessels_designated_total"} <= figures.keys():
            result.expect(figures["vessels_designated_total"] >= figures["vessels_targeted"],
                          f"{name}: designated vessels total >= vessels targeted now")
        by_country = sum(r.value for r in p.records if r.indicator == "military_support_entities_in_country")
        if "military_support_entities_third_countries" in figures:
            result.expect(by_country == figures["military_support_entities_third_countries"],
                          f"{name}: entities per third country add up to "
                          f"{figures['military_support_entities_third_countries']:.0f}")
        result.warnings.extend(f"{name}: {w}" for w in p.warnings)
    return result
