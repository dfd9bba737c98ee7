"""IOM DTM Ukraine internal displacement estimates (General Population Survey), one workbook per round.

Discovery (``Discovery`` kind hdx-metadata): ``fetch`` reads the HDX dataset metadata (``package_show``),
yields it (it is where rounds 3 and 13 get their date; ``parse`` returns no records for it), lists every
resource as a ``Candidate`` (key = HDX resource id, version = its ``last_modified``: names change between
states of the dataset, see dtm_rounds.py) and fetches only new or changed ones (extractors/discovery.py),
each at its URL plus a fragment naming the HDX resource (dtm_rounds.with_hint). ``Params.rounds`` /
``Params.all_rounds`` fetch known rounds again. A round whose GET fails does not stop the others: it goes
into ``options.failures`` as "<resource name>: <url>: <cause>", which the run reports as a failure of the
source while the other rounds load; in replay a round with no recorded copy is reported as such.

``parse`` reads the tables of dtm_tables.py. The survey date is the workbook's own ``#date+reported``
where it has one (round 14), else the HDX resource name in the URL fragment, else the file name
(dtm_rounds.py); with none of them it raises LayoutChanged. Period = survey date..survey date;
``vintage`` = the resource's HDX last_modified date when known; flags carry ``round=N``. Sheets and
columns it does not read are listed in ``Parsed.unread``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from pydantic import Field

from extractors import hdx
from extractors.base import (
    LIVE_TESTED, Assertions, CheckResult, Discovery, Document, FetchError, FetchOptions, LayoutChanged, Parsed,
    Record, SourceClient, SourceInfo, SourceParams,
)
from extractors.client import recorded_urls
from extractors.discovery import fetch_candidates
from extractors.dtm_rounds import candidates, hint
from extractors.dtm_tables import MACRO_MEMBERS, PERSONS, SHARE, macro_key, oblast_table, region_table
from extractors.jsonutil import load_json
from extractors.sheets import headers_seen, load_workbook

__all__ = ["SOURCE", "Params", "check", "fetch", "parse", "recorded_params", "recorded_rounds", "replay_defaults"]

DATASET = "ukraine-idp-estimates"
SOURCE = SourceInfo(
    id="iom-dtm-idps",
    family="displacement",
    publisher="IOM Displacement Tracking Matrix",
    name="Ukraine internally displaced persons estimates (General Population Survey rounds)",
    homepage="https://data.humdata.org/dataset/ukraine-idp-estimates",
    licence="HDX dataset licence as stated in the metadata (IOM DTM terms of use)",
    cadence="per survey round (about quarterly)",
    # HDX serves the metadata and the uploaded rounds; rounds 1-9 are IOM's own published Google Sheets
    # (the publisher's channel, not a mirror).
    hosts=("data.humdata.org", "docs.google.com"),
    landing_urls=("https://data.humdata.org/dataset/ukraine-idp-estimates",),
    # 2: the early workbook is round 3 (17 April 2022), not round 4: re-parsing what a warehouse holds
    # closes the figures loaded under the round-4 label as withdrawn (issue 12).
    parser_version="2",
    discovery=Discovery(
        kind="hdx-metadata", index_url=f"{hdx.PACKAGE_SHOW}?id={DATASET}", status=LIVE_TESTED,
        note="one candidate per HDX resource: key = resource id, version = last_modified (names change "
             "between states); tested on the recorded metadata of 2022-05-12 (4 resources) and 2023-10-18 "
             "(14). Rounds 1, 2 and 4-12 have no recorded workbook: their layouts are untested."),
    assertions=Assertions(
        # An index-only run (no new round) holds no records, so no declared minimum: each round's own
        # minimums (oblast rows, the six macro-regions) are checked in check().
        min_records=0,
        max_records=14 * 200,  # about 130 figures per round today; far more means a misread layout
        fill_rates=(("vintage", 1.0), ("raw", 1.0), ("value", 0.9)),
    ),
)
MIN_OBLAST_ROWS = 24  # 24 oblasts are surveyed (not Crimea/Sevastopol), plus Kyiv city
MAX_PERSONS = 10_000_000


class Params(SourceParams):
    """IOM DTM run parameters: which known rounds to fetch again (new and changed rounds always are)."""

    rounds: list[int] = Field(
        default_factory=list,
        description="Survey rounds to fetch and load again even if the warehouse holds them at the same "
                    "HDX version, e.g. [3, 13] (after a parser fix). New rounds and rounds IOM re-uploaded "
                    "are always fetched. A round the HDX dataset does not list fails the run.")
    all_rounds: bool = Field(
        False, description="Fetch every round the HDX dataset lists again, not only new or changed ones.")
    only_rounds: list[int] = Field(
        default_factory=list,
        description="Restrict this run to these survey rounds (e.g. [3, 13, 14]); the other rounds the "
                    "dataset lists are left for a later run. Empty: every round.")


def fetch(client: SourceClient, options: FetchOptions) -> Iterable[Document]:
    meta = client.get(hdx.PACKAGE_SHOW, params={"id": DATASET})
    yield meta
    listed = candidates(hdx.resources(meta), DATASET)
    if not listed:
        raise LayoutChanged(SOURCE.id, meta.url, "the HDX dataset lists no resource")
    params = options.params or Params()
    by_round = {c.round: c.key for c in listed if c.round is not None}
    unknown = sorted(set(params.rounds + params.only_rounds) - set(by_round))
    if unknown:
        raise FetchError(SOURCE.id, meta.url, f"round(s) {unknown} requested but not listed; "
                         f"listed: {sorted(by_round)}")
    if params.only_rounds:
        listed = [c for c in listed if c.round in params.only_rounds]
    again = {c.key for c in listed} if params.all_rounds else {by_round[n] for n in params.rounds}
    yield from fetch_candidates(client, options, listed, again=again)


def recorded_rounds(archive: Path) -> list[int]:
    """The rounds a replay archive holds (from its manifest's URL fragments)."""
    urls = recorded_urls(archive, SOURCE.id)
    return sorted({n for n in (hint(url).number for url in urls if "#" in url) if n is not None})


def replay_defaults(archive: Path) -> dict[str, Any]:
    """A replay run needs no parameter: discovery fetches every new round the archive holds a copy of
    and reports the others as "no recorded copy"."""
    return {}


def recorded_params(archive: Path) -> dict[str, Any]:
    """Parameters that keep a *live* run to the rounds a replay archive recorded (the fault matrix serves
    only those as if live; any other round would be a dead link there)."""
    return {"only_rounds": recorded_rounds(archive)}


def parse(doc: Document) -> Parsed:
    if doc.content.lstrip()[:1] == b"{":
        if not hdx.is_package(load_json(doc)) or not hdx.resources(doc):
            raise LayoutChanged(doc.source_id, doc.url, "JSON but not an HDX dataset listing resources")
        return Parsed()  # discovery only: the rounds it lists are fetched as their own documents
    sheets, figures, warnings, unread = load_workbook(doc), [], [], []
    for name, rows in sheets.items():
        found = oblast_table(doc, name, rows, unread)
        found = region_table(doc, name, rows, unread) if found is None else found
        figures += found or []
        if found is None:
            unread.append(f"sheet {name!r} (no table this parser knows)")
    if not any(f.indicator == "idps" for f in figures):
        raise LayoutChanged(doc.source_id, doc.url, "no IDP table (HXL #affected+idp+ind or "
                            f"macro-region '# est.' column); found {headers_seen(sheets)}")
    given, stated = hint(doc.url), {f.day for f in figures if f.day}
    numbers = {f.round for f in figures if f.round is not None}
    if len(stated) > 1 or len(numbers) > 1:
        raise LayoutChanged(doc.source_id, doc.url, f"rows give several dates {stated} or rounds {numbers}")
    day = next(iter(stated), None) or given.survey_date
    if day is None:
        raise LayoutChanged(doc.source_id, doc.url, "no survey date: the workbook states none and "
                            f"the {given.said_by} gives none")
    number = next(iter(numbers), None) or given.number
    for what, ours, theirs in (("date", day, given.survey_date), ("round", number, given.number)):
        if theirs is not None and ours != theirs:
            warnings.append(f"the workbook's {what} {ours} differs from {theirs} in the {given.said_by}; "
                            "the workbook's is used")
    extra = (f"round={number}",) if number is not None else ()
    records = [Record(f.indicator, f.geo, day, day, f.value, f.unit, f.locator, raw=f.raw,
                      vintage=given.vintage, flags=f.flags + extra) for f in figures]
    return Parsed(records=records, warnings=warnings, reference_date=day, unread=unread)


def check(parsed: list[Parsed]) -> CheckResult:
    result = CheckResult()
    for p in (p for p in parsed if p.records):  # the metadata holds none; a run may bring no new round
        number = next((f[6:] for f in p.records[0].flags if f.startswith("round=")), "?")
        _check_round(result, p.records, f"round {number} ({p.reference_date})")
        result.warnings.extend(f"round {number}: {w}" for w in p.warnings)  # shown in the run's report
    return result


def _check_round(result: CheckResult, records: list[Record], label: str) -> None:
    def table(indicator: str, macro: bool) -> list[Record]:
        return [r for r in records if r.indicator == indicator and r.geo.startswith("macro-region|") == macro]

    oblasts, current, origin = table("idps", False), table("idps", True), table("idps_by_origin", True)
    if oblasts:
        result.expect(len(oblasts) >= MIN_OBLAST_ROWS, f"{label}: {len(oblasts)} oblast rows >= {MIN_OBLAST_ROWS}")
    for name, rows in (("by current location", current), ("by origin", origin)):
        if rows:
            seen = {macro_key(r.geo.split("|", 1)[1]) for r in rows}
            result.expect(set(MACRO_MEMBERS) <= seen, f"{label}: the six macro-regions {name} ({sorted(seen)})")
    bad = [r.locator for r in records if r.value is not None and not (
        0 <= r.value <= (1 if r.unit == SHARE else MAX_PERSONS))]
    result.expect(not bad, f"{label}: values within range ({len(bad)} outside: {bad[:5]})")
    _same_total(result, label, ("oblast IDPs", oblasts), ("macro-region IDPs by location", current))
    for region in MACRO_MEMBERS if oblasts and current else ():
        _same_total(result, label, (f"{region} oblasts' IDPs", [
            r for r in oblasts if r.geo.rpartition("|")[2] in MACRO_MEMBERS[region]]),
            (f"macro-region {region} IDPs", [r for r in current if macro_key(r.geo.split("|", 1)[1]) == region]))
    _same_total(result, label, ("macro-region IDPs by location", current), ("macro-region IDPs by origin", origin))
    for indicator in ("idps_share", "idps_by_origin_share"):
        shares = [r.value for r in records if r.indicator == indicator and r.value is not None]
        if shares:
            result.expect(abs(sum(shares) - 1) <= 0.005 * len(shares),
                          f"{label}: {indicator} parts sum to 1 ({sum(shares):.3f})")


def _same_total(result: CheckResult, label: str, *tables: tuple[str, list[Record]]) -> None:
    """Two tables that each split the same national IDP figure must add up alike (rounding allowed)."""
    (name_a, a), (name_b, b) = tables
    if not a or not b or not all(r.unit == PERSONS for r in a + b):
        return
    total_a, total_b = (sum(r.value or 0 for r in rows) for rows in (a, b))
    slack = 500 * (len(a) + len(b))
    result.expect(abs(total_a - total_b) <= slack,
                  f"{label}: {name_a} sum {total_a:.0f} matches {name_b} sum {total_b:.0f} (±{slack})")
