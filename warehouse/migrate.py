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


class SchemaBehind(RuntimeError):
    """The warehouse is not at the newest schema: runs refuse to load into it."""


def current_revision(url: str) -> str | None:
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy.exc import SQLAlchemyError

    from warehouse.engine import engine_for

    try:
        with engine_for(url).connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except SQLAlchemyError as exc:
        raise SchemaBehind(f"cannot read the warehouse's schema version at {_safe(url)}: {exc}") from None


def check_at_head(url: str) -> None:
    current, head = current_revision(url), head_revision()
    if current != head:
        raise SchemaBehind(f"the warehouse {_safe(url)} is at schema {current or 'none'}, the code needs {head}: "
                           "run `sanctrace migrate` (make serve and make run do) before running flows")


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
