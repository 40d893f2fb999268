"""`keephome db upgrade`: migrate the schema to this version (PostgreSQL needs it before `run`); `keephome db
change-key`: make a new KEEPHOME_SECRET_KEY the database's on purpose."""

from __future__ import annotations

import sys

from bot.cli.key_check import CHANGE_KEY
from bot.settings import Settings
from bot.store.db import Database, utcnow
from bot.store.flags import change_key
from bot.store.migrate import SchemaAhead, current_revision, migrated, prepare, upgrade

__all__ = ["run_db", "run_db_change_key", "run_db_upgrade"]


async def run_db(settings: Settings, action: str, *, yes: bool) -> int:
    """`keephome db ACTION`."""
    if action == "change-key":
        return await run_db_change_key(settings, yes=yes)
    return await run_db_upgrade(settings)


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


async def run_db_change_key(settings: Settings, *, yes: bool) -> int:
    """Make the KEEPHOME_SECRET_KEY set now the database's key: the erased tenants' tombstones are forgotten (keyed
    with the old key, no import could read them). 2 with one line without a key, or without `yes`."""
    if not settings.secret_key:
        print("keephome db change-key: set KEEPHOME_SECRET_KEY to the new key first", file=sys.stderr)
        return 2
    if not yes:
        print(
            "keephome db change-key: the erased tenants' tombstones are forgotten (an import can bring them back), "
            "so are the STOPs kept of numbers no tenant had (an import stores a tenant given one active), and the "
            f"hashes kept of unknown senders no longer match; to go ahead: {CHANGE_KEY}",
            file=sys.stderr,
        )
        return 2
    db = Database(settings.database_url)
    try:
        problem = await prepare(db)
        if problem is not None:
            print(f"keephome db change-key: {problem}", file=sys.stderr)
            return 2
        tombstones, stops = await db.run(change_key, settings.secret_key, utcnow())
    finally:
        await db.dispose()
    print(f"KEEPHOME_SECRET_KEY is now this database's key; {tombstones} erased tenants' tombstones forgotten")
    print(f"{stops} STOPs kept of numbers no tenant had forgotten (an import stores a tenant given one active)")
    print("give every keephome command (run, import, erase, cron jobs) the new key")
    return 0
