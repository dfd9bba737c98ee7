"""Migrations from several threads at once: collect_all's family flows each bring the warehouse up to date."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, text

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
