"""Eurostat Comext: the data browser's "relational view" CSV downloads (the EU side of the route).

Header ``REPORTER,PARTNER,PRODUCT,FLOW,STAT_PROCEDURE,PERIOD,VALUE_IN_EUR``; one row per reporter,
named in English with quoted notes ("Germany (incl. German Democratic Republic 'DD' from 1991)");
periods like ``Dec. 2022``; values in euros. The EU and euro-area totals are rows beside the member
states: they are flagged ``aggregate`` here and coded ``AGG-`` by the transform, never added to the
members; ``check`` verifies the EU-27 row equals the sum of the member states.

The download URL of a data-browser view is not kept with the file, so the recorded downloads are
fetched from the public copy they were taken from (replay/eurostat-comext/ORIGIN.md).
"""

from __future__ import annotations

import calendar
import csv
import io
import re
from datetime import date
from typing import Iterable

from extractors.base import (
    CheckResult, Document, FetchError, FetchOptions, LayoutChanged, Parsed, Record, SourceClient, SourceInfo,
)

SOURCE = SourceInfo(
    id="eurostat-comext",
    family="trade",
    publisher="Eurostat",
    name="Comext international trade in goods: data-browser downloads (EU exports by partner, in EUR)",
    homepage="https://ec.europa.eu/eurostat/comext/newxtweb/",
    licence="Eurostat copyright notice (reuse authorised, source acknowledged)",
    cadence="monthly",
    hosts=("raw.githubusercontent.com", "ec.europa.eu"),
    landing_urls=("https://ec.europa.eu/eurostat/databrowser/explore/all/tb_eu?lang=en&subtheme=ext",),
    parser_version="1",
)
_COPY = ("https://raw.githubusercontent.com/mary-lev/eu-export-sanctions/4b6a5df/"
         "data/kazakhstan_export_eurostat/Relational_View_2024-11-17T07_{}.csv")
DOWNLOADS = (_COPY.format("29_21.616Z"), _COPY.format("28_26.400Z"))  # EU exports to KZ, Dec 2021 / Dec 2022
HEADER = ["REPORTER", "PARTNER", "PRODUCT", "FLOW", "STAT_PROCEDURE", "PERIOD", "VALUE_IN_EUR"]
FLOWS = {"1-IMPORT": "M", "2-EXPORT": "X"}
MONTHS = {name: i for i, name in enumerate(calendar.month_abbr) if name}
AGGREGATE = re.compile(r"^(Euro area|European Union)\b")
EU27 = "European Union - 27 countries"
MIN_MEMBERS = 20


def fetch(client: SourceClient, options: FetchOptions) -> Iterable[Document]:
    for url in options.extra.get("comext_urls") or DOWNLOADS:
        try:
            yield client.get(url)
        except FetchError as exc:
            options.failures.append(f"Comext download: {url}: {exc.cause}")


def parse(doc: Document) -> Parsed:
    try:
        text = doc.content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LayoutChanged(doc.source_id, doc.url, f"not UTF-8 text: {exc}") from None
    reader = csv.reader(io.StringIO(text))
    header = next(reader, [])
    if header != HEADER:
        raise LayoutChanged(doc.source_id, doc.url, f"header is {header}, expected {HEADER}")
    records = [_row(doc, row, reader.line_num) for row in reader if row]
    if not records:
        raise LayoutChanged(doc.source_id, doc.url, "no data rows under the header")
    return Parsed(records=records)


def _row(doc: Document, row: list[str], line: int) -> Record:
    if len(row) != len(HEADER):
        raise LayoutChanged(doc.source_id, doc.url, f"line {line} has {len(row)} fields, not {len(HEADER)}")
    reporter, partner, product, flow, procedure, period, value = row
    if procedure != "T-Total" or flow not in FLOWS:
        raise LayoutChanged(doc.source_id, doc.url, f"line {line}: flow {flow!r} / procedure {procedure!r}; "
                            f"this parser reads {sorted(FLOWS)} with procedure 'T-Total'")
    start, end = _period(doc, period, line)
    flags = ("aggregate",) if AGGREGATE.match(reporter) else ()
    return Record("trade_value", reporter, start, end, _euros(doc, value, line), "EUR",
                  f"csv:row={line};col=VALUE_IN_EUR", partner=partner, commodity=product.split("-", 1)[0],
                  flow=FLOWS[flow], raw=value, flags=flags)


def _euros(doc: Document, text: str, line: int) -> float | None:
    if text.strip() in ("", ":"):
        return None  # Eurostat's missing / confidential marker
    if not re.fullmatch(r"-?\d+", text.strip()):
        raise LayoutChanged(doc.source_id, doc.url, f"line {line}: VALUE_IN_EUR {text!r} is not whole euros")
    return float(int(text))


def _period(doc: Document, text: str, line: int) -> tuple[date, date]:
    month = re.fullmatch(r"([A-Z][a-z]{2})[a-z]*\.? (\d{4})", text.strip())
    if month and month.group(1) in MONTHS:
        year, number = int(month.group(2)), MONTHS[month.group(1)]
        return date(year, number, 1), date(year, number, calendar.monthrange(year, number)[1])
    if re.fullmatch(r"\d{4}", text.strip()):
        return date(int(text), 1, 1), date(int(text), 12, 31)
    raise LayoutChanged(doc.source_id, doc.url, f"line {line}: PERIOD {text!r} is not 'Mon. YYYY' or 'YYYY'")


def check(parsed: list[Parsed]) -> CheckResult:
    result = CheckResult()
    for p in parsed:
        members = [r for r in p.records if "aggregate" not in r.flags]
        periods = sorted({r.period_end for r in p.records})
        result.expect(len(members) >= MIN_MEMBERS, f"{periods}: {len(members)} member-state rows >= {MIN_MEMBERS}")
        result.expect(all(r.value is None or r.value >= 0 for r in p.records), f"{periods}: no negative values")
        for eu in (r for r in p.records if r.geo.startswith(EU27)):
            same = [m.value or 0 for m in members if (m.period_end, m.partner, m.flow, m.commodity)
                    == (eu.period_end, eu.partner, eu.flow, eu.commodity)]
            result.expect(sum(same) == eu.value, f"{eu.period_end}: member states sum {sum(same):.0f} "
                          f"equals the EU-27 row {eu.value:.0f} ({eu.locator})")
    return result
