"""Run Alembic migrations without an alembic.ini on the command line."""

from __future__ import annotations

import threading
from pathlib import Path

from alembic import command
from alembic.config import Config

from warehouse.engine import normalise_url

MIGRATIONS = Path(__file__).with_name("migrations")
# Alembic's `context` and `op` are module-global proxies: two threads migrating at once (family flows
# of one collect_all run) corrupt each other's ("KeyError: 'script'"). One migration at a time per process.
_ONE_AT_A_TIME = threading.Lock()


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    with _ONE_AT_A_TIME:
        command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    with _ONE_AT_A_TIME:
        command.downgrade(alembic_config(url), revision)


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
