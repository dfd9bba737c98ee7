"""One row of a Comtrade data (or preview) response -> records, every field it relies on checked.

A row is one reporter/partner/flow/HS code/period. It yields ``trade_value`` (``primaryValue``, USD),
``trade_value_cif`` / ``trade_value_fob`` where given, ``net_weight`` (kg) and ``quantity`` (in the
row's own unit) where given. Geo and partner stay Comtrade's M49 numbers as text: the trade transform
maps them to ISO (transforms/codes_m49.py). The requests ask for totals over mode of transport,
customs procedure and second partner; a row broken down by any of them is a layout this parser does
not read (it would make two figures for one series).
"""

from __future__ import annotations

import calendar
import re
from datetime import date

from extractors.base import Document, LayoutChanged, Record
from extractors.comtrade_api import query_of
from extractors.jsonutil import need, pointer

TOTALS = {"motCode": 0, "partner2Code": 0, "customsCode": "C00"}
VALUES = (("primaryValue", "trade_value"), ("cifvalue", "trade_value_cif"), ("fobvalue", "trade_value_fob"))
# Every row field the parser relies on or checks; the rest is reported as unread.
READ = {"reporterCode", "partnerCode", "cmdCode", "flowCode", "primaryValue", "cifvalue", "fobvalue", "netWgt",
        "isNetWgtEstimated", "qty", "qtyUnitAbbr", "isQtyEstimated", "classificationCode", "isReported",
        "isAggregate", "legacyEstimationFlag", "freqCode", "period", *TOTALS}


def unread_fields(rows: list) -> list[str]:
    return sorted({k for row in rows if isinstance(row, dict) for k in row} - READ)


def row_records(doc: Document, row: dict, i: int, extra_flags: tuple[str, ...] = ()) -> list[Record]:
    path = ("data", i)
    _check_totals(doc, row, path)
    start, end = _period(doc, row, path)
    reporter, partner = (need(doc, row, k, path, int) for k in ("reporterCode", "partnerCode"))
    common = dict(geo=str(reporter), partner=str(partner), commodity=need(doc, row, "cmdCode", path, str),
                  flow=need(doc, row, "flowCode", path, str), flags=_flags(doc, row, path) + extra_flags)
    _check_requested(doc, row, path)
    if need(doc, row, "primaryValue", path) is None:
        raise LayoutChanged(doc.source_id, doc.url, f"{pointer(*path)[5:]}/primaryValue is null")
    records = [_record(doc, row, path, key, indicator, "USD", start, end, common)
               for key, indicator in VALUES if need(doc, row, key, path) is not None]
    if need(doc, row, "netWgt", path) is not None:
        records.append(_record(doc, row, path, "netWgt", "net_weight", "kg", start, end, common,
                               estimated=need(doc, row, "isNetWgtEstimated", path, bool)))
    if need(doc, row, "qty", path) is not None:
        unit = need(doc, row, "qtyUnitAbbr", path, str)
        records.append(_record(doc, row, path, "qty", "quantity", unit, start, end, common,
                               estimated=need(doc, row, "isQtyEstimated", path, bool)))
    return records


def _record(doc, row, path, key, indicator, unit, start, end, common, estimated=False) -> Record:
    value = row[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise LayoutChanged(doc.source_id, doc.url, f"{pointer(*path, key)[5:]} is {value!r}, not a number")
    flags = common["flags"] + (("estimated",) if estimated else ())
    return Record(indicator, common["geo"], start, end, float(value), unit, pointer(*path, key),
                  partner=common["partner"], commodity=common["commodity"], flow=common["flow"],
                  raw=repr(value), flags=flags)


def _flags(doc: Document, row: dict, path: tuple) -> tuple[str, ...]:
    flags = [f"classification={need(doc, row, 'classificationCode', path, str)}"]
    if not need(doc, row, "isReported", path, bool):
        flags.append("not_reported")  # estimated by UNSD, not as the reporter published it
    if need(doc, row, "isAggregate", path, bool):
        flags.append("aggregated_by_unsd")
    legacy = need(doc, row, "legacyEstimationFlag", path, int)
    if legacy:
        flags.append(f"legacy_estimation={legacy}")
    return tuple(flags)


def _check_totals(doc: Document, row: dict, path: tuple) -> None:
    for key, total in TOTALS.items():
        if need(doc, row, key, path) != total:
            raise LayoutChanged(doc.source_id, doc.url, f"{pointer(*path, key)[5:]} is {row[key]!r}: a "
                                f"breakdown, but the requests ask for totals ({key}={total!r})")


def _check_requested(doc: Document, row: dict, path: tuple) -> None:
    """A row for a reporter, partner or code the URL did not ask for means the answer is not ours."""
    query = query_of(doc.url)
    for param, key in (("reporterCode", "reporterCode"), ("partnerCode", "partnerCode"), ("cmdCode", "cmdCode")):
        asked = set(query[param].split(",")) if param in query else None
        if asked is not None and str(row[key]) not in asked:
            raise LayoutChanged(doc.source_id, doc.url, f"{pointer(*path, key)[5:]} is {row[key]!r}, "
                                f"not among the requested {query[param]}")


def _period(doc: Document, row: dict, path: tuple) -> tuple[date, date]:
    freq = need(doc, row, "freqCode", path, str)
    text = str(need(doc, row, "period", path))
    if freq == "A" and re.fullmatch(r"\d{4}", text):
        return date(int(text), 1, 1), date(int(text), 12, 31)
    if freq == "M" and re.fullmatch(r"\d{6}", text):
        year, month = int(text[:4]), int(text[4:])
        if 1 <= month <= 12:
            return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    raise LayoutChanged(doc.source_id, doc.url, f"{pointer(*path, 'period')[5:]} is {text!r} with "
                        f"freqCode {freq!r}: not a year (A) or YYYYMM month (M)")
