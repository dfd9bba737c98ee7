"""Benchmark: a ~30 MB EU FSF consolidated list BUILT from the real recorded entity: parse, and parse-and-load.

The file is built in a temporary folder from replay/eu-fsf-consolidated's real excerpt (entity 13
repeated with varied logicalIds, programmes and subject types; see tests/eu_fsf_build.py). Two
children, each a fresh process so its peak RSS (ru_maxrss) is its own:
- parse: extractors.eu_fsf.parse + check on the file's bytes;
- pipeline: ``runs.run_source`` replaying the file from a temporary archive into a fresh
  warehouse (snapshot stored, parsed, checked, transformed, designations and notices loaded).
Prints a table; exits 0 (a missed target is printed).

    .venv/bin/python bench/fsf.py [--mb 30] [--databases sqlite,postgres]
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

LIMIT_MB = 300
SOURCE_ID = "eu-fsf-consolidated"


def child_parse(path: str) -> dict:
    from extractors import eu_fsf
    from extractors.base import Document

    start_rss = common.peak_rss_mb()
    content = Path(path).read_bytes()
    loaded_rss = common.peak_rss_mb()
    started = time.perf_counter()
    parsed = eu_fsf.parse(Document.from_bytes(eu_fsf.SOURCE.id, eu_fsf.FULL_LIST_URL, content))
    seconds = time.perf_counter() - started
    checked = eu_fsf.check([parsed])
    return {"bytes": len(content), "entities": len(parsed.designations), "notices": len(parsed.notices),
            "records": len(parsed.records), "seconds": seconds, "check_failed": checked.failed,
            "rss_start_mb": start_rss, "rss_loaded_mb": loaded_rss, "rss_mb": common.peak_rss_mb()}


def child_pipeline(archive: str, url: str) -> dict:
    from sanctrace import pipeline, runs
    from sanctrace.settings import Settings
    from warehouse.migrate import upgrade

    upgrade(url)
    settings = Settings(warehouse_url=url, snapshot_store=str(Path(archive).parent / "snapshots"),
                        replay_archive=Path(archive), fetch_mode="replay")
    rt = pipeline.runtime(settings)
    pipeline.register_sources(rt)
    started = time.perf_counter()
    report = runs.run_source(rt, SOURCE_ID)
    seconds = time.perf_counter() - started
    assert report.ok, report.failures
    return {"seconds": seconds, "listed": report.designations_listed, "notices": report.notices_new,
            "figures": report.new, "rss_mb": common.peak_rss_mb()}


def replay_archive(folder: Path, built: Path) -> Path:
    """A replay archive whose only entry answers the source's URL with the built file."""
    from extractors import eu_fsf

    source = folder / "replay" / SOURCE_ID
    source.mkdir(parents=True)
    shutil.move(built, source / built.name)
    manifest = {"source": SOURCE_ID, "entries": [{"url": eu_fsf.FULL_LIST_URL, "file": built.name,
                                                  "content_type": "application/xml"}]}
    (source / "manifest.json").write_text(json.dumps(manifest))
    return folder / "replay"


def report(parse: dict, loads: dict[str, dict], built: int) -> list[str]:
    rows = [
        ("input (built from the real entity)", f"{parse['bytes'] / 1e6:.1f} MB", ""),
        ("sanctionEntity parsed", f"{parse['entities']:,}", ""),
        ("regulation notices / figure records", f"{parse['notices']} / {parse['records']}", ""),
        ("parse only", f"{parse['seconds']:.2f} s", f"{parse['rss_mb']:.0f} MB"),
        ("  entities per second", f"{parse['entities'] / parse['seconds']:,.0f}", ""),
        ("  RSS at start / after reading the file", "", f"{parse['rss_start_mb']:.0f} / "
                                                         f"{parse['rss_loaded_mb']:.0f} MB"),
        ("  check()", "passed" if not parse["check_failed"] else "; ".join(parse["check_failed"]), ""),
    ]
    for kind, r in loads.items():
        rows.append((f"parse and load, {kind} (runs.run_source)", f"{r['seconds']:.2f} s", f"{r['rss_mb']:.0f} MB"))
        rows.append(("  designations listed / notices / figures", f"{r['listed']:,} / {r['notices']} / {r['figures']}",
                     ""))
    common.print_table(f"EU FSF consolidated list, {parse['bytes'] / 1e6:.0f} MB (peak RSS limit {LIMIT_MB} MB)",
                       ("step", "value", "peak RSS"), rows)
    assert parse["entities"] == built and all(r["listed"] == built for r in loads.values()), built
    peaks = [("parse", parse["rss_mb"])] + [(f"parse and load, {k}", r["rss_mb"]) for k, r in loads.items()]
    return [f"{name} peaks at {mb:.0f} MB (target < {LIMIT_MB})" for name, mb in peaks if mb >= LIMIT_MB]


def main() -> int:
    args = common.arguments(__doc__, "+", rows=None)
    args.add_argument("--mb", type=float, default=30.0, help="size of the built file in MB (default 30)")
    options = args.parse_args()
    if options.child:
        kind, *rest = options.child
        print(json.dumps(child_parse(*rest) if kind == "parse" else child_pipeline(*rest)))
        return 0
    from tests import eu_fsf_build

    with tempfile.TemporaryDirectory(prefix="sanctrace-fsf-bench-") as folder:
        path = Path(folder) / "xmlFullSanctionsList_1_1_built.xml"
        built = eu_fsf_build.build_to(path, int(options.mb * 1_000_000))
        parse = common.run_child(__file__, "parse", str(path))
        archive = replay_archive(Path(folder), path)
        loads = {}
        for kind in options.databases.split(","):
            with common.database(kind, "sanctrace_bench_fsf") as url:
                loads[kind] = common.run_child(__file__, "pipeline", str(archive), url)
    missed = report(parse, loads, built)
    print("\ntargets: " + ("all met" if not missed else "MISSED: " + "; ".join(missed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
