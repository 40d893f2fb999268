"""A test's database at the newest schema, without running every migration for every test.

Running the migrations takes about 0.3 s on SQLite and 0.4 s on PostgreSQL; two thousand tests would spend
ten minutes on it. So a new SQLite file is a copy of one migrated once per test session, and a new, empty
PostgreSQL schema gets the tables from `bot.store.schema` and is stamped at the newest revision. Both are the
migrations' schema: `tests/bot/store/test_migrate.py` runs the real migrations on both databases and compares
them with `bot.store.schema`. A database that is not new is migrated the real way.

Making and dropping a PostgreSQL schema costs more than most tests that use it (about 0.15 s quiet, over half a
second with the suite's workers busy), so a test worker keeps the migrated schemas its tests used and hands them
on emptied (`SchemaPool`): every row deleted, every sequence back at 1. A schema is handed on only when it still
holds exactly keephome's tables at the newest revision and no other session holds a lock in it, and only while it
is still empty when the next test takes it; otherwise it is dropped and a new one made.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, make_url
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateIndex, CreateTable

from bot.paths import MIGRATIONS_DIR
from bot.store.db import Database
from bot.store.migrate import current_revision, head_revision, upgrade
from bot.store.schema import metadata

__all__ = ["SchemaPool", "migrated", "schema_script"]

_template: list[Path] = []


async def _sqlite_template() -> Path:
    if not _template:
        folder = Path(tempfile.mkdtemp(prefix="keephome-template-"))
        path = folder / "keephome.db"
        database = Database(f"sqlite+aiosqlite:///{path}")
        try:
            await upgrade(database)
        finally:
            await database.dispose()
        _template.append(path)
    return _template[0]


_pg_script: list[str] = []


def schema_script() -> str:
    """Every table and index of `bot.store.schema`, and the newest revision stamped: one script, one round trip."""
    if not _pg_script:
        dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
        parts = []
        for table in metadata.sorted_tables:
            parts.append(str(CreateTable(table).compile(dialect=dialect)))
            parts.extend(str(CreateIndex(index).compile(dialect=dialect)) for index in table.indexes)
        parts.append(
            "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL,"
            " CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
        )
        parts.append(f"INSERT INTO alembic_version (version_num) VALUES ('{head_revision()}')")
        _pg_script.append(";\n".join(parts))
    return _pg_script[0]


def _new_file(name: str) -> bool:
    return not Path(name).exists()


def asyncpg_dsn(url: str) -> str:
    """A keephome PostgreSQL URL as asyncpg connects to it: its own scheme, without `?search_path=…`."""
    return url.split("?", 1)[0].replace("postgresql+asyncpg://", "postgresql://")


async def migrated(db: Database) -> None:
    """Bring a test's database to the newest schema (see the module's note)."""
    if db.is_sqlite:
        name = make_url(db.url).database
        if name and name != ":memory:" and _new_file(name):
            shutil.copyfile(await _sqlite_template(), name)
            return
    revision = await current_revision(db)
    if revision == head_revision():
        return
    if revision is None and not db.is_sqlite:
        async with db.writer.begin() as conn:
            empty = not await conn.run_sync(lambda c: c.dialect.get_table_names(c))
            if empty:
                raw = await conn.get_raw_connection()
                await raw.driver_connection.execute(schema_script())  # type: ignore[union-attr]
                return
    await upgrade(db)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_TABLES = frozenset({*metadata.tables, "alembic_version"})


class SchemaPool:
    """Migrated PostgreSQL schemas for one test worker: `take()` one, `give_back()` it after the test."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._idle: list[str] = []
        self._made: set[str] = set()

    async def _connect(self) -> Any:
        import asyncpg

        return await asyncpg.connect(self._dsn)

    async def take(self) -> str:
        """An empty schema at the newest revision: an emptied one when a test left one, else a new one."""
        admin = await self._connect()
        try:
            while self._idle:
                name = self._idle.pop()
                if await self._still_empty(admin, name):
                    return name
                await self._drop(admin, name)
            name = f"t_{uuid.uuid4().hex[:12]}"
            await admin.execute(f"CREATE SCHEMA {_quoted(name)}")
            self._made.add(name)
            async with admin.transaction():
                await admin.execute(f"SET LOCAL search_path = {_quoted(name)}")
                await admin.execute(schema_script())
            return name
        finally:
            await admin.close()

    async def give_back(self, name: str) -> None:
        """Empty the schema for the next test, or drop it when it cannot be trusted to be as new."""
        admin = await self._connect()
        try:
            if await self._emptied(admin, name):
                self._idle.append(name)
            else:
                await self._drop(admin, name)
        finally:
            await admin.close()

    async def close(self) -> None:
        """Drop every schema this pool made."""
        if not self._made:
            return
        admin = await self._connect()
        try:
            for name in sorted(self._made):
                await self._drop(admin, name)
        finally:
            await admin.close()
        self._idle.clear()

    async def _drop(self, admin: Any, name: str) -> None:
        await admin.execute(f"DROP SCHEMA IF EXISTS {_quoted(name)} CASCADE")
        self._made.discard(name)

    async def _emptied(self, admin: Any, name: str) -> bool:
        others = await admin.fetchval(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
            " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND l.pid <> pg_backend_pid()",
            name,
        )
        tables = {row[0] for row in await admin.fetch("SELECT tablename FROM pg_tables WHERE schemaname = $1", name)}
        if others or tables != _TABLES:
            return False
        versions = await admin.fetch(f"SELECT version_num FROM {_quoted(name)}.alembic_version")
        if [row[0] for row in versions] != [head_revision()]:
            return False
        deletes = "; ".join(f"DELETE FROM {_quoted(name)}.{_quoted(t)}" for t in sorted(metadata.tables))
        async with admin.transaction():
            await admin.execute("SET LOCAL lock_timeout = '2s'")
            # Rows of every table go at once, whatever refers to what: the foreign keys' triggers are off.
            await admin.execute("SET LOCAL session_replication_role = replica")
            await admin.execute(deletes)
            await admin.execute(
                "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, 1, false)"
                " FROM pg_sequences WHERE schemaname = $1",
                name,
            )
        return True

    async def _still_empty(self, admin: Any, name: str) -> bool:
        """No session wrote to the schema after it was emptied (a process a test left running, say)."""
        probes = " OR ".join(f"EXISTS (SELECT 1 FROM {_quoted(name)}.{_quoted(t)})" for t in sorted(metadata.tables))
        return not await admin.fetchval(f"SELECT {probes}")


def _alembic(connection: Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


async def migrate_to(db: Database, revision: str, *, down: bool = False) -> None:
    """Upgrade (or with `down`, downgrade) the database to `revision` exactly: a migration's test starts before it."""
    move = command.downgrade if down else command.upgrade
    async with db.writer.connect() as conn:
        await conn.run_sync(lambda sync: move(_alembic(sync), revision))
        await conn.commit()
