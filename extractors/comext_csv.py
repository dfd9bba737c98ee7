"""Comext CSV downloads, read by the meaning of their columns, whatever the download options.

The Data Browser writes its "relational view" CSV (and the API its SDMX-CSV) in several styles:
dimension values as labels ("EXPORT", "Germany (incl. ...)"), codes ("2", "DE") or both
("2-EXPORT", "TOTAL-Total"); fields quoted or bare; LF or CRLF line endings; header names in
upper or lower case ("REPORTER", "reporter", "REPORTER_LAB", "TIME_PERIOD"). A column is known by
its name's meaning (``COLUMNS``); a column of no known meaning fails the document, naming the
header, and columns known but not read (quantities, flags, the dataflow) are reported as unread.
"""

from __future__ import annotations

import calendar
import csv
import io
import re
from dataclasses import dataclass
from datetime import date

from extractors.base import Document, LayoutChanged, Parsed, Record

# meaning -> header name pattern (on the header upper-cased, non-alphanumerics as "_")
COLUMNS = {
    "reporter": r"REPORTER|DECLARANT",
    "partner": r"PARTNER",
    "product": r"PRODUCT(_NC|_HS|_CN)?|CN8|HS",
    "flow": r"FLOW",
    "procedure": r"STAT_PROCEDURE|STAT_REGIME|STATISTICAL_PROCEDURE",
    "period": r"PERIOD|TIME|TIME_PERIOD",
    "value": r"VALUE_IN_EUR(?:OS)?|OBS_VALUE",
    "indicator": r"INDICATORS?",
    "freq": r"FREQ|FREQUENCY",
}
# Known columns this parser does not read: reported in Parsed.unread.
NOT_READ = r"QUANTITY_IN_100KG|QUANTITY_IN_KG|SUPPLEMENTARY_QUANTITY|SUP_QUANTITY|OBS_FLAG|OBS_STATUS|DATAFLOW|LAST_UPDATE|CONF_STATUS"
NEEDED = ("reporter", "partner", "product", "flow", "period", "value")
_SUFFIX = r"(?:_(?:LAB|LABEL|LABELS|CODE|CODES))?"
FLOW_CODES = {"1": "M", "2": "X"}
FLOW_LABELS = {"IMPORT": "M", "IMPORTS": "M", "EXPORT": "X", "EXPORTS": "X"}
VALUE_INDICATORS = {"VALUE_IN_EUROS", "VALUE_IN_EUR"}
MONTHS = {name.upper(): i for i, name in enumerate(calendar.month_abbr) if name}
_BOTH = re.compile(r"\[?([0-9A-Z_]+)\]?\s*(?:-|:|\|)\s*(.*\S)")
AGGREGATE = re.compile(r"^(EU|EA)\d*(_\d+)?$|^(Euro area|European Union)\b|^[A-Z0-9_]+\s*(?:-|:)\s*(Euro area|European Union)\b")


@dataclass(frozen=True)
class Column:
    meaning: str
    index: int
    header: str
    form: str  # "label" | "code" | "any" (as the header says)


def is_csv(doc: Document) -> bool:
    head = doc.content[:200].lstrip(b"\xef\xbb\xbf").lstrip()
    return bool(head) and head[:1] not in (b"<", b"{", b"[") and head[:4] != b"PK\x03\x04"


def parse(doc: Document) -> Parsed:
    try:
        text = doc.content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LayoutChanged(doc.source_id, doc.url, f"not UTF-8 text: {exc}") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, [])
    columns, unread = _columns(doc, header)
    records, missing = [], 0
    for row in reader:
        if not any(field.strip() for field in row):
            continue
        record = _row(doc, columns, row, reader.line_num, len(header))
        if record is None:
            missing += 1
        else:
            records.append(record)
    if not records and not missing:
        raise LayoutChanged(doc.source_id, doc.url, "no data rows under the header")
    return Parsed(records=records, unread=unread, missing_marks=missing)


def _meaning(header: str) -> tuple[str, str] | None:
    name = re.sub(r"[^A-Z0-9]+", "_", header.upper()).strip("_")
    for meaning, pattern in COLUMNS.items():
        match = re.fullmatch(f"({pattern}){_SUFFIX}", name)
        if match:
            form = "label" if "_LAB" in name[len(match.group(1)):] else "code" if "_CODE" in name[len(match.group(1)):] else "any"
            return meaning, form
    return None


def _columns(doc: Document, header: list[str]) -> tuple[dict[str, Column], list[str]]:
    chosen: dict[str, Column] = {}
    unread, unknown = [], []
    for i, name in enumerate(header):
        found = _meaning(name)
        if found is None:
            (unread if re.fullmatch(NOT_READ, re.sub(r"[^A-Z0-9]+", "_", name.upper()).strip("_")) else unknown).append(name)
            continue
        meaning, form = found
        column = Column(meaning, i, name, form)
        if meaning in chosen:  # codes and labels in two columns: keep the code for products and flows,
            keep, other = _prefer(chosen[meaning], column)  # the label for countries (as the table maps)
            chosen[meaning] = keep
            unread.append(f"{other.header} (same as {keep.header})")
        else:
            chosen[meaning] = column
    missing = [m for m in NEEDED if m not in chosen]
    if unknown or missing:
        raise LayoutChanged(doc.source_id, doc.url, f"header is {header}: columns of no known meaning {unknown}, "
                            f"no column for {missing}")
    return chosen, unread


def _prefer(a: Column, b: Column) -> tuple[Column, Column]:
    want = "label" if a.meaning in ("reporter", "partner") else "code"
    return (b, a) if b.form == want and a.form != want else (a, b)


def _row(doc: Document, columns: dict[str, Column], row: list[str], line: int, width: int) -> Record | None:
    if len(row) != width:
        raise LayoutChanged(doc.source_id, doc.url, f"line {line} has {len(row)} fields, not {width}")
    get = lambda meaning: row[columns[meaning].index].strip() if meaning in columns else ""  # noqa: E731
    value = _euros(doc, get("value"), line)
    _check_total(doc, get("procedure"), line)
    if "indicator" in columns and get("indicator") not in VALUE_INDICATORS:
        raise LayoutChanged(doc.source_id, doc.url, f"line {line}: indicator {get('indicator')!r}; this parser reads {sorted(VALUE_INDICATORS)}")
    if "freq" in columns and get("freq") not in ("M", "Monthly", "A", "Annual"):
        raise LayoutChanged(doc.source_id, doc.url, f"line {line}: frequency {get('freq')!r}")
    flow, product = _flow(doc, get("flow"), line), _product(doc, get("product"), line)
    start, end = _period(doc, get("period"), line)
    if value is None:
        return None  # ':' not available: never a zero, never a row (counted)
    reporter = get("reporter")
    flags = ("aggregate",) if AGGREGATE.match(reporter) else ()
    return Record("trade_value", reporter, start, end, value, "EUR", f"csv:row={line};col={columns['value'].header}",
                  partner=get("partner"), commodity=product, flow=flow, raw=get("value"), flags=flags)


def split(text: str) -> tuple[str, str]:
    """'2-EXPORT' -> ('2', 'EXPORT'); 'EXPORT' -> ('', 'EXPORT'); '2' -> ('2', '')."""
    both = _BOTH.fullmatch(text)
    if both:
        return both.group(1), both.group(2)
    if re.fullmatch(r"[0-9]+", text):
        return text, ""
    return "", text


def _flow(doc: Document, text: str, line: int) -> str:
    code, label = split(text)
    if code in FLOW_CODES and (not label or FLOW_LABELS.get(label.upper()) == FLOW_CODES[code]):
        return FLOW_CODES[code]
    if not code and label.upper() in FLOW_LABELS:
        return FLOW_LABELS[label.upper()]
    raise LayoutChanged(doc.source_id, doc.url, f"line {line}: flow {text!r} is not an import or export "
                        "(1/2, IMPORT/EXPORT or 1-IMPORT/2-EXPORT)")


def _check_total(doc: Document, text: str, line: int) -> None:
    """Only the total over statistical procedures is read: a procedure alone is not the trade figure."""
    if not text:
        return
    code, label = split(text)
    total = {"T", "TOTAL"}
    if (code.upper() in total and label.upper() == "TOTAL") if code and label else (code or label).upper() in total:
        return
    raise LayoutChanged(doc.source_id, doc.url, f"line {line}: procedure {text!r}; this parser reads only the total "
                        "(T, Total or T-Total)")


def _product(doc: Document, text: str, line: int) -> str:
    code, label = split(text)
    if code:
        return code
    if label.upper() == "TOTAL":
        return "TOTAL"
    if re.fullmatch(r"[0-9A-Z_]+", label):
        return label
    tail = re.search(r"\[([0-9A-Z_]+)\]\s*$", label)
    if tail:
        return tail.group(1)
    raise LayoutChanged(doc.source_id, doc.url, f"line {line}: product {text[:80]!r} gives no product code")


def _euros(doc: Document, text: str, line: int) -> float | None:
    if text in ("", ":"):
        return None  # Eurostat's missing / confidential marker
    if not re.fullmatch(r"-?\d+(\.\d+)?", text):
        raise LayoutChanged(doc.source_id, doc.url, f"line {line}: value {text!r} is not a number of euros")
    return float(text)


def _period(doc: Document, text: str, line: int) -> tuple[date, date]:
    named = re.fullmatch(r"([A-Za-z]{3})[a-z]*\.? (\d{4})", text)
    numeric = re.fullmatch(r"(\d{4})(?:-|M)?(\d{2})", text)
    if named and named.group(1).upper() in MONTHS:
        year, number = int(named.group(2)), MONTHS[named.group(1).upper()]
    elif numeric and 1 <= int(numeric.group(2)) <= 12:
        year, number = int(numeric.group(1)), int(numeric.group(2))
    elif re.fullmatch(r"\d{4}", text):
        return date(int(text), 1, 1), date(int(text), 12, 31)
    else:
        raise LayoutChanged(doc.source_id, doc.url, f"line {line}: period {text!r} is not 'Mon. YYYY', YYYY-MM, "
                            "YYYYMM or YYYY")
    return date(year, number, 1), date(year, number, calendar.monthrange(year, number)[1])
