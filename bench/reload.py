"""Benchmark: the same million observations loaded again, unchanged, and with 1% of the values revised.

In one process per database, into a fresh warehouse (bench/common.py rows, bench/load.py set-up):
1. first load (everything new);
2. the same rows again through the loader: must add nothing (every row "unchanged");
3. the same snapshot seen again by the pipeline, which skips parsing and only records that its figures
   were seen (``warehouse.sightings.record_unchanged``, what ``pipeline.load_source`` does for a parsed
   snapshot);
4. the same rows in a new document (another sha256: a publisher's re-issue with the same values);
5. the rows with every 100th value changed: must supersede exactly those and add one version each.
Steps 2 to 4 move every figure's last seen (revision 0007: once per document, warehouse/sightings.py).
Prints time and rows/s per step; exits 0 (missed targets are printed).

    .venv/bin/python bench/reload.py [--rows 1000000] [--databases sqlite,postgres]
"""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
import load  # noqa: E402


def timed(step):
    started = time.perf_counter()
    result = step()
    return result, time.perf_counter() - started


REISSUE = "c" * 64  # the sha256 of a re-issue of the bench document with the same values


def touch(engine) -> int:
    from warehouse import sightings

    with engine.begin() as conn:
        return sightings.record_unchanged(conn, common.SOURCE_ID, [common.SHA], datetime.now(timezone.utc))


def child(url: str, rows: int) -> dict:
    from sqlalchemy import text

    from warehouse.loader import LoadContext, load_observations

    engine = load.prepare_warehouse(url)
    ctx = lambda: LoadContext(common.SOURCE_ID, "bench-1")  # noqa: E731 (a fresh "now" per load)
    revised = common.revised_rows(rows)
    read = {common.SHA}  # what a run's load re-reads (warehouse/parsed.py): the document it parsed ...
    first, t_first = timed(lambda: load_observations(engine, load.frames(rows), ctx(), read))
    again, t_again = timed(lambda: load_observations(engine, load.frames(rows), ctx(), read))
    touched, t_touch = timed(lambda: touch(engine))
    load.add_document(engine, REISSUE, "bench:reissue")
    reissued, t_reissue = timed(lambda: load_observations(  # ... and a new version's previous one
        engine, (frame.assign(snapshot_sha256=REISSUE) for frame in load.frames(rows)), ctx(), read | {REISSUE}))
    changed, t_revised = timed(lambda: load_observations(engine, load.frames(rows, revised), ctx(), read))
    with engine.connect() as conn:
        total = conn.execute(text("SELECT COUNT(*) FROM observation")).scalar_one()
        superseded = conn.execute(text("SELECT COUNT(*) FROM observation WHERE superseded_at IS NOT NULL")
                                  ).scalar_one()
    assert first.new == rows, first
    assert (again.new, again.revised, again.unchanged) == (0, 0, rows), (again.new, again.revised)
    assert touched == rows, touched
    assert (reissued.new, reissued.revised, reissued.unchanged) == (0, 0, rows)
    assert (changed.new, changed.revised, changed.unchanged) == (0, len(revised), rows - len(revised))
    assert (total, superseded) == (rows + len(revised), len(revised)), (total, superseded)
    return {"first": t_first, "unchanged": t_again, "touch": t_touch, "reissue": t_reissue, "revised": t_revised,
            "n_revised": len(revised), "total": total, "superseded": superseded, "rss_mb": common.peak_rss_mb()}


def report(kind: str, rows: int, r: dict) -> list[str]:
    steps = [("first load (all new)", r["first"], f"{rows:,} new"),
             ("same rows again (loader)", r["unchanged"], "0 new, 0 revised"),
             ("same snapshot again (pipeline skip)", r["touch"], f"{rows:,} seen again"),
             ("same rows, new document", r["reissue"], "0 new, 0 revised"),
             ("1% of values revised", r["revised"], f"{r['n_revised']:,} superseded, {r['n_revised']:,} added")]
    table = [(name, f"{s:.2f}", f"{rows / s:,.0f}", f"{s / r['first']:.2f}", what) for name, s, what in steps]
    common.print_table(f"{kind}: reload of {rows:,} rows (peak RSS {r['rss_mb']:.0f} MB; "
                       f"observation rows after: {r['total']:,}, superseded {r['superseded']:,})",
                       ("step", "seconds", "rows/s", "x first", "result"), table)
    if r["unchanged"] > r["first"]:
        return [f"{kind}: unchanged re-load takes {r['unchanged'] / r['first']:.2f}x the first load (target <= 1)"]
    return []


def main() -> int:
    args = common.arguments(__doc__, 2)
    options = args.parse_args()
    if options.child:
        print(json.dumps(child(options.child[0], int(options.child[1]))))
        return 0
    missed = []
    for kind in options.databases.split(","):
        with common.database(kind, "sanctrace_bench_reload") as url:
            missed += report(kind, options.rows, common.run_child(__file__, url, str(options.rows)))
    print("\ntargets: " + ("all met" if not missed else "MISSED: " + "; ".join(missed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
