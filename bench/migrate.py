"""Benchmark: how long revision 0005 (the lean observation row) takes on a warehouse of a million figures.

Each database gets a fresh warehouse at revision 0004, filled with the bench's rows written straight
into its tables (bench/schema_limit.py), then ``warehouse.migrate.upgrade`` to the newest revision is
timed (on SQLite it rebuilds ``snapshot`` and ``observation``; on PostgreSQL it alters them in place).
Afterwards every figure must still name the bench's snapshot. Prints seconds and peak RSS, and a last
line ``targets: all met`` or what was missed (every figure kept and linked).

    .venv/bin/python bench/migrate.py [--rows 1000000] [--databases sqlite,postgres]
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
import schema_limit  # noqa: E402

OLD = "0004"


def child(url: str, rows: int) -> dict:
    from sqlalchemy import text

    from warehouse.engine import make_engine
    from warehouse.migrate import upgrade

    schema_limit.run(url, rows, OLD)
    started = time.perf_counter()
    upgrade(url)
    seconds = time.perf_counter() - started
    with make_engine(url).connect() as conn:
        linked = conn.execute(text("SELECT COUNT(*) FROM observation o JOIN snapshot n ON n.id = o.snapshot_id "
                                   "WHERE n.sha256 = :sha"), {"sha": common.SHA}).scalar_one()
    return {"seconds": seconds, "linked": linked}


def main() -> int:
    options = common.arguments(__doc__, 3).parse_args()
    if options.child:
        kind, url, rows = options.child
        print(json.dumps({**child(url, int(rows)), "rss_mb": common.peak_rss_mb()}))
        return 0
    table, missed = [], []
    for kind in options.databases.split(","):
        with common.database(kind, "sanctrace_bench_migrate") as url:
            result = common.run_child(__file__, kind, url, str(options.rows))
        table.append((kind, f"{result['seconds']:.2f}", f"{result['linked']:,}", f"{result['rss_mb']:.0f}"))
        if result["linked"] != options.rows:
            missed.append(f"{kind}: {result['linked']:,} of {options.rows:,} figures still name their snapshot")
    common.print_table(f"revision {OLD} -> head on {options.rows:,} figures",
                       ("database", "upgrade s", "figures linked after", "peak RSS MB"), table)
    print("\ntargets: " + ("all met" if not missed else "MISSED: " + "; ".join(missed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
