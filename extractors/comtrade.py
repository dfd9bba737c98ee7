"""UN Comtrade (API v1): what each national statistics office reports, mirrored by the UN.

``fetch`` first reads UN Comtrade's own reference lists (reporters, HS codes; conditional GET) and
checks the watch list (ISO alpha-3 reporters and partners, HS codes) against them before it requests
anything: a reporter, partner or code the publisher does not list refuses the run, naming each one.
It then runs a plan of requests (comtrade_api.py) built from the watch list, converting ISO codes to
Comtrade's area numbers with the publisher's reporter list, or the explicit ``Params.requests`` /
``Params.listings`` (a replay run replays what the archive recorded). With a key (``options.secrets
["comtrade_key"]``, sent only as a header) it reads the bulk-file listing first (discovery: the
``api-availability`` index) and fetches a data request only when it is new or a file it covers was
published since; without one it uses the keyless preview endpoint. ``parse`` reads data and preview
responses (one schema) into records located by JSON pointer and reports the row fields it does not
read; a listing or reference list yields no records. A response whose row count reaches the call's
cap is flagged ``possibly_incomplete`` and ``check`` fails the run with the URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Iterable, Iterator

from pydantic import Field

from extractors import comtrade_api as api, comtrade_reference as ref
from extractors.base import (
    Assertions, Candidate, CheckResult, Discovery, Document, FetchError, FetchOptions, LayoutChanged,
    LIVE_TESTED, Parsed, SanctraceError, SecretSpec, SourceClient, SourceInfo, SourceParams, WatchList,
)
from extractors.comtrade_rows import row_records, unread_fields
from extractors.discovery import get_or_report
from extractors.jsonutil import load_json, need

SOURCE = SourceInfo(
    id="un-comtrade",
    family="trade",
    publisher="United Nations Statistics Division (UN Comtrade)",
    name="UN Comtrade API v1: merchandise trade by reporter, partner, HS code and period",
    homepage="https://comtradeplus.un.org/",
    licence="UN Comtrade terms of use",
    cadence="monthly (reporters publish at their own pace)",
    hosts=(api.HOST,),
    landing_urls=("https://comtradeplus.un.org/", "https://comtradedeveloper.un.org/"),
    parser_version="2",
    discovery=Discovery(
        kind="api-availability", index_url=api.BULK.format(freq="A"), status=LIVE_TESTED,
        note="the bulk-file listing (needs the key) gives each reporter/period file's publicationDate; a "
             "data request is fetched when new or when a file it covers was published since (a candidate "
             "per data URL, version = the newest publicationDate it covers). Tested on the recorded listing "
             "(Argentina 1962). Without a key there is no listing: the preview requests are re-read each "
             "run (conditional GET). Reporters and HS codes are checked first against the publisher's "
             "Reporters.json and HS.json (recorded byte-exact, 2025-12-07)."),
    # Counts: a run that only re-reads the lists and the listing holds no figure (min 0); every
    # figure names its reporter, partner, flow and HS code.
    assertions=Assertions(min_records=0, max_records=2_000_000,
                          fill_rates=(("geo", 1.0), ("partner", 1.0), ("commodity", 1.0), ("flow", 1.0))),
    secrets=(SecretSpec("comtrade_key", env="SANCTRACE_COMTRADE_KEY", block="sanctrace-comtrade-key",
                        description="UN Comtrade subscription key (sent only as the Ocp-Apim-Subscription-Key "
                                    "header; without it the keyless preview endpoint is used)"),),
)
INCOMPLETE = "possibly_incomplete"


class Params(SourceParams):
    """UN Comtrade's run parameters. The watch list (reporters, partners, HS codes) comes from the
    settings or the trade run's parameters; these only replace the requests built from it."""

    requests: list[str] = Field(
        default_factory=list,
        description="Data URLs to request instead of those built from the watch list (a replay run "
                    "uses the requests the archive recorded). Never put the key in a URL.")
    listings: list[str] = Field(
        default_factory=list,
        description="Bulk-listing URLs to read with `requests` (they need the key); empty with "
                    "`requests` given means: fetch those requests without a listing.")
    check_reference: bool = Field(
        default=True,
        description="Read UN Comtrade's reporter and HS lists first and refuse a watch list they do not hold.")


class WatchListRefused(SanctraceError):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(f"[{SOURCE.id}] the watch list names what UN Comtrade's reference lists do not "
                         f"hold: {'; '.join(problems)} (nothing was requested)")


@dataclass(frozen=True)
class Watch:
    """The watch list in Comtrade's numbers, checked against the publisher's lists."""

    reporters: list[int]
    partners: list[int]
    hs_codes: list[str]


def fetch(client: SourceClient, options: FetchOptions) -> Iterable[Document]:
    params = options.params or Params()
    headers = api.headers_for(options.secrets.get("comtrade_key"))
    reporters, hs = ref.bundled(), None
    if params.check_reference:
        reporters, hs, docs = read_reference(client, options)
        yield from docs
    plan = _plan(params, options, reporters, hs, keyed=headers is not None)
    files, listed = [], True
    for url in plan["availability"]:
        listing = get_or_report(client, options, url, "Comtrade bulk listing", headers=headers)
        listed = listed and listing is not None
        if listing is not None:
            files += api.availability(listing)
            yield listing
    if not plan["availability"] or not listed:  # no listing, nothing to tell new from known: fetch all
        for url in plan["data"]:
            doc = get_or_report(client, options, url, "Comtrade data", headers=headers)
            if doc is not None:
                yield doc
        return
    yield from _discovered(client, options, headers, [_candidate(url, files) for url in plan["data"]])


def read_reference(client: SourceClient, options: FetchOptions) -> tuple[ref.Reporters, dict[str, str], list[Document]]:
    """The publisher's reporter and HS lists. A failed fetch of the reporters falls back to the shipped
    copy (reported); without the HS list the watch list cannot be checked, so the run stops."""
    docs, reporters = [], ref.bundled()
    doc = get_or_report(client, options, ref.REPORTERS_URL, "Comtrade reporter list (using the shipped copy)")
    if doc is not None:
        reporters = ref.read_reporters(doc)
        docs.append(doc)
    doc = get_or_report(client, options, ref.HS_URL, "Comtrade HS list")
    if doc is None:
        raise FetchError(SOURCE.id, ref.HS_URL, "without UN Comtrade's HS list the watch list cannot be checked")
    docs.append(doc)
    return reporters, ref.read_hs(doc), docs


def _plan(params: Params, options: FetchOptions, reporters: ref.Reporters, hs: dict | None,
          keyed: bool) -> dict[str, list[str]]:
    if params.requests:
        return {"availability": list(params.listings), "data": list(params.requests)}
    watch = check_watch(options.watch, reporters, hs)
    years = api.default_years(options.start, options.end, date.today())
    return api.watch_plan(watch.reporters, watch.partners, watch.hs_codes, years, keyed)


def check_watch(watch: WatchList, reporters: ref.Reporters, hs: dict[str, str] | None) -> Watch:
    """ISO codes -> Comtrade numbers; every reporter must be in the publisher's reporter list, every
    partner in it or the partner-area table, every HS code in the HS list. All problems are named."""
    if not watch.reporters or not watch.partners or not watch.hs_codes:
        raise WatchListRefused([f"it is incomplete ({watch})"])
    problems, found = [], {"reporters": [], "partners": []}
    for kind, codes in (("reporters", watch.reporters), ("partners", watch.partners)):
        for iso in codes:
            try:
                number = reporters.code_of(iso)
            except ref.UnknownArea:
                problems.append(f"{kind[:-1]} {iso!r} is in neither the reporter list nor the partner-area table")
                continue
            if kind == "reporters" and number not in reporters.areas:
                problems.append(f"reporter {iso!r} ({number}) is not in UN Comtrade's reporter list")
                continue
            found[kind].append(number)
    if hs is not None:
        problems += [f"HS code {code!r} is not in UN Comtrade's HS list" for code in watch.hs_codes if code not in hs]
    if problems:
        raise WatchListRefused(problems)
    return Watch(found["reporters"], found["partners"], list(watch.hs_codes))


def _candidate(url: str, files: list[api.BulkFile]) -> Candidate:
    """A data request; its version is the newest publication date of the listed files it covers."""
    covered = api.covered(files, url)
    newest = max((f.published for f in covered), default=None)
    return Candidate(url=url, key=url, version=newest.isoformat() if newest else "",
                     title=f"Comtrade data {api.query_of(url).get('reporterCode', '')} "
                           f"{api.query_of(url).get('period', '')}",
                     release_date=newest.date() if newest else None)


def _discovered(client: SourceClient, options: FetchOptions, headers, candidates: list[Candidate]) -> Iterator[Document]:
    log = options.discovery
    for c in log.select(candidates):
        if not client.has(c.url):
            log.no_copy.append(c.key)
            continue
        doc = get_or_report(client, options, c.url, "Comtrade data", headers=headers)
        if doc is not None:
            log.fetched.append((c, doc.sha256))
            yield doc


def replay_defaults(archive: Path) -> dict[str, Any]:
    """What a replay run asks for by default: the requests the archive recorded (not the watch list)."""
    plan = api.recorded_plan(archive)
    return {"requests": plan["data"], "listings": plan["availability"]}


def parse(doc: Document) -> Parsed:
    if ref.is_reference(doc.url) or _is_reference(doc):
        return _parse_reference(doc)
    body = load_json(doc)
    if api.is_bulk(doc.url) or _is_listing(body):
        if not api.availability(doc):
            raise LayoutChanged(doc.source_id, doc.url, "the bulk listing names no file")
        return Parsed()  # discovery only: it decides which data requests to make
    if need(doc, body, "error", ()) not in ("", None):
        raise LayoutChanged(doc.source_id, doc.url, f"the API answered with error {body['error']!r}")
    rows = need(doc, body, "data", (), list)
    count = need(doc, body, "count", (), int)
    if count != len(rows):
        raise LayoutChanged(doc.source_id, doc.url, f"count says {count} rows but data holds {len(rows)}")
    _check_areas(doc, rows)
    capped = len(rows) >= api.cap_of(doc.url)
    extra = (INCOMPLETE,) if capped else ()
    records = [r for i, row in enumerate(rows) for r in row_records(doc, row, i, extra)]
    warnings = [f"{doc.url}: {len(rows)} rows reach the cap of {api.cap_of(doc.url)} for this call: "
                "possibly incomplete; narrow the request (fewer reporters, codes or periods)"] if capped else []
    return Parsed(records=records, warnings=warnings, unread=unread_fields(rows))


def _check_areas(doc: Document, rows: list) -> None:
    """Every reporter and partner must map to ISO (publisher's list, else the partner-area table);
    one that does not fails the document naming the code and the name the row gives it."""
    for i, row in enumerate(rows):
        for key, desc in (("reporterCode", "reporterDesc"), ("partnerCode", "partnerDesc")):
            code = row.get(key) if isinstance(row, dict) else None
            if not isinstance(code, int):
                continue  # row_records reports the missing or mistyped field
            try:
                ref.bundled().iso_of(code)
            except ref.UnknownArea as exc:
                raise LayoutChanged(doc.source_id, doc.url, f"/data/{i}/{key} {code} "
                                    f"({row.get(desc)!r} in the row): {exc}") from None


def _is_reference(doc: Document) -> bool:
    """A reference list read from a saved file (``sanctrace parse``)."""
    body = load_json(doc)
    return isinstance(body, dict) and "results" in body and "data" not in body


def _parse_reference(doc: Document) -> Parsed:
    """Checked for layout; no figures. Reporters.json: the areas; HS.json: the codes."""
    if "reporterCodeIsoAlpha3" in doc.content[:4000].decode("utf-8", "replace") or doc.url.endswith("Reporters.json"):
        return Parsed(unread=list(ref.read_reporters(doc).unread))
    ref.read_hs(doc)
    return Parsed(unread=list(ref.hs_unread(doc)))


def _is_listing(body) -> bool:
    """A bulk listing read from a saved file (``sanctrace parse``), where no URL says what it is."""
    rows = body.get("data") if isinstance(body, dict) else None
    return bool(rows) and isinstance(rows[0], dict) and "fileUrl" in rows[0]


def check(parsed: list[Parsed]) -> CheckResult:
    result = CheckResult()
    values = [r for p in parsed for r in p.records if r.indicator == "trade_value"]
    if not values:
        result.warnings.append("no data response this run (the bulk listing shows nothing new)")
    negative = [r.locator for p in parsed for r in p.records if r.value is not None and r.value < 0]
    result.expect(not negative, f"no negative values ({negative[:5]})")
    for p in parsed:
        for warning in p.warnings:
            result.expect(False, warning)  # a capped response fails the run: never loaded as complete
    return result
