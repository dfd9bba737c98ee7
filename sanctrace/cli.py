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
    p = sub.add_parser("sources", help="list the sources and their last successful fetch")
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
    p = sub.add_parser("trade-watch", help="transit indicators: exports to Russia of watched goods per reporter")
    p.add_argument("--hs", action="append", help="HS code to watch (repeatable; default: the settings' watch list)")
    p.add_argument("--reporter", action="append", help="transit reporter, ISO alpha-3 (repeatable; default: watch list)")
    p.add_argument("--json", action="store_true", help="one JSON object per row with every figure and id")
    p.add_argument("--csv", type=Path, help="also write every column to this CSV file")
    p.add_argument("--parquet", type=Path, help="also write every column to this Parquet file")
    p.set_defaults(handler=cmd_trade_watch)
    return parser


def _formats(p: argparse.ArgumentParser) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument("--json", dest="fmt", action="store_const", const="json", default="table")
    group.add_argument("--csv", dest="fmt", action="store_const", const="csv")


def cmd_sources(args) -> int:
    last = _last_success()
    rows = [{"id": s.id, "family": s.family, "publisher": s.publisher, "cadence": s.cadence,
             "landing_urls": list(s.landing_urls), "parser": s.parser_version,
             "last_success": last.get(s.id)} for s in (m.SOURCE for m in registry.modules().values())]
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

    state = collect_all(sources=args.sources, fetch_mode=args.mode, force=args.force, return_state=True)
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
    from sanctrace.trade_watch import eu_for_people, eu_product_rows, for_people, watch_rows
    from warehouse.engine import engine_for

    settings = get_settings()
    engine = engine_for(settings.warehouse_url)
    rows = watch_rows(engine, args.hs or settings.watch_hs_codes, args.reporter or settings.watch_reporters)
    eu_rows = eu_product_rows(engine, args.hs or settings.watch_hs_codes, args.reporter or settings.watch_reporters)
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
