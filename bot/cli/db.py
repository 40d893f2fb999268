"""`keephome db upgrade`: migrate the schema to this version (PostgreSQL needs it before `run`)."""

from __future__ import annotations

import sys

from bot.settings import Settings
from bot.store.db import Database
from bot.store.migrate import SchemaAhead, current_revision, migrated, upgrade

__all__ = ["run_db_upgrade"]


async def run_db_upgrade(settings: Settings) -> int:
    """Migrate to the newest revision and say where the database now stands; 2 for a schema a newer keephome
    migrated (this one cannot go back, and must not run against it)."""
    db = Database(settings.database_url)
    try:
        before = await current_revision(db)
        await upgrade(db)
        now = await current_revision(db)
        print(migrated(db.url, before, now))
    except SchemaAhead as exc:
        print(f"keephome: {exc}", file=sys.stderr)
        return 2
    finally:
        await db.dispose()
    return 0
