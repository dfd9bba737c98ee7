"""Benchmark: `sanctrace figures` exports of a million figures, in bounded memory.

A fresh warehouse per database is filled with the generated Comtrade-shaped rows (bench/common.py,
through our loader, in a child process); then each export runs in its own child process, so its peak RSS
(ru_maxrss) is its own: CSV, Parquet and JSON lines of every current figure with its provenance
columns, as `sanctrace figures --csv/--parquet/--json` writes them. "baseline" is a child that only
imports what an export imports. Prints rows/s, file size and peak RSS; a miss of the target
(peak RSS < 400 MB, every row written) is printed under "targets".

    .venv/bin/python bench/export.py [--rows 1000000] [--databases sqlite,postgres]
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

EXPORTS = ("baseline", "csv", "parquet", "json")
RSS_LIMIT_MB = 400


def fill(url: str, rows: int) -> dict:
    from load import prepare_warehouse
    from warehouse.loader import LoadContext, load_observations

    import pandas as pd

    engine = prepare_warehouse(url)
    started = time.perf_counter()
    frames = (pd.DataFrame(cols) for cols in common.batches(rows))
    result = load_observations(engine, frames, LoadContext(common.SOURCE_ID, "bench-1"))
    assert result.new == rows, f"loaded {result.new} new of {rows}"
    return {"seconds": time.perf_counter() - started}


def export(name: str, url: str, target: Path) -> dict:
    from sanctrace import figures
    from warehouse.engine import reader_for

    if name == "baseline":
        import pyarrow.parquet  # noqa: F401  (what the Parquet export imports)
        return {"seconds": 0.0, "rows": 0, "bytes": 0}
    engine = reader_for(url)
    started = time.perf_counter()
    filters = figures.check(engine, figures.Wanted())
    if name == "csv":
        n = figures.write_csv(engine, filters, target)
    elif name == "parquet":
        n = figures.write_parquet(engine, filters, target)
    else:
        with open(target, "w", encoding="utf-8") as out:
            n = figures.write_json(engine, filters, out)
    return {"seconds": time.perf_counter() - started, "rows": n, "bytes": target.stat().st_size}


def child(name: str, url: str, rows: int, target: str) -> None:
    result = fill(url, rows) if name == "fill" else export(name, url, Path(target))
    print(json.dumps({**result, "rss_mb": common.peak_rss_mb()}))


def measure(kind: str, rows: int) -> tuple[dict, dict[str, dict]]:
    with common.database(kind, "sanctrace_bench_export") as url, \
            tempfile.TemporaryDirectory(prefix="sanctrace-export-") as folder:
        filled = common.run_child(__file__, "fill", url, str(rows), "-")
        results = {}
        for name in EXPORTS:
            target = Path(folder) / f"figures.{name}"
            results[name] = common.run_child(__file__, name, url, str(rows), str(target))
            target.unlink(missing_ok=True)
    return filled, results


def report(kind: str, rows: int, filled: dict, results: dict[str, dict]) -> list[str]:
    """Print one database's table; return the targets it misses."""
    table = [(name, f"{r['seconds']:.2f}", f"{r['rows'] / r['seconds']:,.0f}" if r["rows"] else "-",
              f"{r['bytes'] / 1e6:.0f}" if r["bytes"] else "-", f"{r['rss_mb']:.0f}") for name, r in results.items()]
    common.print_table(f"{kind}: export of {rows:,} figures (warehouse filled in {filled['seconds']:.1f} s)",
                       ("export", "seconds", "rows/s", "file MB", "peak RSS MB"), table)
    missed = []
    for name, r in results.items():
        if r["rss_mb"] >= RSS_LIMIT_MB:
            missed.append(f"{kind}: {name} peaks at {r['rss_mb']:.0f} MB (target < {RSS_LIMIT_MB})")
        if name != "baseline" and r["rows"] != rows:
            missed.append(f"{kind}: {name} wrote {r['rows']:,} of {rows:,} rows")
    return missed


def main() -> int:
    args = common.arguments(__doc__, 4)
    options = args.parse_args()
    if options.child:
        name, url, rows, target = options.child
        child(name, url, int(rows), target)
        return 0
    missed = []
    for kind in options.databases.split(","):
        missed += report(kind, options.rows, *measure(kind, options.rows))
    print("\ntargets: " + ("all met" if not missed else "MISSED: " + "; ".join(missed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
