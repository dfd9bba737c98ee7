"""The provenance chain of one figure, with proof that the stored bytes still give the same value."""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from extractors import locators, registry
from extractors.base import Document
from extractors.guard import safe_parse
from sanctrace.pipeline import Runtime, transform
from warehouse import sightings
from warehouse.models import Derivation, Observation, Series, Snapshot, Source


class NotFound(LookupError):
    pass


def explain(rt: Runtime, observation_id: int) -> dict[str, Any]:
    with Session(rt.engine) as conn:
        row = conn.execute(
            sightings.with_sightings(
                select(Observation, Series, Source.publisher, Source.name.label("source_name"),
                       sightings.last_seen_at().label("last_seen_at"))
                .join(Series, Series.id == Observation.series_id)
                .join(Source, Source.id == Observation.source_id))
            .where(Observation.id == observation_id)).first()
        if row is None:
            raise NotFound(f"no observation {observation_id}")
        obs, series = row[0], row[1]
        row = {"publisher": row[2], "source_name": row[3], "last_seen_at": row[4]}
        snapshot = conn.execute(select(Snapshot).where(Snapshot.id == obs.snapshot_id)).scalar_one_or_none()
        versions = _versions(conn, obs)
        inputs = list(conn.execute(select(Derivation.input_observation_id)
                                   .where(Derivation.observation_id == obs.id)).scalars())
    chain = {
        "observation_id": obs.id, "value": obs.value, "method": obs.method,
        "series": {k: getattr(series, k) for k in ("indicator", "geo", "partner", "commodity", "flow", "unit")},
        "period": [obs.period_start.isoformat(), obs.period_end.isoformat()],
        "source": {"id": obs.source_id, "publisher": row["publisher"], "name": row["source_name"]},
        "locator": obs.locator, "published_as": f"{obs.raw} {obs.published_unit}".strip(),
        "parser_version": obs.parser_version, "flow_run_id": obs.flow_run_id,
        "first_seen_at": str(obs.first_seen_at), "last_seen_at": str(row["last_seen_at"]),
        "superseded_at": str(obs.superseded_at) if obs.superseded_at else None,
        "superseded_reason": obs.superseded_reason, "superseded_run_id": obs.superseded_run_id,
        "vintage": obs.vintage.isoformat() if obs.vintage else None, "flags": obs.flags,
        "cites_url": obs.cites_url, "derived_from": inputs, "versions": versions,
    }
    if snapshot is not None:
        chain["snapshot"] = _snapshot(snapshot)
        chain.update(_reproduce(rt, obs, series, snapshot))
    return chain


def _versions(conn, obs: Observation) -> list[dict[str, Any]]:
    rows = conn.execute(select(Observation.id, Observation.value, Observation.first_seen_at,
                               Observation.superseded_at, Observation.superseded_reason,
                               Observation.superseded_run_id, Snapshot.sha256.label("snapshot_sha256"),
                               Observation.vintage)
                        .outerjoin(Snapshot, Snapshot.id == Observation.snapshot_id)
                        .where(Observation.series_id == obs.series_id, Observation.source_id == obs.source_id,
                               Observation.period_start == obs.period_start,
                               Observation.period_end == obs.period_end)
                        .order_by(Observation.id)).mappings().all()
    return [{k: (str(v) if v is not None and k not in ("id", "value") else v) for k, v in r.items()} for r in rows]


def _snapshot(snapshot: Snapshot) -> dict[str, Any]:
    return {"sha256": snapshot.sha256, "url": snapshot.url, "fetched_at": str(snapshot.fetched_at),
            "http_status": snapshot.http_status, "content_type": snapshot.content_type,
            "headers": json.loads(snapshot.headers), "size_bytes": snapshot.size_bytes,
            "storage_uri": snapshot.storage_uri, "flow_run_id": snapshot.flow_run_id}


def _reproduce(rt: Runtime, obs: Observation, series: Series, snapshot: Snapshot) -> dict[str, Any]:
    content = rt.store.get(snapshot.sha256)
    try:
        text_at = locators.resolve(content, obs.locator)
    except Exception as exc:  # noqa: BLE001 (shown to the user, not hidden)
        text_at = f"<could not read the locator: {exc}>"
    doc = Document(obs.source_id, snapshot.url, content, snapshot.sha256, snapshot.content_type)
    module = registry.get(obs.source_id)
    frame = _reparsed(module, doc)
    # The period too: a figure the stored bytes now give for another period (IOM's round 3 once loaded
    # as round 4) is not reproduced.
    match = frame[(frame["locator"] == obs.locator) & (frame["indicator"] == series.indicator)
                  & (frame["geo"] == series.geo) & (frame["partner"] == series.partner)
                  & (frame["period_start"].map(_day) == obs.period_start)
                  & (frame["period_end"].map(_day) == obs.period_end)]
    value = None if match.empty else match.iloc[0]["value"]
    value = None if value is not None and value != value else value
    same = not match.empty and (value == obs.value or (value is None and obs.value is None))
    return {"text_at_locator": text_at, "reparsed_value": value, "reproduced": bool(same),
            "current_parser_version": module.SOURCE.parser_version}


# The figures of the last few documents re-parsed: a user explaining several figures of one document (the
# browser's provenance pages, a derived total and its inputs) waits once for a big one (Comext's CN8
# workbook: about 6 s), not once per figure. Keyed by the bytes' hash and the parser's version.
REPARSED: OrderedDict[tuple[str, str, str], pd.DataFrame] = OrderedDict()
REPARSED_KEPT = 2


def _reparsed(module, doc: Document) -> pd.DataFrame:
    key = (doc.source_id, doc.sha256, module.SOURCE.parser_version)
    if key in REPARSED:
        REPARSED.move_to_end(key)
        return REPARSED[key]
    frame = transform(doc.source_id, [(doc, safe_parse(module, doc))]).observations
    REPARSED[key] = frame
    while len(REPARSED) > REPARSED_KEPT:
        REPARSED.popitem(last=False)
    return frame


def _day(value: Any):
    return value.date() if hasattr(value, "date") and callable(value.date) else value


def _closed(chain: dict[str, Any]) -> str:
    if not chain["superseded_at"]:
        return " (current)"
    why = {"withdrawn": "WITHDRAWN: its document no longer yields it",
           "older_release": "an older release than the current version",
           "revised": "revised"}.get(chain.get("superseded_reason"), chain.get("superseded_reason") or "reason not recorded")
    return f", closed {chain['superseded_at']} ({why}; by flow run {chain.get('superseded_run_id') or '-'})"


def render(chain: dict[str, Any]) -> str:
    s, snap = chain["series"], chain.get("snapshot", {})
    lines = [
        f"observation {chain['observation_id']}: {chain['value']} {s['unit']} ({chain['method']})",
        f"  series     {s['indicator']} geo={s['geo']} partner={s['partner'] or '-'} "
        f"commodity={s['commodity'] or '-'} flow={s['flow'] or '-'}",
        f"  period     {chain['period'][0]} .. {chain['period'][1]}",
        f"  source     {chain['source']['id']} ({chain['source']['publisher']}: {chain['source']['name']})",
        f"  snapshot   sha256 {snap.get('sha256')}",
        f"  url        {snap.get('url')}",
        f"  fetched    {snap.get('fetched_at')} HTTP {snap.get('http_status')} {snap.get('content_type')}",
        f"  headers    {json.dumps(snap.get('headers', {}), ensure_ascii=False)}",
        f"  stored at  {snap.get('storage_uri')}",
        f"  locator    {chain['locator']}",
        f"  text there {chain.get('text_at_locator')!r}",
        f"  published  {chain['published_as']}",
        f"  flags      {chain['flags'] or '-'}",
        f"  parser     version {chain['parser_version']} (current {chain.get('current_parser_version')})",
        f"  flow run   {chain['flow_run_id']}",
        f"  seen       {chain['first_seen_at']} .. {chain['last_seen_at']}" + _closed(chain),
    ]
    if chain["cites_url"]:
        lines.append(f"  cites      {chain['cites_url']} (the primary release this figure quotes)")
    if chain["derived_from"]:
        lines.append(f"  derived    sum of observations {chain['derived_from']}")
    if len(chain["versions"]) > 1:
        lines.append("  versions   " + "; ".join(
            f"#{v['id']} {v['value']} ({(v['superseded_reason'] or 'closed') + ' ' + v['superseded_at'] if v['superseded_at'] else 'current'})"
            for v in chain["versions"]))
    if "reproduced" in chain:
        verdict = "yes" if chain["reproduced"] else f"NO (re-parse gives {chain['reparsed_value']})"
        lines.append(f"  reproduced {verdict}")
    return "\n".join(lines)
