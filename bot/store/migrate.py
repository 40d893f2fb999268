"""Alembic migrations, run from keephome itself (`keephome db upgrade`, and every command on SQLite)."""

from __future__ import annotations

import asyncio
import logging
import os
import string
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache, partial

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import make_url
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.paths import MIGRATIONS_DIR
from bot.store.db import Database

__all__ = [
    "DatabaseUnreachable",
    "SchemaAhead",
    "SchemaBehind",
    "current_revision",
    "ensure_current",
    "first_schema",
    "head_revision",
    "migrated",
    "prepare",
    "shown",
    "upgrade",
]


log = logging.getLogger(__name__)


class SchemaBehind(Exception):
    """The database schema is older than this version of keephome."""


class SchemaAhead(Exception):
    """The database schema is newer than this version of keephome: a newer keephome migrated it."""


class DatabaseUnreachable(Exception):
    """keephome could not connect to the database, or open its file: one line naming `KEEPHOME_DATABASE_URL`."""


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


@cache
def _scripts() -> ScriptDirectory:
    """The migrations this code ships, read once a process: reading them (every file of bot/migrations) took about
    45 ms, and each command's schema check asked twice."""
    return ScriptDirectory.from_config(_config())


def head_revision() -> str | None:
    """The newest migration this code knows."""
    return _scripts().get_current_head()


def _known(revision: str) -> bool:
    """Whether this code has the migration `revision` (one it does not know was made by a newer keephome)."""
    return any(script.revision == revision for script in _scripts().walk_revisions())


def _ahead(url: str, current: str) -> SchemaAhead:
    return SchemaAhead(
        f"the schema of {shown(url)} is at revision {current}, which this keephome does not know (its newest is "
        f"{head_revision()}): a newer keephome migrated it, and this older one must not run against it; "
        "install the newer keephome"
    )


def _upgrade_sync(url: str, connection: Connection) -> None:
    _own_schema(connection)
    current = _current_sync(connection)
    if current is not None and not _known(current):
        raise _ahead(url, current)
    cfg = _config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, "head")


def _own_schema(connection: Connection) -> None:
    """On PostgreSQL, the schema `?search_path=NAME` names is made when it is not there yet: `run` sends the operator
    to `keephome db upgrade` for an empty database, and that schema is where its tables go."""
    if connection.dialect.name != "postgresql" or connection.exec_driver_sql("SELECT current_schema()").scalar():
        return
    first = first_schema(str(connection.exec_driver_sql("SHOW search_path").scalar() or ""))
    if first and not first.startswith("$"):
        connection.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {connection.dialect.identifier_preparer.quote(first)}")


_UPPER_TO_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def first_schema(search_path: str) -> str | None:
    """The schema PostgreSQL looks for first in `search_path` (bot/store/db.py hands it the URL's as written), by its
    rule for a name in SQL: a quoted name as it is (`"hA_S2"`, `""` a quote inside), an unquoted one with A-Z in
    lower case (`hA_S2` is ha_s2); None for an empty path. Made any other way, the schema is not the one searched."""
    text = search_path.lstrip()
    if not text.startswith('"'):
        name = text.split(",", 1)[0].strip()
        return name.translate(_UPPER_TO_LOWER) or None
    name, rest = "", text[1:]
    while '"' in rest:
        part, _, rest = rest.partition('"')
        name += part
        if not rest.startswith('"'):
            return name or None
        name, rest = name + '"', rest[1:]
    return None  # a quote never closed: PostgreSQL refuses the setting itself


def _current_sync(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _first_line(exc: BaseException) -> str:
    """What the driver said, on one line: its own exception's words, not SQLAlchemy's wrapping."""
    said = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    lines = str(said).strip().splitlines()
    return lines[0] if lines else type(said).__name__


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and seen not in chain:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    return chain


def _unreachable(url: str, exc: OSError | DBAPIError) -> DatabaseUnreachable:
    """The one line for a database keephome cannot connect to or open, its password masked (`shown`)."""
    where = f"KEEPHOME_DATABASE_URL={shown(url)}"
    parsed = make_url(url)
    # SQLSTATE 3D000 (asyncpg's InvalidCatalogNameError, wrapped by SQLAlchemy or not): no such database.
    if any(getattr(e, "sqlstate", None) == "3D000" for e in _causes(exc)):
        return DatabaseUnreachable(
            f"{where}: no such database {parsed.database!r} on that server: create it (createdb) "
            "or correct the name in the URL"
        )
    if parsed.get_backend_name() == "sqlite":
        said = _first_line(exc)
        why = "" if "unable to open database file" in said else f" ({said})"
        path = parsed.database or ""
        named = f" {path}" if os.path.isabs(path) else ""  # else `shown` named it
        return DatabaseUnreachable(
            f"{where}: cannot open the file{named}{why}: does its folder exist, and may this user write in it?"
        )
    if any(isinstance(e, TimeoutError) for e in _causes(exc)):
        # A host that drops the packets (a firewall, a wrong address) answers nothing: the connection gives up after
        # bot/store/db.py's CONNECT_SECONDS with a TimeoutError that says nothing itself.
        return DatabaseUnreachable(
            f"{where}: cannot connect (no answer from the host in time): is the host right, is PostgreSQL running "
            "there, and does a firewall let this machine reach its port?"
        )
    return DatabaseUnreachable(
        f"{where}: cannot connect ({_first_line(exc)}): is PostgreSQL running there, "
        "and are the host, port, user and password right?"
    )


@asynccontextmanager
async def _connected(db: Database, engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection of `engine`; a failure to connect (only that) becomes DatabaseUnreachable."""
    conn = engine.connect()
    try:
        await conn.start()
    except (OSError, DBAPIError) as exc:
        if db.is_sqlite:
            # aiosqlite's thread still hands the loop the end of the failed connection: let it, or a command
            # that ends here would close the loop first and the thread print "Event loop is closed".
            await asyncio.sleep(0.1)
        raise _unreachable(db.url, exc) from exc
    try:
        yield conn
    finally:
        await asyncio.shield(conn.close())  # as `async with engine.connect()` closes it


async def upgrade(db: Database) -> None:
    """Bring the schema to the newest revision; SchemaAhead when a newer keephome migrated it."""
    async with _connected(db, db.writer) as conn:
        await conn.run_sync(partial(_upgrade_sync, db.url))
        await conn.commit()


async def current_revision(db: Database) -> str | None:
    """The revision the database is at (None when it is empty)."""
    async with _connected(db, db.reader) as conn:
        return await conn.run_sync(_current_sync)


def shown(url: str) -> str:
    """The database URL as an operator may read it: never the password, and a SQLite file named relative to the
    working folder with the file it is (`db upgrade` run from another folder than the service's made a new one)."""
    parsed = make_url(url)
    text = parsed.render_as_string(hide_password=True)
    name = parsed.database or ""
    if parsed.get_backend_name() == "sqlite" and name and name != ":memory:" and not os.path.isabs(name):
        text += f" (the file {os.path.abspath(name)})"
    return text


def migrated(url: str, before: str | None, now: str | None) -> str:
    """What a migration did, in one line: from which revision to which, or that there was nothing to do."""
    if before == now:
        return f"{shown(url)} was already at revision {now} (the newest): nothing to migrate"
    was = "an empty database" if before is None else f"revision {before}"
    return f"{shown(url)} migrated: from {was} to revision {now} (newest: {head_revision()})"


async def ensure_current(db: Database) -> None:
    """Raise SchemaBehind unless the database is at the newest revision (SchemaAhead when it is past it)."""
    current = await current_revision(db)
    head = head_revision()
    if current is None:
        raise SchemaBehind(f"{shown(db.url)} is an empty database: run `keephome db upgrade` first")
    if not _known(current):
        raise _ahead(db.url, current)
    if current != head:
        raise SchemaBehind(
            f"the schema of {shown(db.url)} is at revision {current}, this keephome needs {head}: "
            "run `keephome db upgrade` first"
        )


async def prepare(db: Database) -> str | None:
    """Make the schema ready for a command: None when it is, else the problem to show the operator.

    An embedded SQLite file is migrated on the spot; a PostgreSQL schema that is behind is refused, because
    several processes share it and must not race a migration (`keephome db upgrade` does it once). A schema a
    newer keephome migrated is refused on both. DatabaseUnreachable when it cannot connect at all.
    """
    try:
        if db.is_sqlite:
            before = await current_revision(db)
            await upgrade(db)
            now = await current_revision(db)
            if now != before:  # an upgrade of keephome shows in the service's log where it migrated the file
                log.info("%s", migrated(db.url, before, now))
        else:
            await ensure_current(db)
    except (SchemaBehind, SchemaAhead) as exc:
        return str(exc)
    return None
