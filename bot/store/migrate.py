"""Alembic migrations, run from keephome itself (`keephome db upgrade`, and every command on SQLite)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import make_url
from sqlalchemy.engine import Connection

from bot.paths import MIGRATIONS_DIR
from bot.store.db import Database

__all__ = ["SchemaBehind", "current_revision", "ensure_current", "head_revision", "prepare", "shown", "upgrade"]


class SchemaBehind(Exception):
    """The database schema is older than this version of keephome."""


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str | None:
    """The newest migration this code knows."""
    return ScriptDirectory.from_config(_config()).get_current_head()


def _upgrade_sync(connection: Connection) -> None:
    cfg = _config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, "head")


def _current_sync(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def upgrade(db: Database) -> None:
    """Bring the schema to the newest revision."""
    async with db.writer.connect() as conn:
        await conn.run_sync(_upgrade_sync)
        await conn.commit()


async def current_revision(db: Database) -> str | None:
    """The revision the database is at (None when it is empty)."""
    async with db.reader.connect() as conn:
        return await conn.run_sync(_current_sync)


def shown(url: str) -> str:
    """The database URL as an operator may read it: never the password."""
    return make_url(url).render_as_string(hide_password=True)


async def ensure_current(db: Database) -> None:
    """Raise SchemaBehind unless the database is at the newest revision."""
    current = await current_revision(db)
    head = head_revision()
    if current is None:
        raise SchemaBehind(f"{shown(db.url)} is an empty database: run `keephome db upgrade` first")
    if current != head:
        raise SchemaBehind(
            f"the schema of {shown(db.url)} is at revision {current}, this keephome needs {head}: "
            "run `keephome db upgrade` first"
        )


async def prepare(db: Database) -> str | None:
    """Make the schema ready for a command: None when it is, else the problem to show the operator.

    An embedded SQLite file is migrated on the spot; a PostgreSQL schema that is behind is refused, because
    several processes share it and must not race a migration (`keephome db upgrade` does it once).
    """
    if db.is_sqlite:
        await upgrade(db)
        return None
    try:
        await ensure_current(db)
    except SchemaBehind as exc:
        return str(exc)
    return None
