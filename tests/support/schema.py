"""A test's database at the newest schema, without running every migration for every test.

Running the migrations takes about 0.3 s on SQLite and 0.4 s on PostgreSQL; two thousand tests would spend
ten minutes on it. So a new SQLite file is a copy of one migrated once per test session, and a new, empty
PostgreSQL schema gets the tables from `bot.store.schema` and is stamped at the newest revision. Both are the
migrations' schema: `tests/bot/store/test_migrate.py` runs the real migrations on both databases and compares
them with `bot.store.schema`. A database that is not new is migrated the real way.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from sqlalchemy import make_url
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateIndex, CreateTable

from bot.store.db import Database
from bot.store.migrate import current_revision, head_revision, upgrade
from bot.store.schema import metadata

__all__ = ["migrated"]

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


def _postgres_script() -> str:
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


async def migrated(db: Database) -> None:
    """Bring a test's database to the newest schema (see the module's note)."""
    if db.is_sqlite:
        name = make_url(db.url).database
        if name and name != ":memory:" and _new_file(name):
            shutil.copyfile(await _sqlite_template(), name)
            return
    elif await current_revision(db) is None:
        async with db.writer.begin() as conn:
            empty = not await conn.run_sync(lambda c: c.dialect.get_table_names(c))
            if empty:
                raw = await conn.get_raw_connection()
                await raw.driver_connection.execute(_postgres_script())  # type: ignore[union-attr]
                return
    await upgrade(db)
