"""`sanctrace` command line: sources, parse, explain, migrate, run, archive export, store verify, trade-watch,
check-claims, browse, alerts."""

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
    p.add_argument("--url", default=None, help="the URL the document came from (some parsers use it); "
                   "default: the request a replay manifest maps these bytes to, else the file's path")
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
    p.add_argument("--archive", type=Path, default=None,
                   help="replay this archive (e.g. one `sanctrace archive export` wrote) instead of the settings' "
                        "SANCTRACE_REPLAY_ARCHIVE; implies --mode replay")
    p.set_defaults(handler=cmd_run)
    p = sub.add_parser("archive", help="turn fetched documents into a replay archive")
    archive = p.add_subparsers()
    p = archive.add_parser("export", help="write the warehouse's fetched documents as a replay archive into DIR")
    p.add_argument("dir", type=Path)
    group = p.add_mutually_exclusive_group()
    group.add_argument("--run", default=None, help="only the documents this flow run fetched (its flow run id)")
    group.add_argument("--since", type=_since, default=None,
                       help="only documents fetched since this date (YYYY-MM-DD) or time (ISO 8601, UTC if no zone)")
    p.add_argument("--source", action="append", dest="sources", default=[], help="only this source (repeatable)")
    p.set_defaults(handler=cmd_archive_export)
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
    p = sub.add_parser("store", help="the snapshot store (SANCTRACE_SNAPSHOT_STORE: a folder or s3://...)")
    store = p.add_subparsers()
    p = store.add_parser("verify", help="read every stored document back and check it against its sha256 name; "
                                        "exit 1 on a mismatch, 2 if the store cannot be reached")
    p.set_defaults(handler=cmd_store_verify)
    p = sub.add_parser("trade-watch", help="transit indicators: exports to Russia of watched goods per reporter")
    p.add_argument("--hs", action="append", help="HS code to watch (repeatable; default: the settings' watch list)")
    p.add_argument("--reporter", action="append", help="transit reporter, ISO alpha-3 (repeatable; default: watch list)")
    p.add_argument("--json", action="store_true", help="one JSON object per row with every figure and id")
    p.add_argument("--csv", type=Path, help="also write every column to this CSV file")
    p.add_argument("--parquet", type=Path, help="also write every column to this Parquet file")
    p.add_argument("--plot", type=Path, help="also draw the exports to Russia by year to this PNG or SVG file")
    p.set_defaults(handler=_quiet_pipe(cmd_trade_watch))
    p = sub.add_parser("check-claims", help="find the numeric claims in a text and check each against the warehouse")
    p.add_argument("file", help="a text file, or - for standard input")
    p.add_argument("--as-of", help="the text's date (YYYY-MM-DD): which period a running total refers to")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--json", dest="fmt", action="store_const", const="json", default="table")
    group.add_argument("--markdown", dest="fmt", action="store_const", const="markdown")
    p.set_defaults(handler=cmd_check_claims)
    p = sub.add_parser("browse", help="Datasette over the SQLite warehouse (read-only), with provenance pages")
    p.add_argument("--port", type=int, default=8001)
    p.add_argument("--host", default="127.0.0.1")
    p.set_defaults(handler=cmd_browse)
    p = sub.add_parser("export-sqlite", help="copy the warehouse (e.g. PostgreSQL) into a new SQLite file to browse")
    p.add_argument("file", type=Path)
    p.set_defaults(handler=cmd_export_sqlite)
    _alerts(sub)
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


def _alerts(sub) -> None:
    p = sub.add_parser("alerts", help="Prefect automations that notify on new documents, revised figures, new "
                                      "notices and failed sources (needs PREFECT_API_URL: a running server)")
    alerts = p.add_subparsers()
    p = alerts.add_parser("setup", help="save the notification blocks and (re)create sanctrace's automations")
    p.add_argument("--webhook", help="URL that gets a JSON POST {subject, text, sender} per event")
    p.add_argument("--slack", help="Slack incoming webhook URL (https://hooks.slack.com/services/...)")
    p.add_argument("--block", action="append", default=[], metavar="TYPE/NAME",
                   help="also notify through this saved Prefect notification block, e.g. "
                        "microsoft-teams-webhook/ops (repeatable)")
    p.set_defaults(handler=cmd_alerts_setup)
    p = alerts.add_parser("list", help="show sanctrace's automations and where each notifies")
    _formats(p)
    p.set_defaults(handler=cmd_alerts_list)
    p = alerts.add_parser("remove", help="delete sanctrace's automations and notification blocks (no others)")
    p.set_defaults(handler=cmd_alerts_remove)


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
    content = args.file.read_bytes()
    url = args.url or _recorded_url(module.SOURCE.id, content) or args.file.resolve().as_uri()
    doc = Document.from_bytes(module.SOURCE.id, url, content)
    try:
        parsed = safe_parse(module, doc)
    except SanctraceError as exc:
        return _refuse(exc)
    for record in parsed.records:
        row = asdict(record)
        print(json.dumps({"record_type": "figure", **row}, ensure_ascii=False, default=str))
    for item in (*parsed.notices, *parsed.designations):
        record_type = "notice" if item in parsed.notices else "designation"
        print(json.dumps({"record_type": record_type, **asdict(item)}, ensure_ascii=False, default=str))
    for warning in parsed.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(_parse_summary(parsed), file=sys.stderr)
    return 0


def _parse_summary(parsed) -> str:
    """What the parser read and what it left: strict parsing reports the fields it did not read."""
    unread = sorted(set(parsed.unread))
    return (f"parsed: {len(parsed.records)} figure(s), {len(parsed.notices)} notice(s), "
            f"{len(parsed.designations)} designation(s); cells marked not available: {parsed.missing_marks}; "
            f"fields not read: {len(unread)}" + (f" ({', '.join(unread[:30])})" if unread else ""))


def _recorded_url(source_id: str, content: bytes) -> str | None:
    """The request the replay archive holds these exact bytes for (some answers, e.g. UNHCR's timeseries,
    name what they measure only in their request)."""
    import hashlib

    from extractors.client import load_manifest

    sha = hashlib.sha256(content).hexdigest()
    entries = load_manifest(get_settings().replay_archive / source_id, source_id)
    return next((url for url, e in entries.items()
                 if e["path"].exists() and hashlib.sha256(e["path"].read_bytes()).hexdigest() == sha), None)


def cmd_explain(args) -> int:
    from sanctrace.explain import NotFound, explain, render
    from sanctrace.pipeline import runtime

    try:
        chain = explain(runtime(), args.observation_id)
    except NotFound as exc:
        return _refuse(exc)
    print(json.dumps(chain, indent=2, default=str, ensure_ascii=False) if args.json else render(chain))
    return 0 if chain.get("reproduced", True) else 1


def cmd_migrate(args) -> int:
    from warehouse.migrate import upgrade

    upgrade(get_settings().warehouse_url)
    print(f"warehouse at the newest schema: {get_settings().warehouse_url}")
    return 0


def _since(text: str):
    from datetime import date, datetime

    try:
        return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD) or an ISO 8601 time") from None


def cmd_archive_export(args) -> int:
    from sanctrace.archive import export
    from sanctrace.pipeline import runtime

    unknown = [s for s in args.sources if s not in registry.modules()]
    if unknown:
        return _refuse(f"unknown source(s) {unknown}; known: {', '.join(sorted(registry.modules()))}")
    rt = runtime()
    done = export(rt.engine, rt.store, args.dir, run=args.run, since=args.since, sources=args.sources)
    if not done.entries:
        print("error: the warehouse holds no fetched document for that selection", file=sys.stderr)
        return 1
    for source_id in sorted(done.entries):
        print(f"{source_id}: {done.entries[source_id]} request(s), {done.files[source_id]} file(s)")
    print(f"replay archive: {args.dir} (replay it with `sanctrace run --mode replay --archive {args.dir}`)")
    return 0


def cmd_store_verify(args) -> int:
    from extractors.snapshots import SnapshotStore, StoreUnavailable

    settings = get_settings()
    store = SnapshotStore(settings.snapshot_store, settings.snapshot_store_options)
    try:
        store.check()
        names, bad = store.names(), store.verify()
    except StoreUnavailable as exc:
        return _refuse(exc)
    for path in bad:
        print(f"MISMATCH {path}: its bytes do not hash to its name")
    print(f"{store.location}: {len(names)} document(s) read back, {len(bad)} mismatch(es)")
    return 1 if bad else 0


def cmd_run(args) -> int:
    if args.archive is not None:
        if args.mode == "live":
            print("error: --archive replays an archive; it cannot be combined with --mode live", file=sys.stderr)
            return 2
        if not args.archive.is_dir():
            return _refuse(f"--archive {args.archive} is not a folder")
        from sanctrace.settings import reset_settings

        # The flows read their settings from the environment: this run's archive goes there.
        os.environ["SANCTRACE_REPLAY_ARCHIVE"] = str(args.archive.resolve())
        reset_settings()
        args.mode = "replay"
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
        return _refuse(exc)
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
        return _refuse(exc)
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
        return _refuse(exc)
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
    from sanctrace.trade_watch import eu_for_people, eu_product_rows, for_people, watch_rows
    from warehouse.engine import engine_for

    from sanctrace.places import UnknownPlace, iso_code

    settings = get_settings()
    try:
        reporters = [iso_code(r) for r in args.reporter or settings.watch_reporters]
    except UnknownPlace as exc:
        return _refuse(f"--reporter: {exc}")
    bad_hs = [code for code in args.hs or () if not code.isdigit()]
    if bad_hs:
        return _refuse(f"--hs {bad_hs[0]!r} is not an HS code (digits, e.g. 8542)")
    engine = engine_for(settings.warehouse_url)
    rows = watch_rows(engine, args.hs or settings.watch_hs_codes, reporters)
    eu_rows = eu_product_rows(engine, args.hs or settings.watch_hs_codes, reporters)
    frame = pd.DataFrame(rows)
    if args.csv:
        frame.to_csv(args.csv, index=False)
    if args.parquet:
        frame.to_parquet(args.parquet, index=False)
    if args.json:
        emit(rows, "json")
    else:
        print(render(for_people(rows)) if rows else "no trade figures for that watch list in the warehouse")
        if eu_rows:
            print("\nThe EU's exports of the watched goods to the transit countries, and to Russia (Comext, EUR):")
            print(render(eu_for_people(eu_rows)))
    return _trade_watch_plot(rows, args.plot) if args.plot else 0


def _trade_watch_plot(rows: list[dict], target: Path) -> int:
    from sanctrace.plot import PlotError, plot_trade_watch
    from warehouse.engine import reader_for

    try:
        points = plot_trade_watch(reader_for(get_settings().warehouse_url), rows, target)
    except PlotError as exc:
        return _refuse(exc)
    if points:
        print(f"wrote {target}: {len({p['line'] for p in points})} line(s), {len(points)} point(s)", file=sys.stderr)
    else:
        print(f"no trade figures to draw: {target} not written", file=sys.stderr)
    return 0


def cmd_check_claims(args) -> int:
    from sanctrace.claims_check import check_text
    from sanctrace.claims_report import as_json, as_markdown, as_table, text_date
    from warehouse.engine import engine_for

    try:
        as_of = text_date(args.as_of, None if args.file == "-" else Path(args.file).name)
        body = sys.stdin.read() if args.file == "-" else Path(args.file).read_text("utf-8")
    except (OSError, ValueError) as exc:
        return _refuse(exc)
    verdicts = check_text(engine_for(get_settings().warehouse_url), body, as_of)
    print({"json": as_json, "markdown": lambda v: as_markdown(v, as_of),
           "table": lambda v: as_table(v, as_of)}[args.fmt](verdicts))
    return 0


def cmd_browse(args) -> int:
    from sanctrace.browse import command, sqlite_path, write_metadata
    from warehouse.engine import engine_for

    url = get_settings().warehouse_url
    try:
        database = sqlite_path(url)
        if not database.exists():
            raise ValueError(f"no warehouse at {database}: `make run` (or `sanctrace migrate`, `sanctrace run`) first")
    except ValueError as exc:
        return _refuse(exc)
    meta = write_metadata(engine_for(url), database.parent / "datasette-metadata.json", database.stem)
    print(f"browsing {database} at http://{args.host}:{args.port}/ (Ctrl-C stops it)", flush=True)
    argv = command(database, meta, args.port, args.host)
    os.execv(argv[0], argv)  # datasette becomes this process: a signal to it never leaves an orphan server


def cmd_export_sqlite(args) -> int:
    from sanctrace.sqlite_export import export_sqlite
    from warehouse.engine import engine_for

    try:
        counts = export_sqlite(engine_for(get_settings().warehouse_url), args.file)
    except FileExistsError as exc:
        return _refuse(exc)
    emit([{"table": name, "rows": n} for name, n in counts.items()])
    print(f"browse it with: SANCTRACE_WAREHOUSE_URL=sqlite:///{args.file.resolve()} sanctrace browse")
    return 0


def _alerting(action):
    """An alerts command's errors (bad URL, no server) end in one line and a non-zero exit."""
    def run(args):
        from sanctrace.alerts import AlertsError

        try:
            return action(args)
        except AlertsError as exc:
            return _refuse(exc)
        except Exception as exc:  # noqa: BLE001 (the Prefect client's errors: unreachable server, HTTP errors)
            print(f"error: the Prefect API did not accept the request: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 1
    return run


@_alerting
def cmd_alerts_setup(args) -> int:
    from sanctrace.alerts import setup

    rows = setup(args.webhook, args.slack, args.block)
    emit(rows)
    print(f"{len(rows)} automation(s); `sanctrace alerts list` shows them, `sanctrace alerts remove` deletes them")
    return 0


@_alerting
def cmd_alerts_list(args) -> int:
    from sanctrace.alerts import listing

    rows = listing()
    if rows or args.fmt != "table":
        emit(rows, args.fmt)
    else:
        print("no sanctrace automations (create them with `sanctrace alerts setup --webhook URL`)")
    return 0


@_alerting
def cmd_alerts_remove(args) -> int:
    from sanctrace.alerts import remove

    done = remove()
    print(f"removed {done['automations']} automation(s) and {done['blocks']} notification block(s)")
    return 0


def _refuse(reason) -> int:
    """A command given what it cannot work with: the reason on stderr, exit status 2."""
    print(f"error: {reason}", file=sys.stderr)
    return 2


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
