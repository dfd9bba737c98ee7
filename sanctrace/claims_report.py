"""`check-claims` output: the text's date, a table for people, JSON lines, and markdown for a fact-check note."""

from __future__ import annotations

import calendar
import json
import re
from datetime import date
from typing import Any
from urllib.parse import unquote, urlparse

from sanctrace.claims_check import TextDate, Verdict
from sanctrace.table import render

NAME_DATE = re.compile(r"(?<!\d)((?:19|20)\d\d)-(\d\d)(?:-(\d\d))?(?!\d)")


def text_date(as_of: str | None, name: str | None) -> TextDate:
    """--as-of, else a date in the file's name (a month means its last day), else none: running totals
    are then checked against the latest figure held, and the output says so."""
    if as_of:
        return TextDate(date.fromisoformat(as_of), "--as-of")
    m = NAME_DATE.search(name or "")
    if m:
        year, month = int(m.group(1)), int(m.group(2))
        day = int(m.group(3)) if m.group(3) else calendar.monthrange(year, month)[1]
        return TextDate(date(year, month, day), f"the text's date taken from its file name, {m.group(0)}")
    return TextDate(None, "no --as-of given and no date in the file name: assumed the latest figure held")


def as_dict(v: Verdict) -> dict[str, Any]:
    c = v.claim
    return {"claim": c.text, "qualifier": c.qualifier, "kind": c.kind,
            "amounts": [{"value": a.value, "unit": a.unit or "count", "written": a.written, "step": a.step}
                        for a in c.amounts],
            "span": [c.start, c.end], "sentence": c.sentence, "what": v.subject.describe(),
            "subject": vars(v.subject), "when": {"kind": c.when.kind, "start": c.when.start, "end": c.when.end},
            "period": v.period, "verdict": v.verdict, "figures": v.figures, "difference": v.difference,
            "would_hold": v.would_hold, "context": v.context, "note": v.note}


def as_json(verdicts: list[Verdict]) -> str:
    return "\n".join(json.dumps(as_dict(v), ensure_ascii=False, default=str) for v in verdicts)


def as_table(verdicts: list[Verdict], as_of: TextDate) -> str:
    rows = [{"#": i, "claim": _claim(v), "what": v.subject.describe(), "when": _when(v), "verdict": v.verdict,
             "figure / would hold": _evidence(v), "context": _context(v)} for i, v in enumerate(verdicts, 1)]
    return f"text date: {as_of.day or '-'} ({as_of.said})\n" + render(rows) if rows else "no numeric claims found"


def as_markdown(verdicts: list[Verdict], as_of: TextDate) -> str:
    lines = [f"Text date: {as_of.day or 'not known'} ({as_of.said}).", "",
             "| # | claim | what | when | verdict | figure / would hold | context |", "|---|---|---|---|---|---|---|"]
    for i, v in enumerate(verdicts, 1):
        cells = [str(i), _claim(v), v.subject.describe(), _when(v), f"**{v.verdict}**", _evidence(v, md=True),
                 _context(v)]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def _claim(v: Verdict) -> str:
    text = v.claim.text + ("…)" if v.claim.text.count("(") > v.claim.text.count(")") else "")
    return f"{v.claim.qualifier} {text}".strip()


def _when(v: Verdict) -> str:
    when = v.claim.when
    if when.kind == "year":
        return str(when.start.year)
    if when.kind in ("date", "month"):
        return str(when.start) if when.kind == "date" else when.start.strftime("%Y-%m")
    return v.period.split(" (")[0]


def _evidence(v: Verdict, md: bool = False) -> str:
    if v.figures:
        shown = "; ".join(_figure(f, md) for f in v.figures)
        return f"{shown}; {v.difference}" if v.difference else shown
    held = "would be held by " + ", ".join(v.would_hold) if v.would_hold else ""
    return "; ".join(x for x in (held, v.note) if x)


def _figure(f: dict, md: bool) -> str:
    doc = f"[document]({f['document']})" if md and f.get("document") else _short(f.get("document") or "")
    note = f" ({f['note']})" if f.get("note") else ""
    return f"{f['value']:,.10g} {f['unit']} #{f['observation_id']} {f['source']} {f['period']} {doc}{note}".strip()


def _short(url: str) -> str:
    """A document's file name for the table (the full URL is in --json and --markdown)."""
    parsed = urlparse(url)
    name = unquote(parsed.path.rstrip("/").rsplit("/", 1)[-1])
    return f"{parsed.netloc}/…/{name}" if name else url


def _context(v: Verdict) -> str:
    return "; ".join(f.get("note", "") if "value" not in f else
                     f"{f['series']} {f['period']}: {f['value']:,.10g} {f['unit']} #{f['observation_id']}"
                     f" ({f.get('note', '')})" for f in v.context)
