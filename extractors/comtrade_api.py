"""UN Comtrade API v1: which requests a run makes, how the key travels, and the bulk-file listing.

Limits (free subscription tier, as UN Comtrade documents them): 500 calls a day and at most 100,000
rows per data call; the keyless ``public/v1/preview`` endpoint returns at most 500 rows. Reporters,
partners, HS codes and periods are comma lists in one call (at most 12 periods), so a run batches
them; the per-host interval of extractors/http.py paces the calls. The subscription key is sent only
as the ``Ocp-Apim-Subscription-Key`` header, which the client never stores or logs; it is never put
in a URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterator, Sequence
from urllib.parse import parse_qsl, urlsplit

from extractors.base import Document, LayoutChanged
from extractors.client import full_url, recorded_urls
from extractors.jsonutil import load_json, need, pointer

HOST = "comtradeapi.un.org"
DATA = f"https://{HOST}/data/v1/get/C/{{freq}}/HS"
PREVIEW = f"https://{HOST}/public/v1/preview/C/{{freq}}/HS"
BULK = f"https://{HOST}/bulk/v1/get/C/{{freq}}/HS"
KEY_HEADER = "Ocp-Apim-Subscription-Key"
DATA_CAP, PREVIEW_CAP, MAX_PERIODS = 100_000, 500, 12
FLOWS_PER_PAIR = 4  # M, X, RM, RX: rows one reporter/partner/code/period can return
FIRST_YEAR = 2021  # default window: the last full year before the invasion onwards


def headers_for(key: Any) -> dict[str, str] | None:
    """The request header carrying the key (a pydantic SecretStr or None)."""
    return {KEY_HEADER: key.get_secret_value()} if key is not None else None


def is_preview(url: str) -> bool:
    return "/public/v1/preview/" in urlsplit(url).path


def is_bulk(url: str) -> bool:
    return "/bulk/v1/" in urlsplit(url).path


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def cap_of(url: str) -> int:
    """Rows a response to this URL can hold at most: a response reaching it may be cut short."""
    if is_preview(url):
        return PREVIEW_CAP
    return int(query_of(url).get("maxRecords", DATA_CAP))


def _chunks(items: Sequence, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield list(items[i:i + size])


def watch_plan(reporters: Sequence[int], partners: Sequence[int], hs_codes: Sequence[str],
               years: Sequence[int], keyed: bool) -> dict[str, list[str]]:
    """Data URLs (and, with a key, bulk listings) covering the watch list within the API's limits."""
    cap = DATA_CAP if keyed else PREVIEW_CAP
    per_reporter_year = max(1, len(partners) * len(hs_codes) * FLOWS_PER_PAIR)
    plan: dict[str, list[str]] = {"availability": [], "data": []}
    for period in _chunks(years, max(1, min(MAX_PERIODS, cap // per_reporter_year))):
        per_call = max(1, cap // (per_reporter_year * len(period)))
        for group in _chunks(reporters, per_call):
            plan["data"].append(data_url(group, partners, hs_codes, period, keyed))
            if keyed:  # the bulk listing needs a key too
                plan["availability"].append(full_url(BULK.format(freq="A"), {
                    "reporterCode": _join(group), "period": _join(period)}))
    return plan


def data_url(reporters, partners, hs_codes, years, keyed: bool, freq: str = "A") -> str:
    # Parameter order as the recorded request has it; totals over transport mode, customs procedure
    # and second partner, so one row per reporter/partner/code/flow/period.
    base = (DATA if keyed else PREVIEW).format(freq=freq)
    return full_url(base, {"cmdCode": _join(hs_codes), "partnerCode": _join(partners),
                           "reporterCode": _join(reporters), "period": _join(years), "motCode": "0",
                           "partner2Code": "0", "customsCode": "C00", "includeDesc": "TRUE"})


def _join(items) -> str:
    return ",".join(str(i) for i in items)


def default_years(start: date | None, end: date | None, today: date) -> list[int]:
    first = start.year if start else FIRST_YEAR
    last = end.year if end else today.year - 1
    return list(range(first, last + 1))


def recorded_plan(archive: Path) -> dict[str, list[str]]:
    """The requests a replay archive recorded, in its order: what a replay run with no watch list asks."""
    urls = recorded_urls(archive, "un-comtrade")
    data = [u for u in urls if not is_bulk(u) and "/files/v1/app/reference/" not in u]
    return {"availability": [u for u in urls if is_bulk(u)], "data": data}


@dataclass(frozen=True)
class BulkFile:
    reporter: int
    period: str
    classification: str
    published: datetime
    locator: str


def availability(doc: Document) -> list[BulkFile]:
    """The bulk listing's files with their publication dates; LayoutChanged if one lacks them."""
    body = load_json(doc)
    files = []
    for i, row in enumerate(need(doc, body, "data", (), list)):
        path = ("data", i)
        published = need(doc, row, "publicationDate", path, str)
        try:
            when = datetime.fromisoformat(published.replace("Z", "+00:00"))
        except ValueError:
            raise LayoutChanged(doc.source_id, doc.url, f"{pointer(*path)[5:]}/publicationDate is "
                                f"{published!r}, not a date") from None
        files.append(BulkFile(need(doc, row, "reporterCode", path, int), str(need(doc, row, "period", path)),
                              need(doc, row, "classificationCode", path, str), when,
                              pointer(*path, "publicationDate")))
    return files


def covered(files: Sequence[BulkFile], url: str) -> list[BulkFile]:
    """The listed files for the reporters and periods a data URL asks for."""
    query = query_of(url)
    reporters = {int(r) for r in query.get("reporterCode", "").split(",") if r}
    periods = set(query.get("period", "").split(","))
    return [f for f in files if f.reporter in reporters and f.period in periods]
