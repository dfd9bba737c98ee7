"""Benchmark: a million Comtrade-shaped observations through our loader, the database's limit and two peers.

Every contender gets the same generated rows (bench/common.py, in batches of 50,000) in its own
process, into its own fresh database:
- ours: warehouse.loader.load_observations into a migrated warehouse (series, revisions, provenance),
  by load_batch with the document re-read, as a run's load (warehouse/parsed.py) does;
- limit: the same rows into a plain table, SQLite ``executemany`` in one transaction with
  ``synchronous=OFF``, PostgreSQL psycopg ``COPY FROM STDIN``: what the database can take at most;
- to_sql: ``pandas.DataFrame.to_sql`` of each batch into a plain table, one transaction;
- dlt: a ``dlt`` pipeline whose resource yields the batches as lists of dicts;
- schema: the same rows written straight into the migrated ``series`` and ``observation`` tables with
  the driver's bulk path, no classification (bench/schema_limit.py): the schema's own limit, for
  today's schema (``schema``), for revision 0005 (``schema@0005``: the lean fact table with
  PostgreSQL's foreign keys checked row by row, before revision 0006 checks them per statement) and
  for revision 0004, the schema before the lean fact table (``schema@0004``), in the same run.
On PostgreSQL each contender starts after a CHECKPOINT (bench/common.py).
Prints rows/s, peak RSS, ours / limit and ours / the schema's limit, and a last line ``targets: all met``
or what was missed (see docs/PERFORMANCE.md). With ``--rows`` above ``--base-rows`` (a million), ours and
the schema's limit also run at the base size, ``--base-runs`` times (3), and the time per million rows is
printed at both sizes, the base's from its median run.

    .venv/bin/python bench/load.py [--rows 1000000] [--databases sqlite,postgres] [--contenders ours,schema]
        [--base-rows 1000000] [--base-runs 3]
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

CONTENDERS = ("ours", "schema", "schema@0005", "schema@0004", "limit", "to_sql", "dlt")
OLD_SCHEMA = "0004"  # the last revision before the lean fact table
DATES = ("period_start", "period_end", "vintage")
RSS_LIMIT_MB = 400
SCALE_LIMIT = 11  # the 10M load may take at most 11 times the 1M load
PLAIN_COLUMNS = ("indicator TEXT, geo TEXT, partner TEXT, commodity TEXT, flow TEXT, unit TEXT, "
                 "period_start DATE, period_end DATE, value DOUBLE PRECISION, is_count BOOLEAN, method TEXT, "
                 "locator TEXT, raw TEXT, published_unit TEXT, cites_url TEXT, vintage DATE, flags TEXT, "
                 "snapshot_sha256 TEXT")


def prepare_warehouse(url: str):
    """A migrated warehouse holding the bench source and the snapshot every row cites."""
    from warehouse import records
    from warehouse.engine import make_engine
    from warehouse.migrate import upgrade

    upgrade(url)
    engine = make_engine(url)
    records.upsert_sources(engine, [{"id": common.SOURCE_ID, "family": "trade", "publisher": "bench",
                                     "name": "generated Comtrade-shaped rows", "homepage": "", "licence": "",
                                     "cadence": "", "parser_version": "bench-1"}])
    add_document(engine, common.SHA)
    return engine


def add_document(engine, sha: str, url: str = "bench:") -> None:
    """A snapshot of the bench source that generated rows can cite."""
    from datetime import datetime, timezone

    from warehouse import records

    now = datetime.now(timezone.utc)
    records.record_fetch(engine, {"source_id": common.SOURCE_ID, "url": url, "fetched_at": now,
                                  "http_status": 200, "sha256": sha, "mode": "replay"},
                         {"sha256": sha, "source_id": common.SOURCE_ID, "url": url, "fetched_at": now,
                          "http_status": 200, "size_bytes": 0, "storage_uri": url})


def frames(rows: int, revised=frozenset()):
    import pandas as pd

    return (pd.DataFrame(cols) for cols in common.batches(rows, revised))


def run_ours(url: str, rows: int) -> dict:
    from warehouse.loader import LoadContext, load_observations

    engine = prepare_warehouse(url)
    started = time.perf_counter()
    result = load_observations(engine, frames(rows), LoadContext(common.SOURCE_ID, "bench-1"), {common.SHA})
    seconds = time.perf_counter() - started
    assert result.new == rows, f"ours loaded {result.new} new of {rows}"
    return {"seconds": seconds}


def tuples(rows: int, iso_dates: bool = False):
    """Rows as tuples; ``iso_dates`` converts date columns to ISO text once per column, not per value."""
    for cols in common.batches(rows):
        if iso_dates:
            cols = {k: [v.isoformat() if v is not None else None for v in vs] if k in DATES else vs
                    for k, vs in cols.items()}
        yield from zip(*cols.values())


def run_limit_sqlite(url: str, rows: int) -> dict:
    import sqlite3

    conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute(f"CREATE TABLE obs_limit ({PLAIN_COLUMNS})")
    marks = ", ".join("?" * 18)
    started = time.perf_counter()
    conn.execute("BEGIN")
    # Dates as ISO text, as SQLite stores them anyway (and as our loader stages them).
    conn.executemany(f"INSERT INTO obs_limit VALUES ({marks})", tuples(rows, iso_dates=True))
    conn.execute("COMMIT")
    seconds = time.perf_counter() - started
    assert conn.execute("SELECT COUNT(*) FROM obs_limit").fetchone()[0] == rows
    return {"seconds": seconds}


def run_limit_postgres(url: str, rows: int) -> dict:
    import psycopg

    with psycopg.connect(url) as conn:
        conn.execute(f"CREATE TABLE obs_limit ({PLAIN_COLUMNS})")
        conn.commit()
        started = time.perf_counter()
        with conn.cursor().copy("COPY obs_limit FROM STDIN") as copy:
            for row in tuples(rows):
                copy.write_row(row)
        conn.commit()
        seconds = time.perf_counter() - started
        assert conn.execute("SELECT COUNT(*) FROM obs_limit").fetchone()[0] == rows
    return {"seconds": seconds}


def run_to_sql(url: str, rows: int) -> dict:
    from sqlalchemy import create_engine, text

    from warehouse.engine import normalise_url

    engine = create_engine(normalise_url(url))
    started = time.perf_counter()
    with engine.begin() as conn:
        for frame in frames(rows):
            frame.to_sql("obs_to_sql", conn, if_exists="append", index=False)
    seconds = time.perf_counter() - started
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM obs_to_sql")).scalar_one() == rows
    return {"seconds": seconds}


def dicts(rows: int):
    """dlt's standard input: one dict per row (its DataFrame path needs pyarrow, see PERFORMANCE.md)."""
    for cols in common.batches(rows):
        names = list(cols)
        yield [dict(zip(names, row)) for row in zip(*cols.values())]


def run_dlt(url: str, rows: int, kind: str) -> dict:
    import tempfile

    import dlt
    from sqlalchemy.engine import make_url

    # dlt insists on a password; the local server trusts 127.0.0.1 and ignores it.
    with_password = make_url(url).set(password=make_url(url).password or "unused").render_as_string(False)
    destination = (dlt.destinations.postgres(credentials=with_password) if kind == "postgres"
                   else dlt.destinations.sqlalchemy(credentials=url))
    with tempfile.TemporaryDirectory(prefix="sanctrace-dlt-") as folder:
        pipeline = dlt.pipeline(pipeline_name="bench", destination=destination, dataset_name="bench",
                                pipelines_dir=folder)
        started = time.perf_counter()
        pipeline.run(dlt.resource(dicts(rows), name="obs_dlt"))
        seconds = time.perf_counter() - started
    with pipeline.sql_client() as client:
        assert client.execute_sql("SELECT COUNT(*) FROM obs_dlt")[0][0] == rows
    return {"seconds": seconds}


def child(name: str, kind: str, url: str, rows: int) -> None:
    import schema_limit

    runners = {"ours": run_ours, "to_sql": run_to_sql,
               "limit": run_limit_postgres if kind == "postgres" else run_limit_sqlite}
    if name == "dlt":
        result = run_dlt(url, rows, kind)
    elif name.startswith("schema"):
        result = schema_limit.run(url, rows, name.partition("@")[2] or "head")
    else:
        result = runners[name](url, rows)
    print(json.dumps({**result, "rss_mb": common.peak_rss_mb()}))


def measure(kind: str, rows: int, contenders: list[str]) -> dict[str, dict]:
    results = {}
    for name in contenders:
        if name == "dlt" and not dlt_installed():
            continue
        with common.database(kind, "sanctrace_bench_load") as url:
            if kind == "postgres":
                _checkpoint(url)
            results[name] = common.run_child(__file__, name, kind, url, str(rows))
    return results


def _checkpoint(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        common.checkpoint(conn)


def dlt_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("dlt") is not None


def report(kind: str, rows: int, results: dict[str, dict]) -> list[str]:
    """Print one database's table; return the targets it misses."""
    def share(name: str, of: str) -> str:
        return f"{results[of]['seconds'] / results[name]['seconds']:.0%}" if of in results else "-"

    table = [(name, f"{r['seconds']:.2f}", f"{rows / r['seconds']:,.0f}", share(name, "limit"),
              share(name, "schema"), f"{r['rss_mb']:.0f}") for name, r in results.items()]
    common.print_table(f"{kind}: {rows:,} rows", ("contender", "seconds", "rows/s", "of limit",
                                                  "of schema limit", "peak RSS MB"), table)
    return targets(kind, results)


def targets(kind: str, results: dict[str, dict]) -> list[str]:
    seconds = {name: r["seconds"] for name, r in results.items()}
    missed = []
    if "schema" in seconds and "schema@" + OLD_SCHEMA in seconds:
        gain = seconds["schema@" + OLD_SCHEMA] / seconds["schema"]
        if gain < 2:
            missed.append(f"{kind}: the schema's limit is {gain:.2f}x faster than revision {OLD_SCHEMA}'s (target 2x)")
    if "ours" in seconds and "schema" in seconds and seconds["schema"] / seconds["ours"] < 0.8:
        missed.append(f"{kind}: ours is {seconds['schema'] / seconds['ours']:.0%} of the schema's limit (target 80%)")
    missed += [f"{kind}: {peer} is faster than ours" for peer in ("to_sql", "dlt")
               if peer in seconds and "ours" in seconds and seconds[peer] < seconds["ours"]]
    if "ours" in results and results["ours"]["rss_mb"] > RSS_LIMIT_MB:
        missed.append(f"{kind}: ours peaks at {results['ours']['rss_mb']:.0f} MB (target <= {RSS_LIMIT_MB})")
    return missed


def measure_base(kind: str, rows: int, contenders: list[str], runs: int) -> tuple[dict[str, dict], list[str]]:
    """The smaller load the scale run divides by, run ``runs`` times: each contender's median run (its
    seconds and its peak RSS), and a line per contender with every run's seconds. One run of a million rows
    moved by a quarter between runs minutes apart (docs/PERFORMANCE.md, tenth pass), more than any step
    of the load grows from 1M to 10M: one run alone made a poor denominator."""
    measured = [measure(kind, rows, contenders) for _ in range(runs)]
    median, lines = {}, []
    for name in measured[0]:
        ordered = sorted((m[name] for m in measured), key=lambda r: r["seconds"])
        median[name] = ordered[len(ordered) // 2]
        lines.append(f"{kind}: {name} at {rows:,} rows, {runs} runs: "
                     + ", ".join(f"{m[name]['seconds']:.2f}" for m in measured)
                     + f" s; the median, {median[name]['seconds']:.2f} s, is the scale run's base")
    return median, lines


def scale(kind: str, small: dict[str, dict], large: dict[str, dict], rows: int, base: int) -> list[str]:
    """Time per million rows at ``base`` rows and at ``rows``; ours may take at most SCALE_LIMIT x (for 10x the
    rows, in proportion for other sizes)."""
    table = [(name, f"{small[name]['seconds'] / (base / 1e6):.2f}", f"{large[name]['seconds'] / (rows / 1e6):.2f}",
              f"{large[name]['seconds'] / small[name]['seconds']:.1f}", f"{large[name]['rss_mb']:.0f}")
             for name in large if name in small]
    common.print_table(f"{kind}: scale, {base:,} against {rows:,} rows",
                       ("contender", f"s per M at {base / 1e6:g}M", f"s per M at {rows / 1e6:g}M",
                        f"x the {base / 1e6:g}M load", "peak RSS MB"), table)
    ratio = rows / base * SCALE_LIMIT / 10
    return [f"{kind}: {name} at {rows:,} rows takes {large[name]['seconds'] / small[name]['seconds']:.1f}x "
            f"the {base:,}-row load (target <= {ratio:g})" for name in ("ours",)
            if name in large and name in small and large[name]["seconds"] > ratio * small[name]["seconds"]]


def main() -> int:
    parser = common.arguments(__doc__, 4, pick=("--contenders", CONTENDERS))
    parser.add_argument("--base-rows", type=int, default=1_000_000,
                        help="with --rows above it: the smaller load the scale run compares with")
    parser.add_argument("--base-runs", type=int, default=3, help="how many times the smaller load runs")
    options = parser.parse_args()
    if options.child:
        name, kind, url, rows = options.child
        child(name, kind, url, int(rows))
        return 0
    if not dlt_installed():
        print("dlt is not installed (pip install -e '.[bench]'): its rows are left out")
    missed, contenders = [], options.contenders.split(",")
    for kind in options.databases.split(","):
        results = measure(kind, options.rows, contenders)
        missed += report(kind, options.rows, results)
        if options.rows > options.base_rows:
            small, runs = measure_base(kind, options.base_rows, [c for c in contenders if c in ("ours", "schema")],
                                       options.base_runs)
            missed += report(kind, options.base_rows, small)
            print("\n".join(runs))
            missed += scale(kind, small, results, options.rows, options.base_rows)
    print("\ntargets: " + ("all met" if not missed else "MISSED: " + "; ".join(missed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
