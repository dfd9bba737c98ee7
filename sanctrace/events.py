"""What a run tells the people watching it: Prefect events built from the run's per-source reports.

Plain functions of the report dicts (``SourceReport.as_dict()``), so they are tested without Prefect; the
flows emit what these return (flows/report.py ``announce``). One event per source and kind of news in a
run, never one per figure or document: a source that loaded three new releases sends one
``sanctrace.document.new`` listing them. A run that found nothing new sends nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

NEW_DOCUMENT = "sanctrace.document.new"
REVISED = "sanctrace.figures.revised"
NEW_NOTICE = "sanctrace.notice.new"
FAILED = "sanctrace.source.failed"
KINDS = (NEW_DOCUMENT, REVISED, NEW_NOTICE, FAILED)
RESOURCE_PREFIX = "sanctrace.source."
EXAMPLES = 5  # revised figures shown in full in an event; the count says how many there were
LISTED = 20  # documents or notices listed in an event (a backfill may load hundreds)
REASON_CHARS = 2000


@dataclass(frozen=True)
class RunEvent:
    event: str
    resource: dict[str, str]
    payload: dict[str, Any]
    related: list[dict[str, str]] = field(default_factory=list)


def run_events(reports: list[dict[str, Any]], flow_run_id: str | None = None,
               flow_run_name: str | None = None) -> list[RunEvent]:
    """Every event a run sends: per source, a failure, or its new documents, revisions and notices."""
    related = [flow_run_resource(flow_run_id, flow_run_name)] if flow_run_id else []
    return [e for report in reports for e in source_events(report, related)]


def source_events(report: dict[str, Any], related: list[dict[str, str]] | None = None) -> list[RunEvent]:
    """A source that failed part-way may still have loaded news (the documents that did arrive): both go out."""
    resource = source_resource(report)
    payloads = [(kind, build(report)) for kind, build in BUILDERS]
    return [RunEvent(kind, resource, payload, list(related or [])) for kind, payload in payloads if payload]


def source_resource(report: dict[str, Any]) -> dict[str, str]:
    return {"prefect.resource.id": f"{RESOURCE_PREFIX}{report['source_id']}",
            "prefect.resource.name": report["source_id"], "sanctrace.family": report.get("family", "")}


def flow_run_resource(flow_run_id: str, name: str | None) -> dict[str, str]:
    resource = {"prefect.resource.id": f"prefect.flow-run.{flow_run_id}", "prefect.resource.role": "flow-run"}
    return {**resource, "prefect.resource.name": name} if name else resource


def failed(report: dict[str, Any]) -> dict[str, Any] | None:
    if not report.get("failures"):
        return None
    reason = "; ".join(report["failures"])[:REASON_CHARS]
    return {**_about(report), "reason": reason, "failures": report["failures"][:EXAMPLES],
            "url": next(iter(report.get("urls") or []), ""),
            "summary": f"{report['source_id']} failed: {reason}"}


def new_documents(report: dict[str, Any]) -> dict[str, Any] | None:
    """The documents first loaded in this run (with their identity where an index gave one)."""
    docs = report.get("new_documents") or []
    if not docs:
        return None
    listed = [_plain(d) for d in docs[:LISTED]]
    names = ", ".join(_document_name(d) for d in listed[:EXAMPLES])
    return {**_about(report), "count": len(docs), "documents": listed, "url": listed[0]["url"],
            "summary": f"{report['source_id']}: {len(docs)} new document(s): {names}"}


def revised(report: dict[str, Any]) -> dict[str, Any] | None:
    """Revised figures (a later release or version restating a value), and withdrawn ones."""
    count, withdrawn = report.get("revised", 0), report.get("withdrawn", 0)
    if not (count or withdrawn):
        return None
    urls = report.get("document_urls") or {}
    changes = [c for c in report.get("changes", []) if c.get("action") in ("revised", "withdrawn")]
    changes.sort(key=lambda c: c.get("action") != "revised")  # revisions first, then withdrawals
    examples = [_example(c, urls) for c in changes[:EXAMPLES]]
    first = examples[0] if examples else {}
    return {**_about(report), "revised": count, "withdrawn": withdrawn, "examples": examples,
            "url": first.get("document_url", ""),
            "summary": f"{report['source_id']}: {count} figure(s) revised, {withdrawn} withdrawn"
                       + (f"; e.g. {first['series']} {first['period']}: {first['old_value']} -> "
                          f"{first['new_value']} ({first['document_url']})" if first else "")}


def new_notices(report: dict[str, Any]) -> dict[str, Any] | None:
    """New EU legal acts or press releases (a new sanctions package is announced by one)."""
    count = report.get("notices_new", 0)
    if not count:
        return None
    notices = [_plain(n) for n in (report.get("new_notices") or [])[:LISTED]]
    titles = "; ".join(n.get("title") or n["id"] for n in notices[:EXAMPLES])
    return {**_about(report), "count": count, "notices": notices,
            "url": notices[0].get("url", "") if notices else "",
            "summary": f"{report['source_id']}: {count} new notice(s): {titles}"}


BUILDERS = ((FAILED, failed), (NEW_DOCUMENT, new_documents), (REVISED, revised), (NEW_NOTICE, new_notices))


def _about(report: dict[str, Any]) -> dict[str, Any]:
    return {"source": report["source_id"], "family": report.get("family", "")}


def _example(change: dict[str, Any], urls: dict[str, str]) -> dict[str, Any]:
    series = "/".join(str(change[k]) for k in ("indicator", "geo", "partner", "commodity", "flow") if change.get(k))
    sha = change.get("snapshot_sha256") or ""
    return _plain({"change": change.get("action"), "series": series, "unit": change.get("unit"),
                   "period": f"{_iso(change.get('period_start'))}..{_iso(change.get('period_end'))}",
                   "old_value": change.get("cur_value"), "new_value": change.get("value"),
                   "locator": change.get("locator"), "sha256": sha, "document_url": urls.get(sha, "")})


def _document_name(doc: dict[str, Any]) -> str:
    for key, label in (("round", "round "), ("package", "package "), ("release_date", "released ")):
        if doc.get(key):
            return f"{label}{doc[key]}"
    return doc.get("title") or doc["url"]


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (date, datetime)) else value


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    """JSON-ready (dates as ISO text, decimals as floats), without empty identity fields."""
    out = {}
    for key, value in row.items():
        if isinstance(value, (Decimal, float)):
            value = float(f"{float(value):.15g}")  # thousand USD x 1000 leaves binary noise: 742202917.7399999
        if value is None and key not in ("old_value", "new_value"):
            continue
        if value == "" and key not in ("url", "document_url"):
            continue
        out[key] = _iso(value)
    return out
