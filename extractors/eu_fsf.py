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
"""

from __future__ import annotations

import io
import re
from collections import Counter
from datetime import date, datetime
from typing import Iterable

from lxml import etree

from extractors import celex as celex_numbers
from extractors.base import (
    CheckResult, DesignationRecord, Document, FetchOptions, LayoutChanged, NoticeRecord, Parsed, Record,
    SourceClient, SourceInfo,
)

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
    parser_version="1",
)
FULL_LIST_URL = "https://webgate.ec.europa.eu/fsd/fsf/public/files/xmlFullSanctionsList_1_1/content"
NS = "{http://eu.europa.ec/fpi/fsd/export}"
ENTITY = f"{NS}sanctionEntity"
MIN_ENTITIES = 1000  # the live list has had > 6,000 since 2023
KNOWN_EXCERPTS = {"090a9e5ea4ce548683307d0ce8a00c4e2c9754e5826534516643f7d8b42fb756": "export 171703, entity 13"}
LN = "*[local-name()='{}']"
ALIAS_FIELDS = ("wholeName", "firstName", "middleName", "lastName", "gender", "title", "function", "nameLanguage",
                "strong")  # empty attributes are left out


def fetch(client: SourceClient, options: FetchOptions) -> Iterable[Document]:
    """The token the live URL needs is published in the FSF RSS feed; pass it as extra["fsf_token"]."""
    token = options.extra.get("fsf_token")
    yield client.get(options.extra.get("fsf_url", FULL_LIST_URL), params={"token": token} if token else None)


def parse(doc: Document) -> Parsed:
    out, notices, shared, context = Parsed(), {}, {}, etree.iterparse(
        io.BytesIO(doc.content), events=("end",), tag=ENTITY, resolve_entities=False, no_network=True,
        load_dtd=False, huge_tree=False, remove_comments=True, remove_pis=True)
    try:
        for _, elem in context:
            if not out.designations:
                out.reference_date, export = _export(doc, elem.getparent())
            out.designations.append(_entity(doc, elem, notices, shared, out.warnings))
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
