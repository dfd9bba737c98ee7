"""UNHCR Operational Data Portal, Ukraine refugee situation (situation view 54).

Two JSON endpoints: ``population/get/sublocation`` (one row per host country, numbers as strings)
and ``population/get/timeseries`` (one point per day, numbers as integers). The portal answers
them for a population group, and a group says what UNHCR measured (``GROUPS``):
- 5478 "Individual refugees from Ukraine recorded across Europe (cumulative)" (August 2022 copies):
  refugees recorded per host country at a date, and their Europe-wide total per day. A stock at a
  date: period = that date.
- 5460 (April 2022, host data2.unhcr.org): per host country, **border crossings from Ukraine since
  24 February 2022**, whatever the portal's label ("Ukrainian Asylum-seekers/applications
  cumulative") says: period = 2022-02-24 .. the row's date.
- 5457 (April 2022): **daily border crossings** into Ukraine's neighbours, a flow: period = the day.
  Its points add up to the 5460 rows' total, never to be read as a cumulative count.
A sublocation row names its group; a timeseries answer does not, so the group comes from the
request's ``population_group`` parameter (a file given without its URL is looked up by sha256 in
the replay archive by ``sanctrace parse``). A group not in ``GROUPS`` is refused by name.

Each row's ``published`` flag is kept as the figure's flag ``published=true|false``.
Discovery: the portal documents no listing of releases; each answer always holds the group's latest
figures (document-is-index), so a run GETs the four requests and conditional GET + sha256 skip what
did not change. A new date is a new period of the same indicator, never a revision of the old one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Iterable
from urllib.parse import parse_qs, urlsplit

from extractors.base import (
    LIVE_TESTED, Assertions, CheckResult, Discovery, Document, FetchOptions, LayoutChanged, Parsed, Record,
    SourceClient, SourceInfo,
)
from extractors.jsonutil import load_json, need, pointer

BASE = "https://data.unhcr.org/population/get"
BASE_2022 = "https://data2.unhcr.org/population/get"  # the portal's host in April 2022 (still UNHCR's)
SOURCE = SourceInfo(
    id="unhcr-ukraine-refugees",
    family="displacement",
    publisher="UNHCR",
    name="Ukraine Refugee Situation (Operational Data Portal)",
    homepage="https://data.unhcr.org/en/situations/ukraine",
    licence="UNHCR ODP terms of use",
    cadence="weekly",
    hosts=("data.unhcr.org", "data2.unhcr.org"),
    landing_urls=("https://data.unhcr.org/en/situations/ukraine",),
    parser_version="2",
    discovery=Discovery(
        kind="document-is-index",
        index_url=f"{BASE}/sublocation?widget_id=283575&sv_id=54&population_group=5459,5478",
        status=LIVE_TESTED,
        note=("The portal documents no listing of releases: each population/get answer always holds its "
              "population group's latest figures, so the four answers are their own index. Their parser is "
              "tested on real answers of both hosts (data2.unhcr.org, April 2022; data.unhcr.org, August 2022); "
              "what either host answers today is untested here (no internet). Conditional GET and sha256 skip "
              "an unchanged answer; a group the parser does not know fails loudly by its id."),
    ),
    assertions=Assertions(min_records=60, max_records=20_000, fill_rates=(("value", 1.0), ("geo", 1.0))),
)

WAR_BEGAN = date(2022, 2, 24)
STOCK, CUMULATIVE, DAILY = "stock at a date", "cumulative since 24 February 2022", "per day"
EUROPE = "Europe (UNHCR regional total)"
NEIGHBOURS = "Ukraine's neighbours (UNHCR regional total)"


@dataclass(frozen=True)
class Group:
    """A portal population group: what UNHCR measured, and where its total stands."""

    indicator: str
    kind: str  # STOCK | CUMULATIVE | DAILY
    total_geo: str  # the timeseries' geo (the region the group's total covers)
    min_countries: int  # a sublocation answer of this group lists at least this many host countries


GROUPS = {
    "5478": Group("refugees_from_ukraine_recorded", STOCK, EUROPE, 30),
    "5460": Group("border_crossings_from_ukraine_cumulative", CUMULATIVE, NEIGHBOURS, 7),
    "5457": Group("border_crossings_from_ukraine_daily", DAILY, NEIGHBOURS, 0),
}
# Per host country, the group whose timeseries holds its total, and how: the last point of a stock,
# or the sum of the daily flow up to the countries' date.
TOTALS = {"5478": "5478", "5460": "5457"}

# (base, endpoint, query): the four answers the source follows; August 2022 groups, then April 2022's.
REQUESTS = (
    (BASE, "sublocation", {"widget_id": "283575", "sv_id": "54", "population_group": "5459,5478",
                           "forcesublocation": "0", "fromDate": "1900-01-01"}),
    (BASE, "timeseries", {"widget_id": "283577", "sv_id": "54", "population_group": "5478",
                          "frequency": "day", "fromDate": "1900-01-01"}),
    (BASE_2022, "sublocation", {"widget_id": "283575", "sv_id": "54", "population_group": "5459,5460",
                                "forcesublocation": "0", "fromDate": "1900-01-01"}),
    (BASE_2022, "timeseries", {"widget_id": "283577", "sv_id": "54", "population_group": "5457",
                               "frequency": "day", "fromDate": "1900-01-01"}),
)

# Fields read, and fields deliberately not read (map display, ids and codes the group already states,
# attribution text). Anything else in an answer is reported in Parsed.unread.
TOP_FIELDS = {"situation_view_id", "situation_view_name", "situation_view_description", "data", "currentSeries"}
ROW_READ = {"geomaster_name", "date", "individuals", "population_group_id", "population_groups",
            "population_groups_concat", "published"}
ROW_SKIPPED = {"geomaster_id", "admin_level", "centroid_lon", "centroid_lat", "lat_max", "lon_max", "lat_min",
               "lon_min", "color", "numChildren", "month", "year", "individuals_type", "demography_type", "source",
               "households"}
SERIES_FIELDS = {"timeseries", "source"}
POINT_FIELDS = {"data_date", "unix_timestamp", "individuals"}


def fetch(client: SourceClient, options: FetchOptions) -> Iterable[Document]:
    for base, endpoint, query in REQUESTS:
        yield client.get(f"{base}/{endpoint}", params=query)


def parse(doc: Document) -> Parsed:
    body = load_json(doc)
    if not isinstance(body, dict):
        raise LayoutChanged(doc.source_id, doc.url, f"the answer is a JSON {type(body).__name__}, not an object")
    data = need(doc, body, "data", (), (list, dict))
    unread = sorted(f"/{k}" for k in set(body) - TOP_FIELDS)
    if isinstance(data, list):
        records = [_country(doc, row, i) for i, row in enumerate(data)]
        unread += _unread_rows(data)
        return Parsed(records=records, unread=sorted(set(unread)))
    series = need(doc, data, "timeseries", ("data",), list)
    group = _group(doc, _requested_group(doc))
    unread += [f"/data/{k}" for k in sorted(set(data) - SERIES_FIELDS)]
    unread += sorted({f"/data/timeseries/*/{k}" for p in series if isinstance(p, dict) for k in set(p) - POINT_FIELDS})
    return Parsed(records=[_point(doc, group, point, i) for i, point in enumerate(series)], unread=unread)


def _unread_rows(rows: list) -> list[str]:
    return sorted({f"/data/*/{k}" for row in rows if isinstance(row, dict)
                   for k in set(row) - ROW_READ - ROW_SKIPPED})


def _requested_group(doc: Document) -> str:
    groups = parse_qs(urlsplit(doc.url).query).get("population_group", [])
    if len(groups) != 1 or "," in groups[0]:
        raise LayoutChanged(doc.source_id, doc.url, "a timeseries answer does not name its population group and "
                            "the request's population_group parameter names one group; "
                            f"found {groups or 'none'} (give the request URL)")
    return groups[0]


def _group(doc: Document, group_id: str) -> Group:
    if group_id not in GROUPS:
        raise LayoutChanged(doc.source_id, doc.url, f"population group {group_id!r} is not one this parser knows "
                            f"({', '.join(sorted(GROUPS))}): what it measures must be named first")
    return GROUPS[group_id]


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


def _period(group: Group, day: date) -> tuple[date, date]:
    return (WAR_BEGAN, day) if group.kind == CUMULATIVE else (day, day)


def _country(doc: Document, row: dict, i: int) -> Record:
    path = ("data", i)
    name = need(doc, row, "geomaster_name", path, str)
    group_id = need(doc, row, "population_group_id", path, str)
    group = _group(doc, group_id)
    listed = {g.get("id") for g in need(doc, row, "population_groups", path, list) if isinstance(g, dict)}
    if group_id not in listed:
        raise LayoutChanged(doc.source_id, doc.url, f"{pointer(*path)[5:]}: population_group_id {group_id} is not "
                            f"among its population_groups {sorted(map(str, listed))}")
    published = need(doc, row, "published", path, bool)
    day = _day(doc, need(doc, row, "date", path), pointer(*path, "date"))
    raw = need(doc, row, "individuals", path)
    locator = pointer(*path, "individuals")
    start, end = _period(group, day)
    return Record(group.indicator, name, start, end, _count(doc, raw, locator), "persons", locator,
                  partner="UKR", raw=str(raw), flags=(f"published={str(published).lower()}",))


def _point(doc: Document, group: Group, point: dict, i: int) -> Record:
    path = ("data", "timeseries", i)
    day = _day(doc, need(doc, point, "data_date", path), pointer(*path, "data_date"))
    raw = need(doc, point, "individuals", path)
    locator = pointer(*path, "individuals")
    start, end = _period(group, day)
    return Record(group.indicator, group.total_geo, start, end, _count(doc, raw, locator), "persons", locator,
                  partner="UKR", raw=str(raw))


def check(parsed: list[Parsed]) -> CheckResult:
    """Per group: enough host countries; the countries add up to the group's total (the last point of a
    cumulative series, or the sum of a daily one up to the countries' date)."""
    result = CheckResult()
    records = [r for p in parsed for r in p.records]
    by_indicator: dict[str, list[Record]] = {}
    for r in records:
        by_indicator.setdefault(r.indicator, []).append(r)
    for group_id, total_id in TOTALS.items():
        group, total = GROUPS[group_id], GROUPS[total_id]
        countries = [r for r in by_indicator.get(group.indicator, []) if r.geo != group.total_geo]
        points = sorted((r for r in by_indicator.get(total.indicator, []) if r.geo == total.total_geo),
                        key=lambda r: r.period_end)
        if not countries and not points:
            continue  # that group's answers were not part of this run
        hosts = {r.geo for r in countries}
        result.expect(len(hosts) >= group.min_countries,
                      f"{group.indicator}: at least {group.min_countries} host countries ({len(hosts)})")
        result.expect(bool(points), f"{total.indicator}: the {total.total_geo} timeseries has points ({len(points)})")
        if countries and points:
            _compare(result, group, total, countries, points)
    unused = sorted(gid for gid, g in GROUPS.items() if g.indicator not in by_indicator)
    if records and unused:
        result.warnings.append(f"population groups known but in no answer of this run: {', '.join(unused)}")
    return result


def _compare(result: CheckResult, group: Group, total: Group, countries: list[Record], points: list[Record]) -> None:
    summed = sum(r.value or 0 for r in countries)
    newest = max(r.period_end for r in countries)
    if points[-1].period_end != newest:
        result.warnings.append(f"{group.indicator}: countries sum {summed:.0f} (newest {newest}) and the "
                               f"{total.indicator} timeseries (last {points[-1].period_end}) do not share a date")
        return
    if total.kind == DAILY:
        flow = sum(r.value or 0 for r in points)
        result.expect(summed == flow, f"{group.indicator}: countries sum {summed:.0f} equals the sum of "
                                      f"{len(points)} days of {total.indicator} {flow:.0f} to {newest}")
    else:
        result.expect(summed == points[-1].value, f"{group.indicator}: countries sum {summed:.0f} equals "
                                                  f"timeseries {points[-1].value:.0f} on {newest}")
