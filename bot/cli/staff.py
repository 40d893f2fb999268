"""`keephome staff add EMAIL --role ROLE`: create a staff account and print its one-time set-up link."""

from __future__ import annotations

import sys

from bot.console.accounts import StaffError, add_staff
from bot.settings import Settings
from bot.store.db import Database, utcnow
from bot.store.migrate import prepare

__all__ = ["run_staff_add"]


async def run_staff_add(settings: Settings, email: str, role: str) -> int:
    """Print the one-time link, or one line saying what is wrong (exit status 2)."""
    db = Database(settings.database_url)
    try:
        problem = await prepare(db)
        if problem is not None:
            print(f"keephome: {problem}", file=sys.stderr)
            return 2
        link = await add_staff(db, email, role, utcnow(), settings.public_url)
    except StaffError as exc:
        print(f"keephome: {exc}", file=sys.stderr)
        return 2
    finally:
        await db.dispose()
    print(f"{role} {email.strip().lower()} added. Send them this one-time link to set a password:")
    print(link)
    return 0
