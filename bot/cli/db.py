"""`keephome db upgrade`: migrate the schema to this version (PostgreSQL needs it before `run`)."""

from __future__ import annotations

import sys

from bot.settings import Settings
from bot.store.db import Database
from bot.store.migrate import SchemaAhead, current_revision, head_revision, shown, upgrade

__all__ = ["run_db_upgrade"]


def _named(revision: str | None) -> str:
    return "an empty database" if revision is None else f"revision {revision}"


async def run_db_upgrade(settings: Settings) -> int:
    """Migrate to the newest revision and say where the database now stands; 2 for a schema a newer keephome
    migrated (this one cannot go back, and must not run against it)."""
    db = Database(settings.database_url)
    try:
        before = await current_revision(db)
        await upgrade(db)
        now = await current_revision(db)
        if before == now:
            print(f"{shown(db.url)} was already at revision {now} (the newest): nothing to migrate")
        else:
            print(f"{shown(db.url)} migrated: from {_named(before)} to revision {now} (newest: {head_revision()})")
    except SchemaAhead as exc:
        print(f"keephome: {exc}", file=sys.stderr)
        return 2
    finally:
        await db.dispose()
    return 0
