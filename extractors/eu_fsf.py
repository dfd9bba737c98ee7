"""EU Financial Sanctions Files (FSF): the consolidated list as XML v1.1.

The live file is about 26 MB with ~6,200 ``sanctionEntity`` elements, so ``parse`` streams it with
``lxml.etree.iterparse`` (entities not resolved, no network, no DTD, no huge-tree) and frees each
entity after reading it. A document with a DOCTYPE is refused (LayoutChanged): the FSF export has
none, and internal entities would otherwise be expanded in attributes.

- each ``sanctionEntity`` -> ``DesignationRecord``; ``regime`` = ``programme`` of its first
  ``regulation`` (the listing act); ``listed_on`` = ``@designationDate`` if present, else the earliest
  regulation ``publicationDate``; ``eu_reference`` = ``@euReferenceNumber`` ("" when the file carries
  none, as in the recorded excerpt: ``logical_id`` is the stable key).
- each distinct regulation -> ``NoticeRecord`` (legal_act) with id = CELEX (see ``celex``) or the number.
- figures: ``designations`` per (programme, subject type), geo "EU"; the programme goes into
  ``commodity`` as ``programme:<code>`` and the subject type into ``flow`` as ``subject:<code>``
  (``partner`` is for countries, and programme "UKR" is not Ukraine). Period = the generation date.

``check`` wants at least ``MIN_ENTITIES`` entities in a file; only the byte-identical recorded
excerpt (``KNOWN_EXCERPTS``, one entity) is exempt, so a truncated live download still fails.

Discovery: the FSF RSS feed (``FEED``) announces each file with its URL and token; ``list_candidate``
reads it with feedparser and takes the item whose link or enclosure is the XML 1.1 full list, keyed
``xmlFullSanctionsList_1_1`` with the item's date as version, so an unchanged list is not downloaded
again. UNTESTED AGAINST A REAL FEED: none was ever recorded; an answer that is not a feed, or a feed
without the XML 1.1 item, fails loudly. The token is not treated as a secret: the Commission publishes
it in that public feed for everyone, and it travels in the URL (which the snapshot keeps).
"""

from __future__ import annotations

import io
import re
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterable

import feedparser
from lxml import etree
from pydantic import Field

from extractors import celex as celex_numbers
from extractors.base import (
    LIVE_UNTESTED, Assertions, Candidate, CheckResult, DesignationRecord, Discovery, Document, FetchOptions,
    LayoutChanged, NoticeRecord, OptionalText, Parsed, Record, SourceClient, SourceInfo, SourceParams,
)
from extractors.discovery import fetch_candidates

SOURCE = SourceInfo(
    id="eu-fsf-consolidated",
    family="sanctions",
    publisher="European Commission (FPI / DG FISMA)",
    name="Consolidated list of persons, groups and entities subject to EU financial sanctions (XML 1.1)",
    homepage="https://webgate.ec.europa.eu/fsd/fsf",
    licence="European Commission reuse policy (Decision 2011/833/EU)",
    cadence="daily",
    hosts=("webgate.ec.europa.eu",),
    landing_urls=("https://webgate.ec.europa.eu/fsd/fsf/public/rss",),
    parser_version="2",
    discovery=Discovery(
        "rss-feed", "https://webgate.ec.europa.eu/fsd/fsf/public/rss", LIVE_UNTESTED,
        "The FSF RSS feed announces the XML 1.1 full list with its URL and token (item link or enclosure); the "
        "list is keyed xmlFullSanctionsList_1_1, versioned by the item's date. Built from the feed's published "
        "format: no copy of the feed was ever recorded."),
    # min 0: a run whose list is unchanged reads only the feed; a list's own minimum (MIN_ENTITIES) is in check()
    assertions=Assertions(min_records=0, max_records=60_000,
                          fill_rates=(("vintage", 1.0), ("commodity", 1.0), ("flow", 1.0))),
)
FEED = "https://webgate.ec.europa.eu/fsd/fsf/public/rss"
FULL_LIST_URL = "https://webgate.ec.europa.eu/fsd/fsf/public/files/xmlFullSanctionsList_1_1/content"
FULL_LIST = "xmlFullSanctionsList_1_1"
NS = "{http://eu.europa.ec/fpi/fsd/export}"
ENTITY = f"{NS}sanctionEntity"
MIN_ENTITIES = 1000  # the live list has had > 6,000 since 2023
KNOWN_EXCERPTS = {"090a9e5ea4ce548683307d0ce8a00c4e2c9754e5826534516643f7d8b42fb756": "export 171703, entity 13"}
LN = "*[local-name()='{}']"
ALIAS_FIELDS = ("wholeName", "firstName", "middleName", "lastName", "gender", "title", "function", "nameLanguage",
                "strong")  # empty attributes are left out


class Params(SourceParams):
    feed_url: str = Field(FEED, description="The FSF RSS feed, which announces the consolidated list's file with "
                          "its token.")
    list_url: OptionalText = Field(
        "", description="Read the consolidated list at this URL (with its token) instead of the one the feed "
        "announces. A replay run uses the recorded excerpt's URL.")
    token: OptionalText = Field("", description="Read the standard XML 1.1 list URL with this token instead of "
                              "reading the feed.")


def replay_defaults(archive: Path) -> dict[str, Any]:
    """No feed was ever recorded: a replay run reads the recorded list at its URL."""
    return {"list_url": FULL_LIST_URL}


def fetch(client: SourceClient, options: FetchOptions) -> Iterable[Document]:
    params = options.params or Params()
    if params.list_url or params.token:  # named explicitly: fetched (conditional GET, sha256 skip unchanged bytes)
        yield client.get(params.list_url or FULL_LIST_URL, params={"token": params.token} if params.token else None)
        return
    feed = client.get(params.feed_url)
    yield feed
    yield from fetch_candidates(client, options, [list_candidate(feed)])


def is_feed(content: bytes) -> bool:
    head = content[:1024].lstrip().lower()
    return b"<rss" in head or b"<feed" in head or b"<rdf:rdf" in head


def list_candidate(doc: Document) -> Candidate:
    """The feed's XML 1.1 full list (its URL with the token); anything else is refused naming what was found."""
    feed = feedparser.parse(doc.content)
    if not feed.get("version") or not feed.entries:
        raise LayoutChanged(doc.source_id, doc.url, "not the FSF RSS feed: "
                            f"{feed.get('bozo_exception') or 'no RSS/Atom items'}")
    for entry in feed.entries:
        links = [entry.get("link", "")] + [e.get("href", "") for e in entry.get("enclosures", [])]
        url = next((u for u in links if f"/files/{FULL_LIST}/" in u), None)
        if url:
            day = entry.get("published_parsed") or entry.get("updated_parsed")
            return Candidate(url.strip(), FULL_LIST, entry.get("published") or entry.get("updated") or
                             entry.get("id", ""), entry.get("title", ""), release_date=date(*day[:3]) if day else None,
                             dataset=FULL_LIST)
    titles = [e.get("title", "") for e in feed.entries]
    raise LayoutChanged(doc.source_id, doc.url, f"the feed announces no {FULL_LIST} file (items: {titles})")


def parse(doc: Document) -> Parsed:
    if is_feed(doc.content):
        list_candidate(doc)  # refuses a feed without the list
        return Parsed()  # discovery only: the list it announces is fetched as its own document
    out, notices, shared, unread, context = Parsed(), {}, {}, set(), etree.iterparse(
        io.BytesIO(doc.content), events=("end",), tag=ENTITY, resolve_entities=False, no_network=True,
        load_dtd=False, huge_tree=False, remove_comments=True, remove_pis=True)
    try:
        for _, elem in context:
            if not out.designations:
                out.reference_date, export = _export(doc, elem.getparent())
            out.designations.append(_entity(doc, elem, notices, shared, out.warnings))
            _unread(elem, unread)
            elem.clear()
            while elem.getprevious() is not None:
                del elem.getparent()[0]
        root = context.root
    except etree.XMLSyntaxError as exc:
        raise LayoutChanged(doc.source_id, doc.url, f"not well-formed XML: {exc}") from exc
    if not out.designations:
        _export(doc, root)
        raise LayoutChanged(doc.source_id, doc.url, f"no {ENTITY} in the export")
    out.notices = list(notices.values())
    out.unread = sorted(unread)
    flags = export + (("known_excerpt",) if doc.sha256 in KNOWN_EXCERPTS else ())
    day = out.reference_date
    for (regime, kind), n in sorted(Counter((d.regime, d.entity_type) for d in out.designations).items()):
        where = (f"count(//{LN.format('sanctionEntity')}[{LN.format('regulation')}[1][{_is('programme', regime)}]]"
                 f"[{LN.format('subjectType')}[{_is('code', kind)}]])")
        out.records.append(Record("designations", "EU", day, day, float(n), "count", f"xpath:{where}",
                                  commodity=f"programme:{regime}", flow=f"subject:{kind}", raw=str(n),
                                  vintage=day, flags=flags))
    return out


def _is(attribute: str, value: str) -> str:
    if not value:
        return f"not(normalize-space(@{attribute}))"
    quote = '"' if "'" in value else "'"
    return f"@{attribute}={quote}{value}{quote}"


def _export(doc: Document, root) -> tuple[date, tuple[str, ...]]:
    if root is None or root.tag != f"{NS}export":
        raise LayoutChanged(doc.source_id, doc.url, f"root is {getattr(root, 'tag', None)!r}, not {NS}export")
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None:
        raise LayoutChanged(doc.source_id, doc.url, "the export has a DOCTYPE/DTD; refused (entities)")
    try:
        generated = root.attrib["generationDate"]
        return datetime.fromisoformat(generated).date(), (
            f"generated_at:{generated}", f"global_file_id:{root.get('globalFileId', '')}")
    except (KeyError, ValueError):
        raise LayoutChanged(doc.source_id, doc.url, "export/@generationDate missing or not a date") from None


# What _entity reads, per element: attributes ("@name"), its text ("#text") and child elements.
READ = {
    "sanctionEntity": {"@logicalId", "@euReferenceNumber", "@designationDate", "@unitedNationId", "regulation",
                       "subjectType", "nameAlias", "remark", "citizenship", "birthdate"},
    "remark": {"#text"},
    "regulation": {"@numberTitle", "@regulationType", "@programme", "@publicationDate", "@entryIntoForceDate",
                   "@logicalId", "publicationUrl"},
    "publicationUrl": {"#text"},
    "subjectType": {"@code"},
    "nameAlias": {f"@{name}" for name in ALIAS_FIELDS},
    "citizenship": {"@countryIso2Code"},
    "birthdate": {"@birthdate", "@year"},
}


def _unread(elem, found: set[str], path: str = "sanctionEntity") -> None:
    """Adds to ``found`` each non-empty attribute, text or child element the parser does not read."""
    tag = etree.QName(elem).localname
    known = READ.get(tag, set())
    found.update(f"{path}/@{k}" for k, v in elem.attrib.items() if v and f"@{k}" not in known)
    if (elem.text or "").strip() and "#text" not in known and len(elem) == 0:
        found.add(f"{path}/text()")
    for child in elem:
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child).localname
        if name in known and name in READ:
            _unread(child, found, f"{path}/{name}")
        elif name not in known:
            found.add(f"{path}/{name}")


def _entity(doc: Document, elem, notices: dict, shared: dict, warnings: list[str]) -> DesignationRecord:
    logical = elem.get("logicalId")
    if not logical or not logical.isdigit():
        raise LayoutChanged(doc.source_id, doc.url, f"sanctionEntity without a numeric @logicalId: {logical!r}")
    where = f"//{LN.format('sanctionEntity')}[@logicalId='{logical}']"
    regulations = [_regulation(r, shared) for r in elem.iterchildren(f"{NS}regulation")]
    for i, reg in enumerate(regulations, 1):
        if reg["number_title"] and reg["number_title"] not in notices:
            notices[reg["number_title"]] = _notice(reg, f"xpath:{where}/{LN.format('regulation')}[{i}]")
    aliases = [{k: v for k in ALIAS_FIELDS if (v := a.get(k))} for a in elem.iterchildren(f"{NS}nameAlias")]
    strong = [a for a in aliases if a.get("strong") == "true"] or aliases
    subject = elem.find(f"{NS}subjectType")
    programmes = list(dict.fromkeys(r["programme"] for r in regulations))
    if len(programmes) > 1:
        warnings.append(f"entity {logical} is under several programmes {programmes}; regime = {programmes[0]}")
    published = sorted(r["publication_date"] for r in regulations if r["publication_date"])
    listed = elem.get("designationDate") or (published[0] if published else "")
    return DesignationRecord(
        eu_reference=elem.get("euReferenceNumber", ""), logical_id=logical,
        regime=programmes[0] if programmes else "", name=strong[0].get("wholeName", "") if strong else "",
        entity_type=subject.get("code", "") if subject is not None else "",
        listed_on=date.fromisoformat(listed) if listed else None,
        legal_basis="; ".join(dict.fromkeys(r["number_title"] for r in regulations)), locator=f"xpath:{where}",
        details={
            "aliases": aliases, "regulations": regulations, "programmes": programmes,
            "remarks": [r.text or "" for r in elem.iterchildren(f"{NS}remark")],
            "citizenships": [c.get("countryIso2Code", "") for c in elem.iterchildren(f"{NS}citizenship")],
            "birthdates": [b.get("birthdate") or b.get("year", "") for b in elem.iterchildren(f"{NS}birthdate")],
            "designation_date": elem.get("designationDate", ""), "united_nation_id": elem.get("unitedNationId", ""),
        })


def _regulation(reg, shared: dict) -> dict:
    """The regulation's fields; entities listed by the same act share one dict (memory)."""
    url = reg.find(f"{NS}publicationUrl")
    key = (tuple(reg.attrib.items()), url.text if url is not None else None)
    if key in shared:
        return shared[key]
    shared[key] = {
        "number_title": reg.get("numberTitle", ""), "type": reg.get("regulationType", ""),
        "programme": reg.get("programme", ""), "publication_date": reg.get("publicationDate", ""),
        "entry_into_force": reg.get("entryIntoForceDate", ""), "logical_id": reg.get("logicalId", ""),
        "url": (url.text or "").strip() if url is not None else "", "celex": celex(reg)}
    return shared[key]


def celex(reg) -> str:
    """CELEX of a regulation element: from its publication URL, else from its number (``celex.regulation``).

    The FSF lists regulations ("regulation" = the base act, "amendment" = an amending regulation), so
    the CELEX is read as a Regulation's (3YYYYRNNNN); other types get "".
    """
    if found := celex_numbers.IN_URL.search(reg.findtext(f"{NS}publicationUrl") or ""):
        return found.group(1)
    if reg.get("regulationType") not in ("regulation", "amendment"):
        return ""
    return celex_numbers.regulation(reg.get("numberTitle", ""), int((reg.get("publicationDate") or "0")[:4]))


def _notice(reg: dict, locator: str) -> NoticeRecord:
    oj = re.search(r"\((OJ [^)]*)\)", reg["number_title"])
    number = reg["number_title"].split(" (")[0]
    return NoticeRecord(reg["celex"] or number, "legal_act", reg["programme"], reg["number_title"],
                        date.fromisoformat(reg["publication_date"]) if reg["publication_date"] else None,
                        oj.group(1) if oj else "", reg["url"], locator)


def check(parsed: list[Parsed]) -> CheckResult:
    result = CheckResult()
    for p in (p for p in parsed if p.designations):
        excerpt = any("known_excerpt" in r.flags for r in p.records)
        least = 1 if excerpt else MIN_ENTITIES
        result.expect(len(p.designations) >= least, f"list of {p.reference_date}: at least {least} entities "
                      f"({len(p.designations)}{', known excerpt' if excerpt else ''})")
        for what in ("regime", "name", "entity_type"):
            missing = [d.logical_id for d in p.designations if not getattr(d, what)]
            result.expect(not missing, f"list of {p.reference_date}: every entity has a {what}"
                          + (f" (missing: {', '.join(missing[:10])})" if missing else ""))
    return result
