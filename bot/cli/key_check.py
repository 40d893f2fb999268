"""Refuse a KEEPHOME_SECRET_KEY that is not the one the database was used with (bot/store/flags.py, `is_the_key`)."""

from __future__ import annotations

from datetime import datetime

from bot.store.db import Database
from bot.store.flags import is_the_key

__all__ = ["CHANGE_KEY", "other_key"]

# The command that changes the key on purpose (`keephome db change-key`).
CHANGE_KEY = "keephome db change-key --yes"


async def other_key(db: Database, secret_key: str | None, now: datetime) -> str | None:
    """One line saying what to do when `secret_key` is another than the database's (a cron job reading an old .env
    would otherwise bring erased tenants back unwarned); None when it is the same, is the first, or is not set (the
    commands that need one say so themselves)."""
    if not secret_key or await db.run(is_the_key, secret_key, now):
        return None
    return (
        "KEEPHOME_SECRET_KEY is not the key this database was used with: give this command the key `run` has "
        f"(its .env); to change the key on purpose, `{CHANGE_KEY}` with the new key set (it forgets the erased "
        "tenants' tombstones, so an import can bring them back)"
    )
