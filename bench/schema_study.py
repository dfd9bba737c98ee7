"""Benchmark: what a leaner ``series`` and ``observation`` would save when writing a million figures.

Each variant is a candidate version of the two tables (and of the small ones they reference), created
with raw DDL in its own fresh database; the bench rows (bench/common.py, every row its own series) are
then written straight into them with the driver's bulk path (SQLite ``executemany``, PostgreSQL
``COPY FROM STDIN``): all series, then all observations, in one transaction, timed from the first row
to the commit. No staging and no classification: the figure is what the tables themselves (their
indexes, foreign keys and CHECKs, the width of their rows) cost, as bench/schema_limit.py measures for
the migrated schema. Building the rows in Python is inside the clock, as it is for the loader.
- v0: the schema of revision 0004 (warehouse/migrations), the baseline: observation cites its snapshot
  by the text sha256 (foreign key, index ix_obs_snapshot) and its source by a foreign key; indexes
  uq_obs_current (partial unique on series, period, source while current), ix_obs_snapshot and
  ix_obs_source_series; series unique on its six text columns.
- v1: v0 with an integer snapshot key (snapshot gets an integer id primary key, sha256 UNIQUE; the
  observation holds ``snapshot_id``) and no foreign key from observation to source.
- v2: v1 without ix_obs_source_series.
- v3: v2 with a series table whose unique key is one 64-bit hash of the six text columns (BLAKE2b,
  computed in Python, inside the clock) instead of the six columns themselves.
- v4: v2 with a narrow observation row: parser_version, flow_run_id, first_seen_at, method,
  published_unit and flags leave the row for a ``load`` table (id, source_id, parser_version,
  flow_run_id, loaded_at) that each observation references by an integer ``load_id`` (foreign key);
  last_seen_at stays in the row. In the bench rows these six are the same for every row; in real
  loads method, published_unit and flags vary per row (transforms/trade.py), so v4 as stated drops
  information: what it saves is an upper bound for a narrow row.
Each variant runs in its own child process (its own peak RSS), one after another in one invocation,
so the ratios are comparable on a shared machine; on PostgreSQL each starts after a CHECKPOINT.
Prints per variant series, observation and total seconds, how many times faster than v0 and peak RSS,
then ``targets: all met`` if some variant is at least 2x faster than v0 on every database, else what
the best one reached; exits 0 either way.

    .venv/bin/python bench/schema_study.py [--rows 1000000] [--databases sqlite,postgres] [--variants v0,v4]
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from hashlib import blake2b
from itertools import repeat
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
from warehouse.loader import SQLITE_CACHE_KIB  # noqa: E402  (common puts the project on the path)

TARGET = 2.0  # some variant must write the rows at least this many times faster than v0
SERIES = ("indicator", "geo", "partner", "commodity", "flow", "unit")
PARSER_VERSION = "bench-1"


@dataclass(frozen=True)
class Shape:
    label: str
    int_snapshot: bool = False  # snapshot_id INTEGER instead of snapshot_sha256 text
    source_fk: bool = True
    source_series_index: bool = True  # ix_obs_source_series
    hashed_series: bool = False  # series unique on one BIGINT hash instead of six text columns
    narrow: bool = False  # per-load columns in ``load``, observation.load_id


VARIANTS = {
    "v0": Shape("revision 0004"),
    "v1": Shape("integer snapshot key, no source FK", int_snapshot=True, source_fk=False),
    "v2": Shape("v1 - ix_obs_source_series", int_snapshot=True, source_fk=False, source_series_index=False),
    "v3": Shape("v2 + 64-bit series key", int_snapshot=True, source_fk=False, source_series_index=False,
                hashed_series=True),
    "v4": Shape("v2 + narrow row, load table", int_snapshot=True, source_fk=False, source_series_index=False,
                narrow=True),
}


def ddl(shape: Shape, postgres: bool) -> list[str]:
    """The variant's tables, typed as the migrations type them on each database."""
    types = {"serial": "SERIAL PRIMARY KEY" if postgres else "INTEGER PRIMARY KEY",
             "real": "DOUBLE PRECISION" if postgres else "FLOAT",
             "ts": "TIMESTAMP WITH TIME ZONE" if postgres else "DATETIME"}
    tables = _provenance_ddl(shape) + _series_ddl(shape) + _observation_ddl(shape)
    return [s.format(**types) for s in tables] + _index_ddl(shape)


def _provenance_ddl(shape: Shape) -> list[str]:
    snapshot = ("CREATE TABLE snapshot (id {serial}, sha256 VARCHAR(64) NOT NULL UNIQUE)" if shape.int_snapshot
                else "CREATE TABLE snapshot (sha256 VARCHAR(64) PRIMARY KEY)")
    load = ("CREATE TABLE load (id {serial}, source_id VARCHAR NOT NULL REFERENCES source (id), "
            "parser_version VARCHAR NOT NULL, flow_run_id VARCHAR, loaded_at {ts} NOT NULL)")
    return ["CREATE TABLE source (id VARCHAR PRIMARY KEY)", snapshot] + ([load] if shape.narrow else [])


def _series_ddl(shape: Shape) -> list[str]:
    texts = ", ".join(f"{c} VARCHAR NOT NULL" for c in SERIES)
    key = (", key BIGINT NOT NULL UNIQUE" if shape.hashed_series
           else f", CONSTRAINT uq_series UNIQUE ({', '.join(SERIES)})")
    return [f"CREATE TABLE series (id {{serial}}, {texts}{key})"]


def _observation_ddl(shape: Shape) -> list[str]:
    snapshot = ("snapshot_id INTEGER REFERENCES snapshot (id)" if shape.int_snapshot
                else "snapshot_sha256 VARCHAR REFERENCES snapshot (sha256)")
    per_load = ("load_id INTEGER NOT NULL REFERENCES load (id)" if shape.narrow else
                "method VARCHAR NOT NULL, published_unit VARCHAR NOT NULL, parser_version VARCHAR NOT NULL, "
                "flow_run_id VARCHAR, first_seen_at {ts} NOT NULL, flags VARCHAR NOT NULL")
    checks = ["period_start <= period_end",
              "superseded_reason IS NULL OR superseded_reason IN ('revised', 'older_release', 'withdrawn')",
              "(superseded_at IS NULL) = (superseded_reason IS NULL)",
              "superseded_run_id IS NULL OR superseded_at IS NOT NULL",
              "NOT is_count OR value IS NULL OR value >= 0"] + ([] if shape.narrow else
                                                              ["method IN ('published', 'derived')"])
    return [f"""CREATE TABLE observation (id {{serial}}, series_id INTEGER NOT NULL REFERENCES series (id),
        period_start DATE NOT NULL, period_end DATE NOT NULL, value {{real}}, is_count BOOLEAN NOT NULL,
        source_id VARCHAR NOT NULL{'' if not shape.source_fk else ' REFERENCES source (id)'}, {snapshot},
        locator VARCHAR NOT NULL, raw VARCHAR NOT NULL, {per_load}, last_seen_at {{ts}} NOT NULL,
        superseded_at {{ts}}, superseded_reason VARCHAR, superseded_run_id VARCHAR, cites_url VARCHAR,
        vintage DATE, {', '.join(f'CHECK ({c})' for c in checks)})"""]


def _index_ddl(shape: Shape) -> list[str]:
    snapshot = "snapshot_id" if shape.int_snapshot else "snapshot_sha256"
    out = ["CREATE UNIQUE INDEX uq_obs_current ON observation (series_id, period_start, period_end, source_id) "
           "WHERE superseded_at IS NULL", f"CREATE INDEX ix_obs_snapshot ON observation ({snapshot})"]
    return out + (["CREATE INDEX ix_obs_source_series ON observation (source_id, series_id)"]
                  if shape.source_series_index else [])


def series_key(names: tuple[str, ...]) -> int:
    """A signed 64-bit hash of a series' six names (BIGINT is signed on both databases)."""
    digest = blake2b("\x1f".join(names).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def series_rows(shape: Shape, rows: int):
    for start, cols in common.numbered_batches(rows):
        numbered = zip(range(start + 1, start + 1 + len(cols["unit"])), zip(*(cols[c] for c in SERIES)))
        if shape.hashed_series:
            yield from ((i, *names, series_key(names)) for i, names in numbered)
        else:
            yield from ((i, *names) for i, names in numbered)


def series_columns(shape: Shape) -> list[str]:
    return ["id", *SERIES] + (["key"] if shape.hashed_series else [])


def observation_columns(shape: Shape) -> list[str]:
    per_load = ["load_id"] if shape.narrow else ["method", "published_unit", "parser_version", "flow_run_id",
                                                 "first_seen_at", "flags"]
    snapshot = "snapshot_id" if shape.int_snapshot else "snapshot_sha256"
    return ["series_id", "period_start", "period_end", "value", "is_count", "source_id", snapshot, "locator",
            "raw", *per_load, "last_seen_at", "cites_url", "vintage"]


def observation_rows(shape: Shape, rows: int, postgres: bool, keys: dict):
    """Rows in observation_columns' order; ``keys``: the snapshot's and the load's keys and the stamp."""
    names = observation_columns(shape)
    for start, cols in common.numbered_batches(rows):
        n = len(cols["unit"])
        if not postgres:  # SQLite keeps dates as ISO text, as the loader binds them
            cols.update({k: [d.isoformat() if d else None for d in cols[k]]
                         for k in ("period_start", "period_end", "vintage")})
        values = {**cols, **{k: repeat(v, n) for k, v in keys.items()},
                  "series_id": range(start + 1, start + 1 + n)}
        yield from zip(*(values[name] for name in names))


def _provenance(conn, shape: Shape, postgres: bool) -> dict:
    """The one source, snapshot (and load) every row cites; returns the constant column values."""
    now = datetime.now(timezone.utc)
    stamp = now if postgres else now.strftime("%Y-%m-%d %H:%M:%S.%f")  # SQLAlchemy's SQLite format
    mark = "%s" if postgres else "?"
    conn.execute(f"INSERT INTO source (id) VALUES ({mark})", (common.SOURCE_ID,))
    conn.execute(f"INSERT INTO snapshot (sha256) VALUES ({mark})", (common.SHA,))
    keys = {"source_id": common.SOURCE_ID, "last_seen_at": stamp, "parser_version": PARSER_VERSION,
            "flow_run_id": None, "first_seen_at": stamp,
            "snapshot_sha256": common.SHA, "snapshot_id": 1 if shape.int_snapshot else None}
    if shape.narrow:
        conn.execute(f"INSERT INTO load (source_id, parser_version, flow_run_id, loaded_at) "
                     f"VALUES ({mark}, {mark}, NULL, {mark})", (common.SOURCE_ID, PARSER_VERSION, stamp))
        keys["load_id"] = 1
    return keys


def _connect(kind: str, url: str):
    if kind == "postgres":
        import psycopg

        return psycopg.connect(url)
    import sqlite3

    conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    # As warehouse/engine.py opens the warehouse and warehouse/loader.py tunes it for a load.
    for pragma in ("journal_mode=WAL", "foreign_keys=ON", f"cache_size=-{SQLITE_CACHE_KIB}"):
        conn.execute(f"PRAGMA {pragma}")
    return conn


def run(variant: str, kind: str, url: str, rows: int) -> dict:
    shape, postgres = VARIANTS[variant], kind == "postgres"
    conn = _connect(kind, url)
    try:
        keys = _create(conn, shape, postgres)
        seconds = _write_all(conn, shape, postgres, rows, keys)
        counts = [conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("series", "observation")]
    finally:
        conn.close()
    assert counts == [rows, rows], counts
    return seconds


def _create(conn, shape: Shape, postgres: bool) -> dict:
    """The variant's empty tables and its provenance rows, committed before the clock starts."""
    for statement in ddl(shape, postgres):
        conn.execute(statement)
    keys = _provenance(conn, shape, postgres)
    conn.commit()
    if postgres:
        common.checkpoint(conn)
    return keys


def _write_all(conn, shape: Shape, postgres: bool, rows: int, keys: dict) -> dict:
    started = time.perf_counter()
    if not postgres:
        conn.execute("BEGIN")  # the connection autocommits otherwise (isolation_level=None)
    common.bulk_write(conn, postgres, "series", series_columns(shape), series_rows(shape, rows))
    halfway = time.perf_counter()
    common.bulk_write(conn, postgres, "observation", observation_columns(shape),
                      observation_rows(shape, rows, postgres, keys))
    conn.commit()
    ended = time.perf_counter()
    return {"series": halfway - started, "observation": ended - halfway, "total": ended - started}


def measure(kind: str, rows: int, variants: list[str]) -> dict[str, dict]:
    results = {}
    for variant in variants:
        with common.database(kind, "sanctrace_bench_schema") as url:
            results[variant] = common.run_child(__file__, variant, kind, url, str(rows))
    return results


def report(kind: str, rows: int, results: dict[str, dict]) -> None:
    base = results.get("v0", {}).get("total")
    table = [(f"{v} {VARIANTS[v].label}", f"{r['series']:.2f}", f"{r['observation']:.2f}", f"{r['total']:.2f}",
              f"{base / r['total']:.2f}" if base else "-", f"{r['rss_mb']:.0f}") for v, r in results.items()]
    common.print_table(f"{kind}: {rows:,} rows, series then observations, one transaction",
                       ("variant", "series s", "observation s", "total s", "x faster than v0",
                        "peak RSS MB"), table)


def targets(by_kind: dict[str, dict[str, dict]]) -> str:
    """All met if one variant is TARGET times faster than v0 on every database; else the best one's ratios."""
    if any("v0" not in results for results in by_kind.values()):
        return "targets: MISSED: v0 was not measured, so no variant can be compared with it"
    gains = {v: {kind: results["v0"]["total"] / results[v]["total"] for kind, results in by_kind.items()}
             for v in VARIANTS if v != "v0" and all(v in results for results in by_kind.values())}
    if not gains:
        return "targets: MISSED: no variant besides v0 was measured"
    best = max(gains, key=lambda v: min(gains[v].values()))
    if min(gains[best].values()) >= TARGET:
        return "targets: all met"
    ratios = ", ".join(f"{kind} {gain:.2f}x" for kind, gain in gains[best].items())
    return f"targets: MISSED: no variant is {TARGET:g}x faster than v0 on every database; best {best}: {ratios}"


def main() -> int:
    options = common.arguments(__doc__, 4, pick=("--variants", VARIANTS)).parse_args()
    if options.child:
        variant, kind, url, rows = options.child
        print(json.dumps({**run(variant, kind, url, int(rows)), "rss_mb": common.peak_rss_mb()}))
        return 0
    by_kind = {}
    for kind in options.databases.split(","):
        by_kind[kind] = measure(kind, options.rows, options.variants.split(","))
        report(kind, options.rows, by_kind[kind])
    print("\n" + targets(by_kind))
    return 0


if __name__ == "__main__":
    sys.exit(main())
