"""Series over time as PNG or SVG (matplotlib, Agg backend: no display needed).

One line per series and source; current versions are filled markers on the line, superseded versions
(revisions, older releases) hollow markers beside them. The caption names each source and the dates of
the documents drawn from (release date where the publisher gives one, else the fetch date). Each line's
artists carry an id (``line-N``, ``line-N-superseded``) that SVG output keeps, so a test or a reader can
find a line's points in the file.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # before anything imports pyplot; we never open a window
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from sanctrace import figures  # noqa: E402

FORMATS = (".png", ".svg")
MAX_LINES = 12
NOTED = 4  # points per line that get their note (change on the year before)
KEY = ("indicator", "geo", "partner", "commodity", "flow", "unit", "source_id")


class PlotError(ValueError):
    """Nothing sensible to draw (unknown format, too many lines, units that share no axis)."""


@dataclass
class Line:
    label: str
    unit: str
    points: list[dict[str, Any]] = field(default_factory=list)  # x, value, observation_id, current
    style: str = "-"


def check_target(path: Path) -> str:
    if path.suffix.lower() not in FORMATS:
        raise PlotError(f"{path.name}: the chart is written as PNG or SVG (.png or .svg)")
    return path.suffix.lower()[1:]


def plot_figures(engine, filters: figures.Filters, path: Path, title: str | None = None) -> list[dict[str, Any]]:
    """Draw every series the filters match (with their superseded versions); return the points drawn."""
    fmt = check_target(path)
    rows = [r for r in figures.rows(engine, replace(filters, all_versions=True)) if r["value"] is not None]
    if not rows:
        return []
    lines = series_lines(rows)
    draw(lines, path, fmt, title or _title(lines), caption(rows))
    return plotted(lines)


def series_lines(rows: list[dict[str, Any]]) -> list[Line]:
    grouped: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[tuple(row[k] for k in KEY)].append(row)
    if len(grouped) > MAX_LINES:
        raise PlotError(f"{len(grouped)} series match; narrow the filters to at most {MAX_LINES}")
    units = sorted({key[5] for key in grouped})
    if len(units) > 1:
        raise PlotError(f"the series are in different units ({', '.join(units)}); plot them separately")
    return [Line(f"{figures.series_label(group[0])} ({group[0]['source_id']})", group[0]["unit"],
                 [_point(r, _cumulative(group)) for r in sorted(group, key=lambda r: (r["period_end"], r["observation_id"]))])
            for group in grouped.values()]


def _cumulative(group: list[dict[str, Any]]) -> bool:
    """Counts since one start date (OHCHR: since 24 Feb 2022), as opposed to a year, month or day each."""
    return len({r["period_start"] for r in group}) == 1 and len({r["period_end"] for r in group}) > 1


def _point(row: dict[str, Any], cumulative: bool) -> dict[str, Any]:
    # A cumulative count stands at its cut-off date; a year, month or day at its start (tick "2022").
    return {"x": row["period_end"] if cumulative else row["period_start"], "period": figures.period_label(row["period_start"], row["period_end"]),
            "value": row["value"], "observation_id": row["observation_id"],
            "current": row["superseded_at"] is None}


def caption(rows: list[dict[str, Any]]) -> str:
    """'Source: kz-stat-trade, releases of 2020-01-01 to 2024-07-25 (5)'; one clause per source. A
    release date (vintage) where the publisher gives one, else the date the document was fetched."""
    released: dict[str, set[date]] = defaultdict(set)
    fetched: dict[str, set[date]] = defaultdict(set)
    for row in rows:
        if row["vintage"]:
            released[row["source_id"]].add(row["vintage"])
        elif row["fetched_at"]:
            fetched[row["source_id"]].add(row["fetched_at"].date())
    parts = []
    for source in sorted({r["source_id"] for r in rows}):
        dated = [_span(word, days) for word, days in (("released", released[source]), ("fetched", fetched[source]))
                 if days]
        parts.append(f"{source}, " + (", ".join(dated) or "document date unknown"))
    return "Source: " + "; ".join(parts) + ". Hollow markers: superseded versions (revisions, older releases)."


def _span(word: str, days: set[date]) -> str:
    return f"{word} {min(days)}" if len(days) == 1 else f"{word} {min(days)} to {max(days)} ({len(days)} documents)"


def draw(lines: list[Line], path: Path, fmt: str, title: str, caption_text: str) -> None:
    fig = Figure(figsize=(10, 6), layout="constrained")
    ax = fig.add_subplot()
    for n, line in enumerate(lines):
        current = [p for p in line.points if p["current"]]
        drawn = ax.plot([p["x"] for p in current], [p["value"] for p in current], line.style, marker="o",
                        label=line.label, gid=f"line-{n}")[0]
        old = [p for p in line.points if not p["current"]]
        if old:
            ax.plot([p["x"] for p in old], [p["value"] for p in old], linestyle="none", marker="o",
                    markersize=9, markerfacecolor="none", color=drawn.get_color(), gid=f"line-{n}-superseded")
        for p in current[-NOTED:]:  # the latest years: older notes would overlap on long series
            if p.get("note"):
                ax.annotate(p["note"], (p["x"], p["value"]), textcoords="offset points", xytext=(0, 6),
                            ha="center", fontsize=7)
    ax.set_title(title)
    ax.set_ylabel(lines[0].unit)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    fig.text(0.01, 0.005, caption_text, fontsize=7, wrap=True, va="bottom")
    fig.get_layout_engine().set(rect=(0, 0.05, 1, 0.95))  # room for the caption under the axes
    # No creation date in the file: the same figures give the same bytes.
    fig.savefig(path, format=fmt, metadata={"Date": None} if fmt == "svg" else None)


def _title(lines: list[Line]) -> str:
    return "; ".join(line.label for line in lines) if len(lines) <= 2 else f"{len(lines)} series"


def plotted(lines: list[Line]) -> list[dict[str, Any]]:
    """The points as drawn, in drawing order: what `sanctrace plot` prints."""
    return [{"line": n, "series": line.label, "period": p["period"], "value": p["value"],
             "observation_id": p["observation_id"], "version": "current" if p["current"] else "superseded"}
            for n, line in enumerate(lines) for p in line.points]


def trade_watch_lines(rows: list[dict[str, Any]]) -> list[Line]:
    """The transit indicator: exports to Russia per reporter, goods and source by year, each point noted
    with its change on the year before; the mirror figure (Russia's reported imports) dashed where held."""
    grouped: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[(row["reporter"], row["commodity"], row["source_id"])].append(row)
    lines = []
    for (reporter, goods, source), group in grouped.items():
        goods = "all goods" if goods == "TOTAL" else f"HS {goods}"
        lines.append(Line(f"{reporter} exports to RUS, {goods} ({source})", "USD", [
            {"x": date(r["year"], 1, 1), "period": str(r["year"]), "value": r["exports_to_rus_usd"],
             "observation_id": r["exports_obs_id"], "current": True,
             "note": None if r["yoy_change_pct"] is None else f"{r['yoy_change_pct']:+.1f}%"}
            for r in group if r["exports_to_rus_usd"] is not None]))
        mirror = [r for r in group if r["mirror_rus_imports_usd"] is not None]
        if mirror:
            lines.append(Line(f"RUS imports from {reporter}, mirror ({mirror[0]['mirror_source_id']})", "USD", [
                {"x": date(r["year"], 1, 1), "period": str(r["year"]), "value": r["mirror_rus_imports_usd"],
                 "observation_id": r["mirror_obs_id"], "current": True} for r in mirror], style="--"))
    if len(lines) > MAX_LINES:
        raise PlotError(f"{len(lines)} lines; name fewer reporters or HS codes (at most {MAX_LINES})")
    return [line for line in lines if line.points]


def plot_trade_watch(engine, rows: list[dict[str, Any]], path: Path) -> list[dict[str, Any]]:
    fmt = check_target(path)
    lines = trade_watch_lines(rows)
    if not lines:
        return []
    ids = tuple(p["observation_id"] for line in lines for p in line.points)
    cited = figures.rows(engine, figures.Filters(ids=ids, all_versions=True))
    draw(lines, path, fmt, "Transit indicator: exports to Russia (change on the year before)", caption(cited))
    return plotted(lines)
