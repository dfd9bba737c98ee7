"""IOM DTM Ukraine internal displacement estimates (General Population Survey), one workbook per round.

``fetch`` reads the HDX dataset metadata, picks rounds with ``select_rounds`` (dtm_rounds.py) and
GETs each at its URL plus a fragment naming the HDX resource (dtm_rounds.with_hint); the metadata
document is yielded too (it is where rounds 4 and 13 get their date; ``parse`` returns no records
for it). A round whose GET fails does not stop the others: it goes into ``options.failures`` as
"<resource name>: <url>: <cause>", which the run reports as a failure of the source while the
other rounds load.

``parse`` reads the tables of dtm_tables.py. The survey date is the workbook's own ``#date+reported``
where it has one (round 14), else the HDX resource name in the URL fragment, else the file name
(dtm_rounds.py); with none of them it raises LayoutChanged. Period = survey date..survey date;
``vintage`` = the resource's HDX last_modified date when known; flags carry ``round=N``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

from extractors import hdx
from extractors.base import (
    CheckResult, Document, FetchError, FetchOptions, LayoutChanged, Parsed, Record, SourceClient, SourceInfo,
)
from extractors.dtm_rounds import (
    hint, loaded_rounds, rounds_from_resources, select_rounds, with_hint,
)
from extractors.dtm_tables import MACRO_MEMBERS, PERSONS, SHARE, macro_key, oblast_table, region_table
from extractors.jsonutil import load_json
from extractors.sheets import headers_seen, load_workbook

__all__ = ["SOURCE", "check", "fetch", "parse", "recorded_rounds", "replay_extra", "select_rounds"]

SOURCE = SourceInfo(
    id="iom-dtm-idps",
    family="displacement",
    publisher="IOM Displacement Tracking Matrix",
    name="Ukraine internally displaced persons estimates (General Population Survey rounds)",
    homepage="https://data.humdata.org/dataset/ukraine-idp-estimates",
    licence="HDX dataset licence as stated in the metadata (IOM DTM terms of use)",
    cadence="per survey round (about quarterly)",
    hosts=("data.humdata.org", "docs.google.com"),
    landing_urls=("https://data.humdata.org/dataset/ukraine-idp-estimates",),
    parser_version="1",
)
DATASET = "ukraine-idp-estimates"
MIN_OBLAST_ROWS = 24  # 24 oblasts are surveyed (not Crimea/Sevastopol), plus Kyiv city
MAX_PERSONS = 10_000_000


def fetch(client: SourceClient, options: FetchOptions) -> Iterable[Document]:
    meta = client.get(hdx.PACKAGE_SHOW, params={"id": DATASET})
    yield meta
    rounds = rounds_from_resources(hdx.resources(meta))
    if not rounds:
        raise LayoutChanged(SOURCE.id, meta.url, "the HDX dataset lists no 'Round N' resource")
    try:
        chosen = select_rounds(rounds, loaded_rounds(options.state), options.extra.get("rounds"))
    except ValueError as exc:
        raise FetchError(SOURCE.id, meta.url, str(exc)) from None
    for round_ in chosen:
        try:
            doc = client.get(with_hint(round_.url, round_))
        except FetchError as exc:
            options.failures.append(f"{round_.name}: {round_.url}: {exc.cause}")
            continue
        yield doc


def recorded_rounds(archive: Path) -> list[int]:
    """The rounds a replay archive holds (from its manifest's URL fragments): what `make run` backfills."""
    manifest = Path(archive) / SOURCE.id / "manifest.json"
    if not manifest.exists():
        return []
    entries = json.loads(manifest.read_text("utf-8"))["entries"]
    return sorted({n for n in (hint(e["url"]).number for e in entries if "#" in e["url"]) if n is not None})


def replay_extra(archive: Path) -> dict[str, Any]:
    """What a replay run asks for by default: every round the archive holds, not only the newest."""
    return {"rounds": recorded_rounds(archive)}


def parse(doc: Document) -> Parsed:
    if doc.content.lstrip()[:1] == b"{":
        if not hdx.is_package(load_json(doc)) or not rounds_from_resources(hdx.resources(doc)):
            raise LayoutChanged(doc.source_id, doc.url, "JSON but not an HDX dataset listing rounds")
        return Parsed()  # discovery only: the rounds it lists are fetched as their own documents
    sheets, figures, warnings = load_workbook(doc), [], []
    for name, rows in sheets.items():
        found = oblast_table(doc, name, rows)
        found = region_table(doc, name, rows) if found is None else found
        figures += found or []
        if found is None:
            warnings.append(f"sheet {name!r} holds no table this parser knows; not read")
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
    return Parsed(records=records, warnings=warnings, reference_date=day)


def check(parsed: list[Parsed]) -> CheckResult:
    result = CheckResult()
    rounds = [p for p in parsed if p.records]
    result.expect(bool(rounds), f"at least one round holds figures ({len(rounds)})")
    for p in rounds:
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
