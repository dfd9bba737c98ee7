"""Uzbekistan, Statistics Agency under the President: foreign trade by partner country (SIAT open data).

The Agency's SIAT system serves each table as ``sdmx_data_<id>.csv`` (and .json/.xlsx/.xml): UTF-8 with a
BOM, header ``Code,Klassifikator,Klassifikator_ru,Klassifikator_en,<year>,...``, one row per partner: its
UN M49 code, its names in Uzbek, Russian and English, then one value per year. The file states neither
its unit nor its flow: the values are **thousand USD** (inferred, see replay/uz-stat-trade/ORIGIN.md; every
figure is flagged ``unit=inferred``) and the flow comes from the table id (1105 exports, 1176 imports).
Partners stay M49 codes here; the trade transform maps them to ISO. No publication date either (see
``stat_tables.inferred_vintage``).

Discovery: each table's SIAT JSON carries metadata with its last change ("Дата последнего изменения");
the CSV is fetched when that date moves. Known from a third party's working code, never recorded: a JSON
of any other shape raises LayoutChanged. Only the exports CSV was ever recorded; imports are live only.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Iterable

from pydantic import Field

from extractors.base import (
    LIVE_UNTESTED, Assertions, Candidate, CheckResult, Discovery, Document, FetchOptions, LayoutChanged,
    Parsed, Record, SourceClient, SourceInfo, SourceParams,
)
from extractors.client import recorded_urls
from extractors.discovery import fetch_candidates, fetch_named
from extractors.stat_tables import inferred_vintage, year_period

SIAT = "https://api.siat.stat.uz/media/uploads/sdmx/"
TABLES = {"1105": "X", "1176": "M"}  # SIAT table id -> flow (the file does not say which it holds)
SOURCE = SourceInfo(
    id="uz-stat-trade",
    family="trade",
    publisher="Statistics Agency under the President of the Republic of Uzbekistan",
    name="Foreign trade by partner country (SIAT open data tables 1105 exports, 1176 imports)",
    homepage="https://stat.uz/",
    licence="Statistics Agency open data terms",
    cadence="annual",
    hosts=("api.siat.stat.uz",),
    landing_urls=("https://stat.uz/en/official-statistics/merchandise-trade",),
    parser_version="1",
    discovery=Discovery(
        kind="api-availability", index_url=f"{SIAT}sdmx_data_1105.json", status=LIVE_UNTESTED,
        note="each table's SIAT JSON (sdmx_data_1105.json exports, sdmx_data_1176.json imports) states its last "
             "change in its metadata; a table is identified by its id, its "
             "version is that date. Untested: no JSON answer was recorded, and the imports table 1176 has no "
             "recording at all (its live path is tested only up to the request it makes)."),
    assertions=Assertions(min_records=2_000, max_records=10_000, fill_rates=(("partner", 1.0), ("value", 0.9))),
)


class Params(SourceParams):
    documents: list[str] = Field(
        default_factory=list,
        description="SIAT CSV files to fetch directly (https://api.siat.stat.uz/media/uploads/sdmx/"
                    "sdmx_data_<id>.csv, id 1105 or 1176), skipping the metadata. Empty: both tables, fetched "
                    "when their metadata's last change moves.")


HEADER = ["Code", "Klassifikator", "Klassifikator_ru", "Klassifikator_en"]
UNREAD = ["Klassifikator (Uzbek names)", "Klassifikator_ru (Russian names)"]
REPORTER, INDICATOR, UNIT, COMMODITY = "860", "trade_value", "thousand USD", "TOTAL"  # 860: M49 Uzbekistan
FLAGS = ("unit=inferred",)
UPDATED = "Дата последнего изменения"
MISSING = ("", "-")
_TABLE = re.compile(r"sdmx_data_(\d+)\.csv$")  # the SIAT name, also in a saved copy's file name


def replay_defaults(archive: Path) -> dict:
    """Replay has no recorded metadata: it names the recorded CSV."""
    return {"documents": recorded_urls(archive, SOURCE.id)}


def fetch(client: SourceClient, options: FetchOptions) -> Iterable[Document]:
    params = options.params or Params()
    if params.documents:
        yield from fetch_named(client, options, params.documents, "named document")
        return
    yield from fetch_candidates(client, options, [table_candidate(client, table) for table in TABLES])


def table_candidate(client: SourceClient, table: str) -> Candidate:
    doc = client.get(f"{SIAT}sdmx_data_{table}.json")
    try:
        body = json.loads(doc.content.decode("utf-8-sig"))
    except ValueError as exc:
        raise LayoutChanged(doc.source_id, doc.url, f"not JSON: {exc}") from None
    body = body[0] if isinstance(body, list) and body else body
    meta = body.get("metadata") if isinstance(body, dict) else None
    meta = meta if isinstance(meta, list) else []
    stated = {m.get("name_ru"): m.get("value_ru") for m in meta if isinstance(m, dict)}
    if not stated.get(UPDATED):
        raise LayoutChanged(doc.source_id, doc.url, f"no metadata entry {UPDATED!r} (metadata names: "
                            f"{sorted(k for k in stated if k)[:12]})")
    return Candidate(url=f"{SIAT}sdmx_data_{table}.csv", key=f"sdmx_data_{table}", version=str(stated[UPDATED]),
                     title=str(stated.get("Имя индикатора") or f"SIAT table {table}"), dataset=table)


def _rows(doc: Document) -> list[list[str]]:
    try:
        rows = list(csv.reader(io.StringIO(doc.content.decode("utf-8-sig"))))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise LayoutChanged(doc.source_id, doc.url, f"not a UTF-8 CSV: {exc}") from None
    if not rows or rows[0][:4] != HEADER or not all(re.fullmatch(r"\d{4}", y) for y in rows[0][4:]) \
            or len(rows[0]) < 5:
        raise LayoutChanged(doc.source_id, doc.url, f"header is not {','.join(HEADER)},<years>: "
                            f"{(rows[0] if rows else [])[:8]}")
    return rows


def partner_names(doc: Document) -> dict[str, str]:
    """M49 code -> the Agency's English name, so a code no table knows is reported by name."""
    return {row[0]: row[3] for row in _rows(doc)[1:] if len(row) > 3}


def parse(doc: Document) -> Parsed:
    found = _TABLE.search(doc.url.split("?")[0])
    if not found or found.group(1) not in TABLES:
        raise LayoutChanged(doc.source_id, doc.url, f"not one of the SIAT tables {sorted(TABLES)}: its flow "
                            "(exports or imports) is unknown, since the file does not state it")
    rows, flow = _rows(doc), TABLES[found.group(1)]
    years = {col: int(y) for col, y in enumerate(rows[0]) if col >= 4}
    vintage, inferred = inferred_vintage(max(years.values()))
    records, missing = [], 0
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(rows[0]) or not row[0].isdigit():
            raise LayoutChanged(doc.source_id, doc.url, f"line {line}: {len(row)} fields, code {row[:1]}; "
                                f"expected {len(rows[0])} fields and an M49 code")
        for col, year in years.items():
            raw = row[col].strip()
            if raw in MISSING:
                missing += 1
                continue
            records.append(Record(INDICATOR, REPORTER, *year_period(year), _number(doc, raw, line, year), UNIT,
                                  f"csv:row={line};col={year}", partner=row[0], commodity=COMMODITY, flow=flow,
                                  raw=raw, vintage=vintage, flags=FLAGS + inferred))
    if not records:
        raise LayoutChanged(doc.source_id, doc.url, "no values under the year columns")
    return Parsed(records=records, unread=list(UNREAD), missing_marks=missing)


def _number(doc: Document, raw: str, line: int, year: int) -> float:
    try:
        return float(raw)
    except ValueError:
        raise LayoutChanged(doc.source_id, doc.url, f"line {line}, {year}: {raw!r} is not a number") from None


def check(parsed: list[Parsed]) -> CheckResult:
    """Russia (643) has a value for every year of each table, and each table has at least 150 partners."""
    result = CheckResult()
    for p in parsed:
        years = {r.period_start.year for r in p.records}
        russia = {r.period_start.year for r in p.records if r.partner == "643"}
        partners = {r.partner for r in p.records}
        result.expect(russia == years, f"Russia (643) has a value for every year (missing {sorted(years - russia)})")
        result.expect(len(partners) >= 150, f"at least 150 partners ({len(partners)})")
    return result
