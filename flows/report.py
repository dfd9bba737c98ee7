"""What a person reads after a run: Prefect artifacts and a plain-text summary table."""

from __future__ import annotations

from typing import Any

from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.events import emit_event
from prefect.logging import get_run_logger
from prefect.runtime import flow_run

from sanctrace.events import run_events

COLUMNS = ("source", "found", "new docs", "changed", "known", "no copy", "docs", "304", "new", "unchanged",
           "revised", "notices", "listed", "delisted", "failures")
DISCOVERY = ("discovered", "new", "changed", "known", "no_copy")


def summary_rows(reports: list[dict[str, Any]]) -> list[list[str]]:
    return [[r["source_id"], *_discovery(r), str(r["documents"]), str(r["not_modified"]), str(r["new"]),
             str(r["unchanged"]), str(r["revised"]), str(r.get("notices_new", 0)),
             str(r.get("designations_listed", 0)), str(r.get("designations_delisted", 0)), _outcome(r)]
            for r in reports]


def _discovery(report: dict[str, Any]) -> list[str]:
    """Counts of what the source's index listed; '-' where the document is its own index."""
    found = report.get("discovery") or {}
    return [str(found[k]) if found.get("discovered") else "-" for k in DISCOVERY]


def _outcome(report: dict[str, Any]) -> str:
    if report["failures"]:
        return "; ".join(report["failures"])
    return f"(skipped: {report['note']})" if report.get("note") else "-"


def summary_table(reports: list[dict[str, Any]]) -> str:
    rows = [list(COLUMNS)] + summary_rows(reports)
    last = len(COLUMNS) - 1
    widths = [max(len(row[i]) for row in rows) for i in range(last)]
    lines = []
    for row in rows:
        cells = [row[i].ljust(widths[i]) if i == 0 else row[i].rjust(widths[i]) for i in range(last)]
        lines.append("  ".join(cells) + "  " + row[last][:300])
    return "\n".join(lines)


def markdown(reports: list[dict[str, Any]], title: str) -> str:
    parts = [f"# {title}", ""]
    for r in reports:
        status = ("OK" if not r.get("note") else "NOT RUN") if r["ok"] else "FAILED"
        parts += [f"## {r['source_id']} ({r['family']}): {status}",
                  f"- documents fetched: {r['documents']} (unchanged/304: {r['not_modified']}"
                  + (", skipped: same bytes already parsed" if r["skipped_unchanged"] else "") + ")",
                  f"- figures new / unchanged / revised: {r['new']} / {r['unchanged']} / {r['revised']}"]
        found = r.get("discovery") or {}
        if found.get("discovered"):
            parts.append(f"- index: {found['discovered']} listed; new {found['new']}, changed {found['changed']}, "
                         f"skipped as known {found['known']}, no recorded copy {found['no_copy']}"
                         + (f" ({', '.join(found.get('no_copy_keys', [])[:10])})" if found['no_copy'] else ""))
        if r.get("missing_marks"):
            parts.append(f"- cells marked not available by the publisher (never loaded): {r['missing_marks']}")
        if r.get("unread"):
            parts.append(f"- WARNING: fields not read: {', '.join(r['unread'][:20])}")
        if r.get("notices_new") or r.get("designations_listed") or r.get("designations_delisted"):
            parts.append(f"- notices new: {r['notices_new']}; designations listed / de-listed: "
                         f"{r['designations_listed']} / {r['designations_delisted']}")
        if r.get("note"):
            parts.append(f"- not run: {r['note']}")
        for passed in r["checks"].get("passed", []):
            parts.append(f"- assertion passed: {passed}")
        for warning in r["checks"].get("warnings", []):
            parts.append(f"- WARNING: {warning}")
        for failure in r["failures"]:
            parts.append(f"- FAILURE: {failure}")
        parts += [f"- source document: <{url}>" for url in r["urls"]]
        parts.append("")
    return "\n".join(parts)


def change_rows(reports: list[dict[str, Any]], limit: int = 500) -> list[dict[str, Any]]:
    rows = []
    for r in reports:
        for c in r["changes"]:
            rows.append({
                "source": r["source_id"], "change": c["action"],
                "series": "/".join(str(c[k]) for k in ("indicator", "geo", "partner", "commodity", "flow") if c[k]),
                "unit": c["unit"], "period": f"{c['period_start']}..{c['period_end']}",
                "old value": c["cur_value"], "new value": c["value"], "locator": c["locator"],
                "source document": (r.get("document_urls") or {}).get(c.get("snapshot_sha256") or "")
                                   or next((u for u in r["urls"]), ""),
            })
    return rows[:limit]


def publish(reports: list[dict[str, Any]], key: str, title: str) -> None:
    create_markdown_artifact(markdown=markdown(reports, title), key=f"{key}-summary",
                             description=f"{title}: per-source summary")
    changes = change_rows(reports)
    create_table_artifact(table=changes or [{"change": "none", "series": "no new or revised figures"}],
                          key=f"{key}-changes", description=f"{title}: new and revised figures")


def announce(reports: list[dict[str, Any]]) -> int:
    """Prefect events for the run's news, one per source and kind (sanctrace/events.py); `sanctrace alerts
    setup` creates the automations that turn them into notifications. Returns how many were sent."""
    events = run_events(reports, flow_run.get_id(), flow_run.get_name())
    for e in events:
        emit_event(event=e.event, resource=e.resource, related=e.related, payload=e.payload)
    if events:
        get_run_logger().info("events: %s", ", ".join(f"{e.event} ({e.payload['source']})" for e in events))
    return len(events)
