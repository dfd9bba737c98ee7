"""`sanctrace` command line: sources, parse, explain, migrate, run, archive export, store verify, trade-watch,
check-claims, browse."""

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
    p.set_defaults(handler=cmd_trade_watch)
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
    return parser


def _formats(p: argparse.ArgumentParser) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument("--json", dest="fmt", action="store_const", const="json", default="table")
    group.add_argument("--csv", dest="fmt", action="store_const", const="csv")


def cmd_sources(args) -> int:
    from sanctrace.sources import source_rows

    rows = source_rows(_last_success())
    if args.fmt == "table":  # the full record (index URL, note, publisher) is in --json/--csv
        rows = [{k: r[k] for k in ("id", "discovery", "live_status", "live_hosts", "last_success")} for r in rows]
    emit(rows, args.fmt)
    return 0


def _last_success() -> dict[str, str]:
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from warehouse.engine import engine_for
    from warehouse.models import Source

    try:
        with engine_for(get_settings().warehouse_url).connect() as conn:
            return {i: str(t) for i, t in conn.execute(select(Source.id, Source.last_success_at)) if t}
    except SQLAlchemyError:
        return {}  # no warehouse yet: nothing was fetched


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
        print(f"error: {exc}", file=sys.stderr)
        return 2
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
        print(f"error: unknown source(s) {unknown}; known: {', '.join(sorted(registry.modules()))}", file=sys.stderr)
        return 2
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
        print(f"error: {exc}", file=sys.stderr)
        return 2
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
            print(f"error: --archive {args.archive} is not a folder", file=sys.stderr)
            return 2
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


def cmd_trade_watch(args) -> int:
    import pandas as pd

    from sanctrace.table import render
    from sanctrace.trade_watch import for_people, watch_rows
    from warehouse.engine import engine_for

    settings = get_settings()
    rows = watch_rows(engine_for(settings.warehouse_url), args.hs or settings.watch_hs_codes,
                      args.reporter or settings.watch_reporters)
    frame = pd.DataFrame(rows)
    if args.csv:
        frame.to_csv(args.csv, index=False)
    if args.parquet:
        frame.to_parquet(args.parquet, index=False)
    if args.json:
        emit(rows, "json")
    else:
        print(render(for_people(rows)) if rows else "no trade figures for that watch list in the warehouse")
    return 0


def cmd_check_claims(args) -> int:
    from sanctrace.claims_check import check_text
    from sanctrace.claims_report import as_json, as_markdown, as_table, text_date
    from warehouse.engine import engine_for

    try:
        as_of = text_date(args.as_of, None if args.file == "-" else Path(args.file).name)
        body = sys.stdin.read() if args.file == "-" else Path(args.file).read_text("utf-8")
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
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
        print(f"error: {exc}", file=sys.stderr)
        return 2
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
        print(f"error: {exc}", file=sys.stderr)
        return 2
    emit([{"table": name, "rows": n} for name, n in counts.items()])
    print(f"browse it with: SANCTRACE_WAREHOUSE_URL=sqlite:///{args.file.resolve()} sanctrace browse")
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
