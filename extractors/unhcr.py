"""UNHCR Operational Data Portal, Ukraine refugee situation (situation view 54).

Two JSON endpoints: ``population/get/sublocation`` (refugees recorded per host country, numbers
as strings) and ``population/get/timeseries`` (the Europe-wide total per day, numbers as integers).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Iterable

from extractors.base import (
    CheckResult, Document, FetchOptions, LayoutChanged, Parsed, Record, SourceClient, SourceInfo,
)
from extractors.jsonutil import load_json, need, pointer

SOURCE = SourceInfo(
    id="unhcr-ukraine-refugees",
    family="displacement",
    publisher="UNHCR",
    name="Ukraine Refugee Situation (Operational Data Portal)",
    homepage="https://data.unhcr.org/en/situations/ukraine",
    licence="UNHCR ODP terms of use",
    cadence="weekly",
    hosts=("data.unhcr.org",),
    landing_urls=("https://data.unhcr.org/en/situations/ukraine",),
    parser_version="1",
)

BASE = "https://data.unhcr.org/population/get"
SUBLOCATION_QUERY = {
    "widget_id": "283575", "sv_id": "54", "population_group": "5459,5478",
    "forcesublocation": "0", "fromDate": "1900-01-01",
}
TIMESERIES_QUERY = {
    "widget_id": "283577", "sv_id": "54", "population_group": "5478",
    "frequency": "day", "fromDate": "1900-01-01",
}
INDICATOR = "refugees_from_ukraine_recorded"
EUROPE = "Europe (UNHCR regional total)"
MIN_COUNTRIES = 30


def fetch(client: SourceClient, options: FetchOptions) -> Iterable[Document]:
    yield client.get(f"{BASE}/sublocation", params=SUBLOCATION_QUERY)
    yield client.get(f"{BASE}/timeseries", params=TIMESERIES_QUERY)


def parse(doc: Document) -> Parsed:
    body = load_json(doc)
    data = need(doc, body, "data", ())
    if isinstance(data, list):
        return Parsed(records=[_country(doc, row, i) for i, row in enumerate(data)])
    series = need(doc, data, "timeseries", ("data",), list)
    return Parsed(records=[_point(doc, point, i) for i, point in enumerate(series)])


def _count(doc: Document, text: object, where: str) -> float:
    if isinstance(text, bool) or not isinstance(text, (int, str)):
        raise LayoutChanged(doc.source_id, doc.url, f"{where} is {text!r}, not a count")
    if isinstance(text, str) and not re.fullmatch(r"\d+", text):
        raise LayoutChanged(doc.source_id, doc.url, f"{where} is {text!r}, not a count")
    return float(int(text))


def _day(doc: Document, text: object, where: str) -> date:
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        raise LayoutChanged(doc.source_id, doc.url, f"{where} is {text!r}, not a date") from None


def _country(doc: Document, row: dict, i: int) -> Record:
    path = ("data", i)
    name = need(doc, row, "geomaster_name", path, str)
    day = _day(doc, need(doc, row, "date", path), pointer(*path, "date"))
    raw = need(doc, row, "individuals", path)
    locator = pointer(*path, "individuals")
    return Record(INDICATOR, name, day, day, _count(doc, raw, locator), "persons", locator,
                  partner="UKR", raw=str(raw))


def _point(doc: Document, point: dict, i: int) -> Record:
    path = ("data", "timeseries", i)
    day = _day(doc, need(doc, point, "data_date", path), pointer(*path, "data_date"))
    raw = need(doc, point, "individuals", path)
    locator = pointer(*path, "individuals")
    return Record(INDICATOR, EUROPE, day, day, _count(doc, raw, locator), "persons", locator,
                  partner="UKR", raw=str(raw))


def check(parsed: list[Parsed]) -> CheckResult:
    result = CheckResult()
    records = [r for p in parsed for r in p.records]
    countries = [r for r in records if r.geo != EUROPE]
    totals = sorted((r for r in records if r.geo == EUROPE), key=lambda r: r.period_end)
    hosts = {r.geo for r in countries}
    result.expect(len(hosts) >= MIN_COUNTRIES, f"at least {MIN_COUNTRIES} host countries ({len(hosts)})")
    result.expect(bool(totals), f"the Europe timeseries has points ({len(totals)})")
    if countries and totals:
        _compare_sum(result, countries, totals[-1])
    return result


def _compare_sum(result: CheckResult, countries: list[Record], latest: Record) -> None:
    total = sum(r.value or 0 for r in countries)
    newest = max(r.period_end for r in countries)
    if newest == latest.period_end:
        result.expect(total == latest.value,
                      f"countries sum {total:.0f} equals timeseries {latest.value:.0f} on {newest}")
    else:
        result.warnings.append(
            f"countries sum {total:.0f} (newest {newest}) and timeseries {latest.value:.0f} "
            f"({latest.period_end}) do not share a date")
