"""UN Comtrade (API v1): what each national statistics office reports, mirrored by the UN.

``fetch`` runs a plan of requests (comtrade_api.py): ``extra["comtrade_plan"]`` when given (a replay
run with no watch list replays the requests the archive recorded), else one built from the watch
list (``extra["comtrade_watch"]``: Comtrade area numbers the trade flow derives from the ISO
watch list in the settings or the run's parameters). With a key it first reads the bulk-file
listing and skips a data request when nothing was published since the warehouse last fetched it;
without one it uses the keyless preview endpoint. ``parse`` reads data and preview responses (one schema) into records
located by JSON pointer; a bulk listing yields no records. A response whose row count reaches the
call's cap is flagged ``possibly_incomplete`` and ``check`` fails the run with the URL: it is never
loaded as if complete.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Iterable

from extractors import comtrade_api as api
from extractors.base import (
    CheckResult, Document, FetchError, FetchOptions, LayoutChanged, Parsed, SourceClient, SourceInfo,
)
from extractors.comtrade_rows import row_records
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
    parser_version="1",
)
INCOMPLETE = "possibly_incomplete"


def fetch(client: SourceClient, options: FetchOptions) -> Iterable[Document]:
    headers = api.headers_for(options.extra.get("comtrade_key"))
    plan = options.extra.get("comtrade_plan") or _watch_plan(options, keyed=headers is not None)
    files, listed = [], True
    for url in plan["availability"]:
        listing = _get(client, url, headers, options, "bulk listing")
        listed = listed and listing is not None
        if listing is not None:
            files += api.availability(listing)
            yield listing
    known = options.state.get("documents", {})
    for url in plan["data"]:
        # Without every listing we cannot tell what is new: download.
        if options.force or not listed or api.needs_download(files, url, known.get(url)):
            doc = _get(client, url, headers, options, "data")
            if doc is not None:
                yield doc


def _get(client: SourceClient, url: str, headers, options: FetchOptions, what: str) -> Document | None:
    """One request; a failure is reported (the URL never holds the key) and the others still run."""
    try:
        return client.get(url, headers=headers)
    except FetchError as exc:
        options.failures.append(f"Comtrade {what}: {url}: {exc.cause}")
        return None


def _watch_plan(options: FetchOptions, keyed: bool) -> dict[str, list[str]]:
    # The trade flow turns the watch list (ISO codes, settings defaults) into Comtrade's numbers.
    watch = options.extra.get("comtrade_watch")
    if not watch:
        raise FetchError(SOURCE.id, api.DATA.format(freq="A"), "no request plan: extra needs "
                         "'comtrade_watch' (built by the trade flow from the watch list) or 'comtrade_plan'")
    years = api.default_years(options.start, options.end, date.today())
    return api.watch_plan(watch["reporters"], watch["partners"], watch["hs_codes"], years, keyed)


def replay_extra(archive: Path) -> dict[str, Any]:
    """What a replay run asks for by default: the requests the archive recorded (not on the watch list)."""
    return {"comtrade_plan": api.recorded_plan(archive)}


def parse(doc: Document) -> Parsed:
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
    capped = len(rows) >= api.cap_of(doc.url)
    extra = (INCOMPLETE,) if capped else ()
    records = [r for i, row in enumerate(rows) for r in row_records(doc, row, i, extra)]
    warnings = [f"{doc.url}: {len(rows)} rows reach the cap of {api.cap_of(doc.url)} for this call: "
                "possibly incomplete; narrow the request (fewer reporters, codes or periods)"] if capped else []
    return Parsed(records=records, warnings=warnings)


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
