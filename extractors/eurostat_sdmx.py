"""Eurostat's SDMX 2.1 dissemination API: the datasets a run follows, found through the table of contents.

Discovery (``table-of-contents``): each run reads Eurostat's table of contents; a followed dataset's
"last update of data" is its version, so its queries are re-fetched only when that date moves.
The datasets and their queries are ``Params.datasets``; the default is on topic: temporary protection
granted to people from Ukraine (``migr_asytpfm``) and EU trade by SITC group with Russia and the transit
countries (``ext_st_eu27_2020sitc``). Each query is the documented SDMX 2.1 data query
``.../sdmx/2.1/data/{dataset}/{key}?format=SDMX_2.1_STRUCTURED&startPeriod=..&endPeriod=..``.

Too large: today's API answers HTTP 413 (EXTRACTION_TOO_BIG: "change your filters"), so the query is
narrowed (its period split in two, down to single years, then its first multi-value key position split
value by value) and each part requested; it may also answer asynchronously (a key): the run asks the
async status endpoint once and fetches the data when AVAILABLE, else reports it as pending (the dataset
stays unknown, so the next run asks again). The older service's footer code 413 names a file URL: the run
requests it. None of these answers is ever loaded as "no data": ``parse`` refuses them by name.

Each observation becomes a record: geo from the series key's ``geo`` (Eurostat's code; the trade
transform maps it), partner from ``partner`` where the dataset has one, the indicator named by the
dataset and the remaining key dimensions (``NAMA_10_GDP.na_item=B1GQ``), the unit from ``unit``,
period from ``TIME_PERIOD``, vintage = the message's ``Prepared`` date, locator = XPath by series key
and period. Only the NAMA_10_GDP message (Luxembourg's GDP) was recorded: it stays the parser's test.
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from pathlib import Path
from typing import Any, Iterable, Iterator

from pydantic import BaseModel, ConfigDict, Field

from extractors import eurostat_toc as toc, sdmx
from extractors.base import (
    Assertions, Candidate, CheckResult, Discovery, Document, FetchError, FetchOptions, LayoutChanged,
    LIVE_TESTED, Parsed, Record, SourceClient, OptionalText, SourceInfo, SourceParams,
)
from extractors.client import full_url

SOURCE = SourceInfo(
    id="eurostat-sdmx",
    family="trade",
    publisher="Eurostat",
    name="Eurostat SDMX 2.1 dissemination API (datasets followed through the table of contents)",
    homepage="https://ec.europa.eu/eurostat/web/user-guides/data-browser/api-data-access/api-introduction",
    licence="Eurostat copyright notice (reuse authorised, source acknowledged)",
    cadence="per dataset release (the table of contents is read daily)",
    hosts=("ec.europa.eu",),
    landing_urls=("https://ec.europa.eu/eurostat/api/dissemination/sdmx/2.1/", toc.URL),
    parser_version="2",
    discovery=Discovery(
        kind="table-of-contents", index_url=toc.URL, status=LIVE_TESTED,
        note="a followed dataset's \"last update of data\" is its version; its queries are re-fetched only "
             "when that date moves. Tested on the recorded tables of contents of April and August 2023. "
             "Untested against a real answer: the default queries of migr_asytpfm and "
             "ext_st_eu27_2020sitc (their key order follows each dataset's structure; not recorded), "
             "HTTP 413 narrowing and the asynchronous path (built from Eurostat's API documentation)."),
    assertions=Assertions(min_records=0, max_records=5_000_000,
                          fill_rates=(("geo", 1.0), ("unit", 1.0), ("locator", 1.0))),
)
API = "https://ec.europa.eu/eurostat/api/dissemination/sdmx/2.1/data"
ASYNC = "https://ec.europa.eu/eurostat/api/dissemination/1.0/async"
FORMAT = "SDMX_2.1_STRUCTURED"  # documented value of `format` for SDMX-ML 2.1 structure-specific data
UNITS = {"CP_MEUR": "million EUR", "EUR": "EUR", "KG": "kg", "PER": "persons", "MIO_EUR": "million EUR",
         "THS_EUR": "thousand EUR"}  # Eurostat unit code -> published unit
NOT_IN_INDICATOR = {"geo", "partner", "unit", "freq"}
MAX_PARTS = 64  # a query is never split into more requests than this


class Query(BaseModel):
    """One documented SDMX 2.1 data query of a dataset in the table of contents."""

    model_config = ConfigDict(extra="forbid")
    dataset: str = Field(description="Dataset code as in Eurostat's table of contents, e.g. migr_asytpfm")
    key: str = Field(default="", description="SDMX series key: dimension values in the order of the dataset's "
                     "structure, '.'-separated, '+' between several values, empty for all")
    start_period: OptionalText = Field(default="", description="startPeriod (e.g. 2022 or 2022-03); empty: "
                                       "from the first period")
    end_period: OptionalText = Field(default="", description="endPeriod; empty: to the last period")

    def url(self) -> str:
        params = {"format": FORMAT, "startPeriod": self.start_period, "endPeriod": self.end_period}
        return full_url(f"{API}/{self.dataset.upper()}/{self.key or 'all'}",
                        {k: v for k, v in params.items() if v})


DEFAULT_DATASETS = [
    # freq.unit.citizen.sex.age.geo: monthly decisions granting temporary protection to citizens of Ukraine,
    # all ages and sexes, every reporting country
    Query(dataset="migr_asytpfm", key="M.PER.UA.T.TOTAL.", start_period="2022-03"),
    # freq.indic_et.sitc06.partner.stk_flow.geo (order not checked against a recorded answer): EU-27
    # exports of all SITC goods to Russia and the transit countries, monthly value in million euros
    Query(dataset="ext_st_eu27_2020sitc", key="M.TRD_VAL.TOTAL.RU+KZ+KG+AM+GE+UZ+TR+AE+CN.EXP.EU27_2020",
          start_period="2021-01"),
]


class Params(SourceParams):
    datasets: list[Query] = Field(
        default_factory=lambda: [q.model_copy() for q in DEFAULT_DATASETS],
        description="The datasets this source follows and the query made for each when its \"last update "
                    "of data\" in Eurostat's table of contents moves.")


def fetch(client: SourceClient, options: FetchOptions) -> Iterable[Document]:
    params = options.params or Params()
    index = client.get(toc.URL)
    entries = toc.read(index)
    yield index
    pairs = []
    for query in params.datasets:
        entry = entries.get(query.dataset.lower())
        if entry is None:
            options.failures.append(f"{query.dataset}: not in Eurostat's table of contents ({toc.URL})")
            continue
        pairs.append((_candidate(query, entry), query, entry))
    wanted = {c.key: (q, e) for c, q, e in pairs}
    log = options.discovery
    for c in log.select(c for c, _, _ in pairs):
        if not client.has(c.url):
            log.no_copy.append(c.key)
            continue
        query, entry = wanted[c.key]
        failures = len(options.failures)
        docs = list(answered(client, options, query, entry))
        if len(options.failures) == failures:  # a part missing: the dataset stays unknown, asked again
            log.fetched += [(c, doc.sha256) for doc in docs]
        yield from docs


def _candidate(query: Query, entry: toc.Entry) -> Candidate:
    start, end = entry.period
    return Candidate(url=query.url(), key=f"{entry.code}/{query.key or 'all'}", version=entry.last_update.isoformat(),
                     title=entry.title, release_date=entry.last_update, dataset=entry.code,
                     period_start=start, period_end=end)


def answered(client: SourceClient, options: FetchOptions, query: Query, entry: toc.Entry,
             depth: int = 0) -> Iterator[Document]:
    """The data for a query: narrowed on HTTP 413, fetched through the async endpoint, or from the
    older service's file URL; what cannot be had is reported, never yielded as empty."""
    try:
        doc = client.get(query.url())
    except FetchError as exc:
        if exc.cause.startswith("HTTP 413") and depth < 6:
            parts = narrowed(query, entry)
            if parts:
                for part in parts:
                    yield from answered(client, options, part, entry, depth + 1)
                return
        options.failures.append(f"{query.dataset} {query.key}: {exc.url}: {exc.cause}")
        return
    kind = sdmx.answer(doc)
    if isinstance(kind, sdmx.Message):
        yield doc
    elif isinstance(kind, sdmx.Async):
        yield from _from_async(client, options, query, kind)
    else:
        yield from _from_file(client, options, query, kind)


def _from_async(client: SourceClient, options: FetchOptions, query: Query, pending: sdmx.Async) -> Iterator[Document]:
    status = pending.status
    if status != "AVAILABLE":
        try:
            status = sdmx.answer(client.get(f"{ASYNC}/status/{pending.key}")).status
        except (FetchError, LayoutChanged, AttributeError) as exc:
            options.failures.append(f"{query.dataset}: async status of {pending.key}: {exc}")
            return
    if status != "AVAILABLE":
        options.failures.append(f"{query.dataset} {query.key}: Eurostat is preparing it asynchronously (key "
                                f"{pending.key}, status {status}): the next run asks again")
        return
    yield from _data_or_failure(client, options, query, f"{ASYNC}/data/{pending.key}")


def _from_file(client: SourceClient, options: FetchOptions, query: Query, large: sdmx.TooLarge) -> Iterator[Document]:
    yield from _data_or_failure(client, options, query, large.file_url)


def _data_or_failure(client: SourceClient, options: FetchOptions, query: Query, url: str) -> Iterator[Document]:
    try:
        doc = client.get(url)
        if isinstance(sdmx.answer(doc), sdmx.Message):
            yield doc
            return
        options.failures.append(f"{query.dataset}: {url}: still not the data")
    except (FetchError, LayoutChanged) as exc:
        options.failures.append(f"{query.dataset}: {url}: {exc}")


def narrowed(query: Query, entry: toc.Entry) -> list[Query]:
    """The query split in two by period (years), or by the values of its first multi-value key
    position once one year remains; [] when it cannot be narrowed further."""
    first = _year(query.start_period or entry.data_start)
    last = _year(query.end_period or entry.data_end)
    if first and last and first < last:
        middle = (first + last) // 2
        return [query.model_copy(update={"start_period": str(a), "end_period": str(b)})
                for a, b in ((first, middle), (middle + 1, last))]
    positions = query.key.split(".")
    for i, values in enumerate(positions):
        if "+" in values:
            return [query.model_copy(update={"key": ".".join(positions[:i] + [v] + positions[i + 1:])})
                    for v in values.split("+")][:MAX_PARTS]
    return []


def _year(period: str | None) -> int | None:
    match = re.match(r"(\d{4})", period or "")
    return int(match.group(1)) if match else None


def replay_defaults(archive: Path) -> dict[str, Any]:
    """Replay: the query the archive recorded (NAMA_10_GDP, Luxembourg's GDP 2012-2015: the parser's
    test), followed through the recorded table of contents. The default datasets have no recorded
    answer; a run given them in replay reports each as "no recorded copy"."""
    return {"datasets": [RECORDED_GDP.model_dump()]}


RECORDED_GDP = Query(dataset="NAMA_10_GDP", key="A.CP_MEUR.B1GQ.LU", start_period="2012", end_period="2015")


def parse(doc: Document) -> Parsed:
    if toc.is_toc(doc):
        toc.read(doc)
        return Parsed(unread=list(toc.UNREAD))  # discovery only: no figures
    message = sdmx.read(doc)
    records = [_record(doc, message, obs) for obs in message.observations]
    return Parsed(records=records, reference_date=message.prepared.date(),
                  missing_marks=sum(1 for r in records if r.value is None))


def _record(doc: Document, message: sdmx.Message, obs: sdmx.Observation) -> Record:
    key = obs.key
    if "geo" not in key or key.get("unit") not in UNITS:
        raise LayoutChanged(doc.source_id, doc.url, f"{obs.locator}: series key {key} lacks a geo or a "
                            f"unit this parser knows ({sorted(UNITS)})")
    dims = ".".join(f"{k}={v}" for k, v in sorted(key.items()) if k not in NOT_IN_INDICATOR)
    start, end = _period(doc, obs)
    return Record(f"{message.dataset_id}.{dims}" if dims else message.dataset_id, key["geo"], start, end,
                  _decimal(doc, obs), UNITS[key["unit"]], obs.locator, partner=key.get("partner", ""),
                  raw=obs.value or "", vintage=message.prepared.date(),
                  flags=tuple(f"{k}={v}" for k, v in sorted(obs.attributes.items())))


def _decimal(doc: Document, obs: sdmx.Observation) -> float | None:
    if obs.value is None:
        return None
    if not re.fullmatch(r"-?\d+(\.\d+)?([eE][-+]?\d+)?", obs.value.strip()):
        raise LayoutChanged(doc.source_id, doc.url, f"{obs.locator}: OBS_VALUE {obs.value!r} is not a decimal")
    return float(obs.value)


def _period(doc: Document, obs: sdmx.Observation) -> tuple[date, date]:
    text = obs.period
    if re.fullmatch(r"\d{4}", text):
        return date(int(text), 1, 1), date(int(text), 12, 31)
    month = re.fullmatch(r"(\d{4})-(\d{2})", text)
    quarter = re.fullmatch(r"(\d{4})-Q([1-4])", text)
    if month and 1 <= int(month.group(2)) <= 12:
        year, first, last = int(month.group(1)), int(month.group(2)), int(month.group(2))
    elif quarter:
        year, first = int(quarter.group(1)), 3 * int(quarter.group(2)) - 2
        last = first + 2
    else:
        raise LayoutChanged(doc.source_id, doc.url, f"{obs.locator}: TIME_PERIOD {text!r} is not YYYY, YYYY-MM or YYYY-Qn")
    return date(year, first, 1), date(year, last, calendar.monthrange(year, last)[1])


def check(parsed: list[Parsed]) -> CheckResult:
    result = CheckResult()
    records = [r for p in parsed for r in p.records]
    if not records:  # sdmx.read refuses a data message without Obs: this is a run of the index only
        result.warnings.append("no data message this run (the table of contents shows nothing new)")
    bad = [r.locator for r in records if r.unit.endswith("EUR") and r.value is not None and r.value < 0]
    result.expect(not bad, f"money values are not negative ({bad[:3]})")
    return result
