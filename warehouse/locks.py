"""Named locks held in the warehouse's own database, across processes and machines.

``hold(engine, names)`` waits until this caller alone holds every named lock, and keeps them until the
block ends. A waiter wakes as soon as the holder lets go (no polling of a remote service), and a holder
that dies lets go with it:

- PostgreSQL: a session-level advisory lock (``pg_advisory_lock``) on a connection of its own. The
  server wakes the next waiter the moment the lock is released; ``lock_timeout`` bounds the wait. The
  lock belongs to the session, so a crashed holder's lock ends with its connection (the server's TCP
  keepalives, set short on these sessions, also end a session whose machine vanished). A session lock
  needs a real session: behind PgBouncer, use session pooling (transaction pooling would hand the lock's
  session to other clients).
- SQLite: an exclusive ``flock`` on a file beside the database (``<db>-lock-<name>``), the same kind of
  operating-system lock SQLite itself uses for its write lock. Every process that writes a SQLite file
  (in WAL mode) must be on the machine that holds it, so a file lock reaches every possible writer. The
  kernel drops it when the holder's process ends, however it ends. SQLite's own write lock is not used
  for this: it is database-wide and taken per transaction, so holding it across a family's loads would
  block the loads themselves; a lease row renewed in the warehouse would wait behind a long load for
  that same write lock and could expire while its holder is still loading.
"""

from __future__ import annotations

import fcntl
import os
import re
import time
import zlib
from contextlib import ExitStack, contextmanager, suppress
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from sqlalchemy import URL, Engine, create_engine, text
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.pool import NullPool

# The first key of every sanctrace lock in PostgreSQL's two-key advisory space ("ST"), so that no other
# user of advisory locks on the same database (nor the loader's one-key per-source locks) shares it.
PG_NAMESPACE = 0x5354
SQLITE_POLL_SECONDS = 0.01  # a local flock attempt costs microseconds; a waiter wakes within 10 ms
NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


class LockTimeout(RuntimeError):
    def __init__(self, name: str, seconds: float):
        super().__init__(f"lock {name!r} still held by another run after waiting {seconds:g} s")
        self.name = name


@contextmanager
def hold(engine: Engine, names: list[str], timeout: float) -> Iterator[float]:
    """Hold every named lock (taken in sorted order, so two callers never deadlock); yields the
    seconds spent waiting. No names: nothing is taken and no connection is opened."""
    names = sorted(set(names))
    for name in names:
        if not NAME.match(name):
            raise ValueError(f"lock name {name!r}: use lower-case letters, digits, '-', '_' or '.'")
    if not names:
        yield 0.0
        return
    started = time.monotonic()
    take = _postgres if engine.dialect.name == "postgresql" else _sqlite
    with take(engine, names, started + timeout, timeout):
        yield time.monotonic() - started


@contextmanager
def _postgres(engine: Engine, names: list[str], deadline: float, timeout: float) -> Iterator[None]:
    conn = _lock_engine(engine.url).connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        for name in names:
            left = max(1, int((deadline - time.monotonic()) * 1000))
            conn.exec_driver_sql(f"SET lock_timeout = {left}")
            try:
                conn.execute(text("SELECT pg_advisory_lock(:ns, :key)"), {"ns": PG_NAMESPACE, "key": pg_key(name)})
            except OperationalError as exc:
                if getattr(exc.orig, "sqlstate", None) == "55P03":  # lock_not_available
                    raise LockTimeout(name, timeout) from None
                raise
        yield
    finally:
        with suppress(SQLAlchemyError):  # at once, not when the session ends (a broken one already has)
            conn.exec_driver_sql("SELECT pg_advisory_unlock_all()")
        conn.close()


@lru_cache(maxsize=8)
def _lock_engine(url: URL) -> Engine:
    """Connections of their own, outside the warehouse engine's pool: a lock lives exactly as long as its
    connection, and a pooled connection can never carry a forgotten lock to someone else. Short server-side
    TCP keepalives (sent with the connection's start-up) end the session of a holder whose machine vanished
    within about a minute."""
    return create_engine(url, poolclass=NullPool, connect_args={
        "options": "-c tcp_keepalives_idle=30 -c tcp_keepalives_interval=10 -c tcp_keepalives_count=3"})


def pg_key(name: str) -> int:
    """The name's second key (int4). Two names sharing a key only wait for each other: never unsafe."""
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


@contextmanager
def _sqlite(engine: Engine, names: list[str], deadline: float, timeout: float) -> Iterator[None]:
    database = engine.url.database
    if not database or database == ":memory:":
        raise ValueError("locks need a SQLite warehouse in a file (another process cannot reach :memory:)")
    with ExitStack() as stack:
        for name in names:
            stack.enter_context(_flock(Path(f"{database}-lock-{name}"), name, deadline, timeout))
        yield


@contextmanager
def _flock(path: Path, name: str, deadline: float, timeout: float) -> Iterator[None]:
    # flock (not fcntl/lockf): it belongs to this open file, so two holders in one process exclude each
    # other too, and closing another descriptor of the file does not drop it. The file is never deleted
    # (deleting a lock file lets two holders lock two different files).
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockTimeout(name, timeout) from None
                time.sleep(SQLITE_POLL_SECONDS)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
