"""Find figures without SQL: filters checked against what exists, one query, streamed exports.

Every row carries its provenance (document URL, sha256, locator, parser version, cited URL), so an
exported slice can be cited figure by figure. Exports read the result in chunks (a server-side cursor
on PostgreSQL) and write each chunk before reading the next, so memory does not grow with the slice.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Iterator, Sequence

from sqlalchemy import Engine, String, cast, func, literal, or_, select
from sqlalchemy.sql import Select

from extractors import registry
from sanctrace.places import UnknownPlace, place_code
from warehouse import sightings
from warehouse.models import Observation, Series, Snapshot, Source

CHUNK = 20_000
FLOW_WORDS = {"export": "X", "exports": "X", "import": "M", "imports": "M", "turnover": "T", "total": "T"}
PERIOD = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")


class BadFilter(ValueError):
    """A filter naming something that does not exist (a source, a code, an impossible date)."""


@dataclass(frozen=True)
class Filters:
    """Checked filters: each tuple is "any of these"; empty means no filter."""

    sources: tuple[str, ...] = ()
    families: tuple[str, ...] = ()
    indicators: tuple[str, ...] = ()
    geos: tuple[str, ...] = ()
    partners: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    flows: tuple[str, ...] = ()
    start: date | None = None
    end: date | None = None
    text: str | None = None
    all_versions: bool = False
    limit: int | None = None
    ids: tuple[int, ...] = ()  # these observations only (a chart's caption cites the figures it drew)


@dataclass
class Wanted:
    """Filters as typed on the command line, before they are checked."""

    sources: Sequence[str] = ()
    families: Sequence[str] = ()
    indicators: Sequence[str] = ()
    geos: Sequence[str] = ()
    partners: Sequence[str] = ()
    products: Sequence[str] = ()
    flows: Sequence[str] = ()
    start: str | None = None
    end: str | None = None
    text: str | None = None
    all_versions: bool = False
    limit: int | None = None


# name in the output, column, Arrow type name (Parquet schema; fixed so every chunk matches)
COLUMNS = (
    ("observation_id", Observation.id, "int64"),
    ("value", Observation.value, "float64"),
    ("unit", Series.unit, "string"),
    ("published_value", Observation.raw, "string"),
    ("published_unit", Observation.published_unit, "string"),
    ("period_start", Observation.period_start, "date32"),
    ("period_end", Observation.period_end, "date32"),
    ("indicator", Series.indicator, "string"),
    ("geo", Series.geo, "string"),
    ("partner", Series.partner, "string"),
    ("commodity", Series.commodity, "string"),
    ("flow", Series.flow, "string"),
    ("source_id", Observation.source_id, "string"),
    ("family", Source.family, "string"),
    ("method", Observation.method, "string"),
    ("document_url", Snapshot.url, "string"),
    ("fetched_at", Snapshot.fetched_at, "timestamp"),
    ("vintage", Observation.vintage, "date32"),
    ("flags", Observation.flags, "string"),
    ("superseded_at", Observation.superseded_at, "timestamp"),
    ("sha256", Snapshot.sha256, "string"),
    ("locator", Observation.locator, "string"),
    ("parser_version", Observation.parser_version, "string"),
    ("cites_url", Observation.cites_url, "string"),
    ("first_seen_at", Observation.first_seen_at, "timestamp"),
    ("last_seen_at", sightings.last_seen_at(), "timestamp"),
    ("flow_run_id", Observation.flow_run_id, "string"),
)
NAMES = tuple(name for name, _, _ in COLUMNS)


# --- checking the filters -------------------------------------------------------------------------

def check(engine: Engine, wanted: Wanted) -> Filters:
    """Filters against what the warehouse and the code tables know; BadFilter names what is unknown."""
    known = _known(engine)
    start, end = parse_period(wanted.start, "--from")[0], parse_period(wanted.end, "--to")[1]
    if start and end and start > end:
        raise BadFilter(f"--from {wanted.start} is after --to {wanted.end}")
    return Filters(
        sources=_one_of("source", wanted.sources, known["sources"]),
        families=_one_of("family", wanted.families, known["families"]),
        indicators=_indicators(wanted.indicators, known["indicators"]),
        geos=_places("--geo", wanted.geos, known["places"]),
        partners=_places("--partner", wanted.partners, known["places"]),
        products=tuple(_product(p) for p in wanted.products),
        flows=tuple(_flow(f, known["flows"]) for f in wanted.flows),
        start=start, end=end, text=wanted.text, all_versions=wanted.all_versions, limit=wanted.limit)


def _known(engine: Engine) -> dict[str, set[str]]:
    modules = registry.modules().values()
    with engine.connect() as conn:
        sources = set(conn.execute(select(Source.id)).scalars())
        series = conn.execute(select(Series.indicator, Series.geo, Series.partner, Series.flow).distinct()).all()
    return {"sources": sources | {m.SOURCE.id for m in modules},
            "families": {m.SOURCE.family for m in modules},
            "indicators": {s.indicator for s in series},
            "places": {s.geo for s in series} | {s.partner for s in series if s.partner},
            "flows": {s.flow for s in series if s.flow}}


def _one_of(what: str, values: Sequence[str], known: set[str]) -> tuple[str, ...]:
    for value in values:
        if value not in known:
            raise BadFilter(f"unknown {what} {value!r}; known: {', '.join(sorted(known))}")
    return tuple(values)


def _indicators(values: Sequence[str], known: set[str]) -> tuple[str, ...]:
    """An indicator by its exact name, else every indicator it begins as a word of
    ('refugees' -> refugees_from_ukraine_recorded)."""
    found: list[str] = []
    for value in values:
        matches = [value] if value in known else sorted(k for k in known if k.startswith(value + "_"))
        if not matches:
            raise BadFilter(f"unknown indicator {value!r}; the warehouse holds: {', '.join(sorted(known)) or 'none'}")
        found += matches
    return tuple(found)


def _places(option: str, values: Sequence[str], stored: set[str]) -> tuple[str, ...]:
    try:
        return tuple(place_code(v, stored) for v in values)
    except UnknownPlace as exc:
        raise BadFilter(f"{option}: {exc}") from None


def _product(value: str) -> str:
    code = value.strip().replace(".", "")
    if code.upper() == "TOTAL":
        return "TOTAL"
    if not code.isdigit() or len(code) > 10:
        raise BadFilter(f"--product {value!r} is not an HS code or prefix (digits, e.g. 8542)")
    return code


def _flow(value: str, known: set[str]) -> str:
    code = FLOW_WORDS.get(value.lower(), value)
    if code not in known | set(FLOW_WORDS.values()):
        raise BadFilter(f"unknown flow {value!r}; use X (exports), M (imports), T (turnover)"
                        + (f" or one of {', '.join(sorted(known))}" if known else ""))
    return code


def parse_period(text: str | None, option: str = "period") -> tuple[date | None, date | None]:
    """'2022', '2022-08' or '2022-08-01' -> its first and last day; BadFilter for 2024-13-01."""
    if not text:
        return None, None
    match = PERIOD.fullmatch(text.strip())
    if not match:
        raise BadFilter(f"{option} {text!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)")
    year, month, day = (int(g) if g else None for g in match.groups())
    try:
        if day:
            return date(year, month, day), date(year, month, day)
        if month:
            following = date(year + month // 12, month % 12 + 1, 1)
            return date(year, month, 1), date.fromordinal(following.toordinal() - 1)
        return date(year, 1, 1), date(year, 12, 31)
    except ValueError as exc:
        raise BadFilter(f"{option} {text!r} is an impossible date ({exc})") from None


# --- the query ------------------------------------------------------------------------------------

def query(filters: Filters, columns=COLUMNS) -> Select:
    q = sightings.with_sightings(
        select(*(col.label(name) for name, col, _ in columns))
        .join_from(Observation, Series, Series.id == Observation.series_id)
        .join(Source, Source.id == Observation.source_id)
        .outerjoin(Snapshot, Snapshot.id == Observation.snapshot_id))
    for condition in _conditions(filters):
        q = q.where(condition)
    q = q.order_by(Observation.id)
    return q.limit(filters.limit) if filters.limit else q


def _conditions(f: Filters) -> list:
    pairs = ((f.sources, Observation.source_id), (f.families, Source.family), (f.indicators, Series.indicator),
             (f.geos, Series.geo), (f.partners, Series.partner), (f.flows, Series.flow))
    conditions = [column.in_(values) for values, column in pairs if values]
    if f.ids:
        conditions.append(Observation.id.in_(f.ids))
    if f.products:
        conditions.append(or_(*(Series.commodity.startswith(p, autoescape=True) for p in f.products)))
    if f.start:
        conditions.append(Observation.period_start >= f.start)
    if f.end:
        conditions.append(Observation.period_end <= f.end)
    if f.text:
        conditions.append(func.lower(_series_text()).contains(f.text.lower(), autoescape=True))
    if not f.all_versions:
        conditions.append(Observation.superseded_at.is_(None))
    return conditions


def _series_text():
    parts = (Series.indicator, Series.geo, Series.partner, Series.commodity, Series.flow, Series.unit)
    text = cast(parts[0], String)
    for part in parts[1:]:
        text = text + literal(" ") + part
    return text


def count(engine: Engine, filters: Filters) -> int:
    unlimited = Filters(**{**filters.__dict__, "limit": None})
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(query(unlimited).subquery())).scalar_one()


def chunks(engine: Engine, filters: Filters, size: int = CHUNK) -> Iterator[list[tuple]]:
    """The matching rows (in NAMES order), at most ``size`` at a time."""
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=size).execute(query(filters))
        for part in result.partitions(size):
            yield [tuple(row) for row in part]


def rows(engine: Engine, filters: Filters) -> list[dict[str, Any]]:
    return [dict(zip(NAMES, row)) for part in chunks(engine, filters) for row in part]


# --- exports --------------------------------------------------------------------------------------

def write_json(engine: Engine, filters: Filters, out) -> int:
    """One JSON object per line, every column."""
    n = 0
    for part in chunks(engine, filters):
        for row in part:
            out.write(json.dumps(dict(zip(NAMES, row)), ensure_ascii=False, default=_iso) + "\n")
        n += len(part)
    return n


def write_csv(engine: Engine, filters: Filters, path: Path) -> int:
    """Every column; floats as Python writes them (shortest text that reads back the same value)."""
    n = 0
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(NAMES)
        for part in chunks(engine, filters):
            writer.writerows([_iso(v) if isinstance(v, date) else v for v in row] for row in part)
            n += len(part)
    return n


def write_parquet(engine: Engine, filters: Filters, path: Path) -> int:
    """One row group per chunk, written as it is read."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = arrow_schema()
    n = 0
    with pq.ParquetWriter(path, schema) as writer:
        for part in chunks(engine, filters):
            columns = list(zip(*part)) if part else [()] * len(NAMES)
            writer.write_table(pa.Table.from_arrays(
                [pa.array(col, type=schema.field(i).type) for i, col in enumerate(columns)], schema=schema))
            n += len(part)
    return n


def arrow_schema():
    import pyarrow as pa

    types = {"int64": pa.int64(), "float64": pa.float64(), "string": pa.string(), "date32": pa.date32(),
             "timestamp": pa.timestamp("us", tz="UTC")}  # the warehouse keeps UTC; naive values are UTC
    return pa.schema([(name, types[kind]) for name, _, kind in COLUMNS])


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else str(value)


# --- for people -----------------------------------------------------------------------------------

def period_label(start: date, end: date) -> str:
    """2022-08-01, 2022-08 or 2022 where the period is exactly one day, month or year."""
    if start == end:
        return start.isoformat()
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year:
        return str(start.year)
    if start.day == 1 and parse_period(f"{start.year}-{start.month:02d}")[1] == end:
        return f"{start.year}-{start.month:02d}"
    return f"{start.isoformat()}..{end.isoformat()}"


def series_label(row: dict[str, Any]) -> str:
    label = f"{row['indicator']} {row['geo']}"
    if row["partner"]:
        label += f"->{row['partner']}"
    return " ".join(p for p in (label, row["commodity"], row["flow"]) if p)


def for_people(row: dict[str, Any], all_versions: bool = False) -> dict[str, Any]:
    shown = {
        "id": row["observation_id"], "value": row["value"], "unit": row["unit"],
        "published": f"{row['published_value']} {row['published_unit']}".strip(),
        "period": period_label(row["period_start"], row["period_end"]), "series": series_label(row),
        "source": row["source_id"], "fetched": row["fetched_at"].date() if row["fetched_at"] else None,
        "vintage": row["vintage"], "flags": row["flags"] or None,
    }
    if all_versions:
        shown["superseded"] = row["superseded_at"].date() if row["superseded_at"] else None
    shown["document"] = row["document_url"]  # last: the longest cell
    return shown
