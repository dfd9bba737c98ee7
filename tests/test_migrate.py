"""Migrations from several threads at once: collect_all's family flows each bring the warehouse up to date."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, text

from warehouse.engine import SQLITE_PAGE_SIZE, make_engine
from warehouse.migrate import head_revision, upgrade


@pytest.mark.timeout(60)  # without the lock the threads also deadlock
def test_threads_migrating_at_once_all_succeed(tmp_path):
    urls = [f"sqlite:///{tmp_path / f'warehouse-{i % 2}.db'}" for i in range(8)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(upgrade, urls))  # Alembic's global proxies raised KeyError: 'script' here
    for url in set(urls):
        engine = create_engine(url)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == head_revision()
        engine.dispose()


def _page_size(path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA page_size").fetchone()[0]
    finally:
        conn.close()


def test_a_new_sqlite_warehouse_takes_16k_pages_and_an_existing_one_keeps_its_own(tmp_path):
    upgrade(f"sqlite:///{tmp_path / 'new.db'}")
    assert _page_size(tmp_path / "new.db") == SQLITE_PAGE_SIZE == 16384
    old = sqlite3.connect(tmp_path / "old.db")  # a warehouse made before: SQLite's default 4 KiB pages
    old.execute("CREATE TABLE earlier (x INTEGER)")
    old.close()
    upgrade(f"sqlite:///{tmp_path / 'old.db'}")
    assert _page_size(tmp_path / "old.db") == 4096
    with make_engine(f"sqlite:///{tmp_path / 'old.db'}").connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM observation")).scalar_one() == 0
