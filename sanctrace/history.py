"""Every version of one figure (same series, period and source), why each was superseded, and the same
figure as other sources give it (and, for trade, the partner's mirror figure).

Why a version was superseded comes from ``observation.superseded_reason`` where the warehouse has that
column; an older warehouse has not, so the reason is derived from the versions themselves, by the loader's
own rules: a version loaded after a newer release (a later vintage) was already current is an
``older_release``; a version followed by a later one was ``revised``; a superseded version nothing
followed was ``withdrawn``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, inspect, literal_column, select
from sqlalchemy.orm import Session

from sanctrace.figures import period_label
from warehouse import sightings
from warehouse.models import Observation, Series, Snapshot

MIRROR_FLOWS = {"X": "M", "M": "X"}


class NotFound(LookupError):
    pass


def history(engine: Engine, observation_id: int) -> dict[str, Any]:
    extra = _extra_columns(engine)  # before the session: on SQLite a second connection would wait on it
    with Session(engine) as conn:
        found = conn.execute(select(Observation, Series).join(Series, Series.id == Observation.series_id)
                             .where(Observation.id == observation_id)).first()
        if found is None:
            raise NotFound(f"no observation {observation_id}")
        obs, series = found
        versions = _versions(conn, extra, Observation.series_id == obs.series_id,
                             Observation.source_id == obs.source_id, *_same_period(obs))
        others = _versions(conn, (), *_same_key(series), Observation.source_id != obs.source_id,
                           *_same_period(obs))
        mirror = _mirror(conn, obs, series)
    return {"observation_id": observation_id, "series": _series(series),
            "period": period_label(obs.period_start, obs.period_end), "source_id": obs.source_id,
            "versions": _with_reasons(versions), "other_sources": others, "mirror": mirror}


def _extra_columns(engine: Engine) -> tuple[str, ...]:
    """The superseded_reason / superseded_run_id columns, where a migration has added them (not in the
    model yet, so read by name; the names come from this fixed list)."""
    names = {c["name"] for c in inspect(engine).get_columns("observation")}
    return tuple(c for c in ("superseded_reason", "superseded_run_id") if c in names)


def _same_period(obs: Observation) -> tuple:
    return Observation.period_start == obs.period_start, Observation.period_end == obs.period_end


def _same_key(series: Series, **swap: str) -> tuple:
    """The series' natural key (any unit: a publisher may give the same figure in another currency)."""
    key = {k: getattr(series, k) for k in ("indicator", "geo", "partner", "commodity", "flow")} | swap
    return tuple(getattr(Series, k) == v for k, v in key.items())


def _versions(conn, extra: tuple[str, ...], *where) -> list[dict[str, Any]]:
    o = Observation.__table__.c
    columns = [o.id, o.value, o.raw, o.published_unit, Series.unit, o.source_id, Snapshot.sha256, Snapshot.url,
               Snapshot.fetched_at, o.vintage, o.flags, o.locator, o.first_seen_at,
               sightings.last_seen_at().label("last_seen_at"),
               o.superseded_at, *(literal_column(f"observation.{name}").label(name) for name in extra)]
    rows = conn.execute(sightings.with_sightings(select(*columns).join(Series, Series.id == o.series_id)
                                                 .outerjoin(Snapshot, Snapshot.id == o.snapshot_id))
                        .where(*where).order_by(o.source_id, o.id)).mappings().all()
    return [{**dict(r), "sha256": r["sha256"], "url": r["url"], "current": r["superseded_at"] is None}
            for r in rows]


def _mirror(conn, obs: Observation, series: Series) -> list[dict[str, Any]]:
    """The partner's own report of the same trade (its imports for our exports), from any source."""
    if series.flow not in MIRROR_FLOWS or not series.partner or not series.indicator.startswith("trade_value"):
        return []
    swap = {"geo": series.partner, "partner": series.geo, "flow": MIRROR_FLOWS[series.flow]}
    return _versions(conn, (), *_same_key(series, **swap), *_same_period(obs))


def _with_reasons(versions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for v in versions:
        if not v["current"] and not v.get("superseded_reason"):
            v["superseded_reason"] = derive_reason(v, versions)
        v.setdefault("superseded_reason", None)
        v["superseded_by"] = _successor(v, versions)
    return versions


def _successor(version: dict[str, Any], versions: list[dict[str, Any]]) -> int | None:
    """The version that took this one's place: the next one loaded, or for an older release the newer
    release that stayed current."""
    reason = version["superseded_reason"]
    if reason == "revised":
        return _next_version(version, versions)
    if reason == "older_release":
        newer = [v for v in versions if v["id"] < version["id"] and _newer_release(v, version)]
        return max(newer, key=lambda v: v["vintage"])["id"] if newer else None
    return None


def derive_reason(version: dict[str, Any], versions: list[dict[str, Any]]) -> str:
    """Why a superseded version is no longer current, from the versions alone (the loader's rules)."""
    if _older_release(version, versions):
        return "older_release"
    if _next_version(version, versions) is not None:
        return "revised"
    return "withdrawn"


def _older_release(version: dict[str, Any], versions: list[dict[str, Any]]) -> bool:
    """Loaded after a newer release of the same figure (the loader keeps it as history only)."""
    return any(v["id"] < version["id"] and _newer_release(v, version) for v in versions)


def _next_version(version: dict[str, Any], versions: list[dict[str, Any]]) -> int | None:
    """The next version loaded that was not itself an older release: the one that replaced this one."""
    return min((v["id"] for v in versions if v["id"] > version["id"] and not _older_release(v, versions)),
               default=None)


def _newer_release(v: dict[str, Any], than: dict[str, Any]) -> bool:
    return v["vintage"] is not None and than["vintage"] is not None and v["vintage"] > than["vintage"]


def _series(series: Series) -> dict[str, str]:
    return {k: getattr(series, k) for k in ("indicator", "geo", "partner", "commodity", "flow", "unit")}


def render(h: dict[str, Any]) -> str:
    s = h["series"]
    lines = [f"figure {h['observation_id']}: {s['indicator']} geo={s['geo']} partner={s['partner'] or '-'} "
             f"commodity={s['commodity'] or '-'} flow={s['flow'] or '-'} ({s['unit']}), {h['period']}, "
             f"source {h['source_id']}", f"versions ({len(h['versions'])}):"]
    lines += [_version_line(v) for v in h["versions"]]
    for title, rows in (("same figure from other sources", h["other_sources"]),
                        ("mirror: the partner's own report", h["mirror"])):
        if rows:
            lines.append(f"{title}:")
            lines += [_version_line(v, with_source=True) for v in rows]
    return "\n".join(lines)


def _version_line(v: dict[str, Any], with_source: bool = False) -> str:
    state = "current" if v["current"] else f"superseded {v['superseded_at']} ({v['superseded_reason'] or 'see versions'})"
    if v.get("superseded_by"):
        state += f" -> #{v['superseded_by']}"
    if v.get("superseded_run_id"):
        state += f" by run {v['superseded_run_id']}"
    source = f"{v['source_id']} " if with_source else ""
    value = "-" if v["value"] is None else f"{v['value']:,.2f}".rstrip("0").rstrip(".")
    return "\n".join([
        f"  #{v['id']} {source}{value} {v['unit']} (published {v['raw']} {v['published_unit']}".rstrip() + ")"
        f" vintage {v['vintage'] or '-'}  {state}",
        f"      document {v['url'] or '-'}",
        f"      sha256 {v['sha256'] or '-'}  at {v['locator']}",
        f"      seen {v['first_seen_at']} .. {v['last_seen_at']}" + (f"  flags {v['flags']}" if v["flags"] else ""),
    ])
