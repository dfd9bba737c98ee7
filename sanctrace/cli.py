"""`sanctrace` command line: sources, parse, explain, migrate, run, trade-watch."""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path

# Before Prefect is imported: its temporary server would otherwise try to send telemetry out.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

from extractors import registry  # noqa: E402
from extractors.base import Document, SanctraceError  # noqa: E402
from extractors.guard import safe_parse  # noqa: E402
from sanctrace.settings import get_settings  # noqa: E402
from sanctrace.table import emit  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    return args.handler(args) or 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sanctrace", description=__doc__)
    sub = parser.add_subparsers()
    p = sub.add_parser("sources", help="list the sources: how each discovers documents, its live hosts and "
                                       "how far its live path was tested, and its last successful fetch")
    _formats(p)
    p.set_defaults(handler=cmd_sources)
    p = sub.add_parser("parse", help="run one source's parser on a saved document (no network, no warehouse)")
    p.add_argument("source_id")
    p.add_argument("file", type=Path)
    p.add_argument("--url", default=None, help="the URL the document came from (some parsers use it)")
    p.set_defaults(handler=_quiet_pipe(cmd_parse))
    p = sub.add_parser("explain", help="print a figure's provenance chain and re-parse its stored bytes")
    p.add_argument("observation_id", type=int)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_explain)
    p = sub.add_parser("migrate", help="bring the warehouse to the newest schema")
    p.set_defaults(handler=cmd_migrate)
    p = sub.add_parser("run", help="run the collect_all flow and print a summary per source")
    p.add_argument("--source", action="append", dest="sources", help="only this source (repeatable)")
    p.add_argument("--mode", choices=["live", "replay"], default=None)
    p.add_argument("--force", action="store_true", help="re-parse snapshots already parsed")
    p.set_defaults(handler=cmd_run)
    p = sub.add_parser("figures", help="find figures by source, place, indicator, product, period; export them")
    _figure_filters(p)
    p.add_argument("--all-versions", action="store_true", help="also superseded and older-release versions")
    p.add_argument("--limit", type=int, help=f"at most this many rows (the table shows {TABLE_ROWS} unless given)")
    p.add_argument("--json", action="store_true", help="every matching figure as one JSON object per line")
    p.add_argument("--csv", type=Path, help="write every matching figure with its provenance to this CSV file")
    p.add_argument("--parquet", type=Path, help="write every matching figure with its provenance to this Parquet file")
    p.set_defaults(handler=_quiet_pipe(_reads_warehouse(cmd_figures)))
    p = sub.add_parser("history", help="every version of a figure, why each was superseded, other sources' figure")
    p.add_argument("observation_id", type=int)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_reads_warehouse(cmd_history))
    p = sub.add_parser("plot", help="draw series over time to PNG or SVG, revisions marked")
    p.add_argument("output", type=Path, help="the chart file: .png or .svg")
    _figure_filters(p)
    p.add_argument("--title", help="the chart's title (default: the series)")
    p.add_argument("--json", action="store_true", help="print the points drawn as one JSON object per line")
    p.set_defaults(handler=_reads_warehouse(cmd_plot))
    p = sub.add_parser("trade-watch", help="transit indicators: exports to Russia of watched goods per reporter")
    p.add_argument("--hs", action="append", help="HS code to watch (repeatable; default: the settings' watch list)")
    p.add_argument("--reporter", action="append", help="transit reporter, ISO alpha-3 (repeatable; default: watch list)")
    p.add_argument("--json", action="store_true", help="one JSON object per row with every figure and id")
    p.add_argument("--csv", type=Path, help="also write every column to this CSV file")
    p.add_argument("--parquet", type=Path, help="also write every column to this Parquet file")
    p.add_argument("--plot", type=Path, help="also draw the exports to Russia by year to this PNG or SVG file")
    p.set_defaults(handler=_quiet_pipe(cmd_trade_watch))
    return parser


def _figure_filters(p: argparse.ArgumentParser) -> None:
    """The filters of `figures` and `plot`; each repeatable option means "any of these"."""
    many = dict(action="append", default=[])
    p.add_argument("--source", dest="sources", **many, help="source id (see `sanctrace sources`)")
    p.add_argument("--family", dest="families", **many, help="displacement, casualties, sanctions or trade")
    p.add_argument("--indicator", dest="indicators", **many,
                   help="indicator, or the first word(s) of one (refugees -> refugees_from_ukraine_recorded)")
    p.add_argument("--geo", dest="geos", **many, help="place: ISO code (POL, UA-63) or a name (Poland, Казахстан)")
    p.add_argument("--partner", dest="partners", **many, help="partner place, as --geo")
    p.add_argument("--product", dest="products", **many, help="HS code or prefix (8542 matches 854231)")
    p.add_argument("--flow", dest="flows", **many, help="X (exports), M (imports), T (turnover)")
    p.add_argument("--from", dest="start", help="periods starting on or after: YYYY, YYYY-MM or YYYY-MM-DD")
    p.add_argument("--to", dest="end", help="periods ending on or before: YYYY, YYYY-MM or YYYY-MM-DD")
    p.add_argument("--text", help="text anywhere in the series (indicator, places, product, flow, unit)")


def _wanted(args, **overrides):
    from sanctrace.figures import Wanted

    fields = ("sources", "families", "indicators", "geos", "partners", "products", "flows", "start", "end", "text")
    return Wanted(**{f: getattr(args, f) for f in fields}, **overrides)


def _formats(p: argparse.ArgumentParser) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument("--json", dest="fmt", action="store_const", const="json", default="table")
    group.add_argument("--csv", dest="fmt", action="store_const", const="csv")


def cmd_sources(args) -> int:
    from sanctrace.sources import source_rows

    try:
        last = _last_success()
    except WarehouseUnreadable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    rows = source_rows(last)
    if args.fmt == "table":  # the full record (index URL, note, publisher) is in --json/--csv
        rows = [{k: r[k] for k in ("id", "discovery", "live_status", "live_hosts", "last_success")} for r in rows]
    emit(rows, args.fmt)
    return 0


class WarehouseUnreadable(RuntimeError):
    pass


def _last_success() -> dict[str, str]:
    """Each source's last successful fetch. A warehouse not migrated yet has none (the sources are declared
    in code, so they are still listed); one that cannot be reached is an error naming the database's."""
    from sqlalchemy import inspect, select
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from warehouse.engine import reader_for
    from warehouse.models import Source

    url = get_settings().warehouse_url
    try:
        with reader_for(url).connect() as conn:
            if not inspect(conn).has_table("source"):
                print(f"warehouse {make_url(url).render_as_string(hide_password=True)} is not migrated yet "
                      "(sanctrace migrate): no fetch recorded", file=sys.stderr)
                return {}
            return {i: str(t) for i, t in conn.execute(select(Source.id, Source.last_success_at)) if t}
    except (SQLAlchemyError, OSError) as exc:
        raise _unreadable(url, exc) from None


def _unreadable(url: str, exc: Exception) -> WarehouseUnreadable:
    """The database's own error, first line, with the URL it came from (password hidden)."""
    from sqlalchemy.engine import make_url

    cause = getattr(exc, "orig", None) or exc
    reason = (str(cause).strip().splitlines() or [""])[0]
    shown = make_url(url).render_as_string(hide_password=True)
    return WarehouseUnreadable(f"cannot read the warehouse {shown}: {type(cause).__name__}: {reason}")


def _reads_warehouse(handler):
    """A command that reads the warehouse names the database error (exit 1) instead of a traceback."""
    def run(args):
        from sqlalchemy.exc import SQLAlchemyError

        try:
            return handler(args)
        except (SQLAlchemyError, OSError) as exc:
            if isinstance(exc, BrokenPipeError):
                raise
            print(f"error: {_unreadable(get_settings().warehouse_url, exc)}", file=sys.stderr)
            return 1
    return run


def cmd_parse(args) -> int:
    try:
        module = registry.get(args.source_id)
    except KeyError as exc:
        print(exc.args[0], file=sys.stderr)
        return 2
    doc = Document.from_bytes(module.SOURCE.id, args.url or args.file.resolve().as_uri(), args.file.read_bytes())
    try:
        parsed = safe_parse(module, doc)
    except SanctraceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for record in parsed.records:
        row = asdict(record)
        print(json.dumps({"record_type": "figure", **row}, ensure_ascii=False, default=str))
    for item in (*parsed.notices, *parsed.designations):
        record_type = "notice" if item in parsed.notices else "designation"
        print(json.dumps({"record_type": record_type, **asdict(item)}, ensure_ascii=False, default=str))
    for warning in parsed.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def cmd_explain(args) -> int:
    from sanctrace.explain import NotFound, explain, render
    from sanctrace.pipeline import runtime

    try:
        chain = explain(runtime(), args.observation_id)
    except NotFound as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(chain, indent=2, default=str, ensure_ascii=False) if args.json else render(chain))
    return 0 if chain.get("reproduced", True) else 1


def cmd_migrate(args) -> int:
    from warehouse.migrate import upgrade

    upgrade(get_settings().warehouse_url)
    print(f"warehouse at the newest schema: {get_settings().warehouse_url}")
    return 0


def cmd_run(args) -> int:
    from flows.collect_all import collect_all
    from flows.report import summary_table

    mode = {"fetch_mode": args.mode} if args.mode else {}
    state = collect_all(sources=args.sources or [], force=args.force, return_state=True, **mode)
    reports = state.result(raise_on_failure=False)
    if not isinstance(reports, list):
        print(f"collect_all failed: {reports}", file=sys.stderr)
        return 1
    print("\n" + summary_table(reports))
    print(f"\nwarehouse: {get_settings().warehouse_url}")
    return 0 if all(r["ok"] for r in reports) else 1


def cmd_history(args) -> int:
    from sanctrace.history import NotFound, history, render
    from warehouse.engine import reader_for

    try:
        found = history(reader_for(get_settings().warehouse_url), args.observation_id)
    except NotFound as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(found, indent=2, default=str, ensure_ascii=False) if args.json else render(found))
    return 0


TABLE_ROWS = 100


def cmd_figures(args) -> int:
    from sanctrace import figures
    from warehouse.engine import reader_for

    engine = reader_for(get_settings().warehouse_url)
    exporting = args.json or args.csv or args.parquet
    try:
        filters = figures.check(engine, _wanted(args, all_versions=args.all_versions,
                                                limit=args.limit or (None if exporting else TABLE_ROWS)))
    except figures.BadFilter as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not exporting:
        return _figures_table(engine, filters, args.all_versions)
    counts = []
    if args.csv:
        counts.append(figures.write_csv(engine, filters, args.csv))
        print(f"wrote {counts[-1]:,} figures to {args.csv}", file=sys.stderr)
    if args.parquet:
        counts.append(figures.write_parquet(engine, filters, args.parquet))
        print(f"wrote {counts[-1]:,} figures to {args.parquet}", file=sys.stderr)
    if args.json:
        counts.append(figures.write_json(engine, filters, sys.stdout))
    if not any(counts):
        print(NO_FIGURE, file=sys.stderr)
    return 0


NO_FIGURE = "no figure in the warehouse matches these filters"


def _figures_table(engine, filters, all_versions: bool) -> int:
    from sanctrace import figures
    from sanctrace.table import render

    shown = [figures.for_people(r, all_versions) for r in figures.rows(engine, filters)]
    if not shown:
        print(NO_FIGURE)
        return 0
    print(render(shown))
    total = figures.count(engine, filters)
    if total > len(shown):
        print(f"({len(shown):,} of {total:,} figures shown; --limit N, --json, --csv or --parquet for more)")
    print("cite or trace a figure: sanctrace explain ID; its versions: sanctrace history ID")
    return 0


def cmd_plot(args) -> int:
    from sanctrace import figures
    from sanctrace.plot import PlotError, check_target, plot_figures
    from warehouse.engine import reader_for

    engine = reader_for(get_settings().warehouse_url)
    try:
        check_target(args.output)
        points = plot_figures(engine, figures.check(engine, _wanted(args)), args.output, args.title)
    except (figures.BadFilter, PlotError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not points:
        print(f"{NO_FIGURE}: nothing drawn", file=sys.stderr)
        return 0
    _print_points(points, args.output, args.json)
    return 0


def _print_points(points: list[dict], output: Path, as_json: bool) -> None:
    """The data drawn, so a reader can check the chart against `sanctrace explain`."""
    lines = len({p["line"] for p in points})
    print(f"wrote {output}: {lines} line(s), {len(points)} point(s)", file=sys.stderr)
    emit(points, "json" if as_json else "table")


def cmd_trade_watch(args) -> int:
    import pandas as pd

    from sanctrace.table import render
    from sanctrace.trade_watch import for_people, watch_rows
    from warehouse.engine import engine_for

    from sanctrace.places import UnknownPlace, iso_code

    settings = get_settings()
    try:
        reporters = [iso_code(r) for r in args.reporter or settings.watch_reporters]
    except UnknownPlace as exc:
        print(f"error: --reporter: {exc}", file=sys.stderr)
        return 2
    bad_hs = [code for code in args.hs or () if not code.isdigit()]
    if bad_hs:
        print(f"error: --hs {bad_hs[0]!r} is not an HS code (digits, e.g. 8542)", file=sys.stderr)
        return 2
    rows = watch_rows(engine_for(settings.warehouse_url), args.hs or settings.watch_hs_codes, reporters)
    frame = pd.DataFrame(rows)
    if args.csv:
        frame.to_csv(args.csv, index=False)
    if args.parquet:
        frame.to_parquet(args.parquet, index=False)
    if args.json:
        emit(rows, "json")
    else:
        print(render(for_people(rows)) if rows else "no trade figures for that watch list in the warehouse")
    return _trade_watch_plot(rows, args.plot) if args.plot else 0


def _trade_watch_plot(rows: list[dict], target: Path) -> int:
    from sanctrace.plot import PlotError, plot_trade_watch
    from warehouse.engine import reader_for

    try:
        points = plot_trade_watch(reader_for(get_settings().warehouse_url), rows, target)
    except PlotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if points:
        print(f"wrote {target}: {len({p['line'] for p in points})} line(s), {len(points)} point(s)", file=sys.stderr)
    else:
        print(f"no trade figures to draw: {target} not written", file=sys.stderr)
    return 0


def _quiet_pipe(handler):
    """`sanctrace parse ... | head` must not end in a traceback."""
    def run(args):
        try:
            return handler(args)
        except BrokenPipeError:
            sys.stderr.close()
            return 0
    return run


if __name__ == "__main__":
    sys.exit(main())
