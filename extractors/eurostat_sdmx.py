"""Eurostat's SDMX 2.1 REST API: structure-specific data messages, read by extractors/sdmx.py.

Each observation becomes a record: geo from the series key's ``geo`` (Eurostat's code; the trade
transform maps it), partner from ``partner`` where the dataset has one, the indicator named by the
dataset and the remaining key dimensions (``NAMA_10_GDP.na_item=B1GQ``), the unit from ``unit``,
period from ``TIME_PERIOD``, vintage = the message's ``Prepared`` date.

The recorded message is Eurostat's Luxembourg GDP, 2012-2015 (NAMA_10_GDP): the only SDMX response
recorded. The same API serves Comext by HS code (the watch list), but no such response is recorded,
so that query is not made (README, replay/eurostat-sdmx/ORIGIN.md).
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from typing import Iterable

from extractors import sdmx
from extractors.base import (
    CheckResult, Document, FetchError, FetchOptions, LayoutChanged, Parsed, Record, SourceClient, SourceInfo,
)

SOURCE = SourceInfo(
    id="eurostat-sdmx",
    family="trade",
    publisher="Eurostat",
    name="Eurostat SDMX 2.1 REST API (structure-specific data messages)",
    homepage="https://ec.europa.eu/eurostat/web/user-guides/data-browser/api-data-access/api-introduction",
    licence="Eurostat copyright notice (reuse authorised, source acknowledged)",
    cadence="per dataset release",
    hosts=("ec.europa.eu",),
    landing_urls=("https://ec.europa.eu/eurostat/api/dissemination/sdmx/2.1/",),
    parser_version="1",
)
API = "https://ec.europa.eu/eurostat/api/dissemination/sdmx/2.1/data"
FORMAT = "SDMX-ML_2.1_STRUCTURE_SPECIFIC"
QUERIES = (("NAMA_10_GDP", "A.CP_MEUR.B1GQ.LU", {"startPeriod": "2012", "endPeriod": "2015"}),)
UNITS = {"CP_MEUR": "million EUR", "EUR": "EUR", "KG": "kg"}  # Eurostat unit code -> published unit
NOT_IN_INDICATOR = {"geo", "partner", "unit", "freq"}


def fetch(client: SourceClient, options: FetchOptions) -> Iterable[Document]:
    for dataset, key, params in QUERIES:
        try:
            yield client.get(f"{API}/{dataset}/{key}", params={**params, "format": FORMAT})
        except FetchError as exc:
            options.failures.append(f"{dataset} {key}: {exc.url}: {exc.cause}")


def parse(doc: Document) -> Parsed:
    message = sdmx.read(doc)
    records = [_record(doc, message, obs) for obs in message.observations]
    return Parsed(records=records, reference_date=message.prepared.date())


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
    result.expect(bool(records), f"the messages hold observations ({len(records)})")
    bad = [r.locator for r in records if r.unit.endswith("EUR") and r.value is not None and r.value < 0]
    result.expect(not bad, f"money values are not negative ({bad[:3]})")
    return result
