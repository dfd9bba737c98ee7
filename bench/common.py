"""Shared by the benches: a table printer, one subprocess per contender, throwaway databases, test rows.

Each contender runs in its own child process (``--child NAME``) that prints one JSON line, so its
peak RSS (ru_maxrss) is its own and not the parent's or another contender's.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import uuid
from datetime import date
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PG_ENV = "SANCTRACE_TEST_POSTGRES_URL"
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"
BATCH = 50_000
SOURCE_ID = "un-comtrade-bench"
SHA = "b" * 64  # the one snapshot every generated row cites
# Annual HS 6-digit data for one reporter: every row its own series (partner x HS code x flow).
PARTNERS = 250
HS_CODES = 2_000
FLOWS = ("export", "import", "re-export", "re-import")
# Past 2,000,000 rows (partners x codes x flows) the next reporter's rows begin, so that every row stays
# its own series at 10 million rows too (a million rows are all Kazakhstan's, as before).
REPORTERS = ("KAZ", "KGZ", "UZB", "ARM", "GEO", "AZE", "TJK", "MNG", "TUR", "ARE")


def peak_rss_mb() -> float:
    """This process's peak resident set size (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def print_table(title: str, header: tuple[str, ...], rows: list[tuple]) -> None:
    cells = [tuple(str(c) for c in header)] + [tuple(str(c) for c in r) for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    print(f"\n{title}")
    for n, row in enumerate(cells):
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
        if n == 0:
            print("  ".join("-" * w for w in widths))
    sys.stdout.flush()


def run_child(script: str, *args: str, env: dict[str, str] | None = None) -> dict:
    """Run ``script --child ...`` in a fresh interpreter; its last stdout line is its JSON result."""
    out = subprocess.run([sys.executable, script, "--child", *args], capture_output=True, text=True,
                         env={**os.environ, **(env or {})})
    if out.returncode != 0:
        raise RuntimeError(f"{Path(script).name} {' '.join(args)} failed ({out.returncode}):\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def checkpoint(conn) -> None:
    """Start a measurement with no dirty pages or WAL left by the one before: a million rows write
    more WAL than max_wal_size allows between checkpoints, so otherwise where the checkpoints fall
    (inside one contender's clock, not inside another's) would move the ratios."""
    import psycopg

    try:
        conn.execute("CHECKPOINT")
    except psycopg.errors.InsufficientPrivilege:  # needs superuser or pg_checkpoint: measure without
        conn.rollback()


def pg_base() -> str:
    return os.environ.get(PG_ENV, PG_DEFAULT)


@contextlib.contextmanager
def postgres_database(prefix: str) -> Iterator[str]:
    """A new empty database on the local server, dropped afterwards (as tests/conftest.py does)."""
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_base(), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield make_url(pg_base()).set(database=name).render_as_string(hide_password=False)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def sqlite_database(prefix: str) -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix=f"{prefix}-") as folder:
        yield f"sqlite:///{Path(folder) / 'warehouse.db'}"


def database(kind: str, prefix: str):
    return postgres_database(prefix) if kind == "postgres" else sqlite_database(prefix)


def columns(start: int, stop: int, revised: frozenset[int] = frozenset()) -> dict[str, list]:
    """Rows start..stop-1 as Comtrade-shaped columns (the loader's STAGE_COLS), deterministically.

    Row i is reporter KAZ (the next reporter for each further 2,000,000 rows), partner P<i % 250>, HS
    code <i // 250 % 2000> as six digits, one of four flows, year 2023, value in USD; rows in
    ``revised`` get a different value (a revision).
    """
    per_reporter = PARTNERS * HS_CODES * len(FLOWS)
    idx = range(start, stop)
    values = [float((i * 7919) % 1_000_003) + (1.5 if i in revised else 0.0) for i in idx]
    n = stop - start
    return {
        "indicator": ["trade_value"] * n, "geo": [REPORTERS[i // per_reporter] for i in idx],
        "partner": [f"P{i % PARTNERS:03d}" for i in idx],
        "commodity": [f"{(i // PARTNERS) % HS_CODES * 37 % 999_999:06d}" for i in idx],
        "flow": [FLOWS[i // (PARTNERS * HS_CODES) % len(FLOWS)] for i in idx],
        "unit": ["USD"] * n, "period_start": [date(2023, 1, 1)] * n, "period_end": [date(2023, 12, 31)] * n,
        "value": values, "is_count": [False] * n, "method": ["published"] * n,
        "locator": [f"csv:row={i + 2};col=primaryValue" for i in idx],
        "raw": [f"{v:.1f}" for v in values], "published_unit": ["USD"] * n, "cites_url": [None] * n,
        "vintage": [None] * n, "flags": [""] * n, "snapshot_sha256": [SHA] * n,
    }


def batches(rows: int, revised: frozenset[int] = frozenset()) -> Iterator[dict[str, list]]:
    """The rows in batches of BATCH, so no contender ever holds all of them at once."""
    for start in range(0, rows, BATCH):
        yield columns(start, min(rows, start + BATCH), revised)


def numbered_batches(rows: int) -> Iterator[tuple[int, dict[str, list]]]:
    """``batches`` with the number of the first row of each."""
    start = 0
    for cols in batches(rows):
        yield start, cols
        start += len(cols["unit"])


def bulk_write(conn, postgres: bool, table: str, names: list[str], rows) -> None:
    """Rows into a table by the driver's bulk path: psycopg ``COPY``, sqlite3 ``executemany``
    (``conn``: the driver's own connection)."""
    columns = ", ".join(names)
    if postgres:
        with conn.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    conn.executemany(f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' * len(names))})", rows)


def revised_rows(rows: int, share: float = 0.01) -> frozenset[int]:
    """Every 100th row (1%), spread over the whole file."""
    step = round(1 / share)
    return frozenset(range(0, rows, step))


def arguments(doc: str, child_args: int | str, rows: int | None = 1_000_000,
              pick: tuple[str, tuple[str, ...]] | None = None) -> argparse.ArgumentParser:
    """A bench's command line: --databases, --rows where it takes a row count, ``pick`` (an option name
    and what it may list, all by default: ``("--contenders", CONTENDERS)``), and the hidden --child
    (``child_args`` values) with which it starts each measurement in a fresh process."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    if rows is not None:
        parser.add_argument("--rows", type=int, default=rows)
    if pick is not None:
        name, names = pick
        parser.add_argument(name, default=",".join(names), help="comma-separated: " + ", ".join(names))
    parser.add_argument("--databases", default="sqlite,postgres", help="comma-separated: sqlite, postgres")
    parser.add_argument("--child", nargs=child_args, help=argparse.SUPPRESS)
    return parser
