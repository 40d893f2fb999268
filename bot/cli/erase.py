"""`keephome erase TENANT_REF`: remove a tenant's personal data and every text about them (bot/tenants/erase.py)."""

from __future__ import annotations

import sys
from typing import TextIO

from bot.settings import Settings
from bot.store.db import Database, utcnow
from bot.store.migrate import prepare
from bot.tenants.erase import NotErasable, erase, erased_on

__all__ = ["run_erase"]


async def run_erase(settings: Settings, tenant_ref: str, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """0 when erased; 2 with one line saying why not (no such tenant, erased before, no secret key)."""
    if not settings.secret_key:
        print(
            "keephome erase: KEEPHOME_SECRET_KEY is not set: set the key the service runs with "
            "(in the demo: keephome erase --demo TENANT_REF)",
            file=err,
        )
        return 2
    db = Database(settings.database_url)
    try:
        problem = await prepare(db)
        if problem is not None:
            print(f"keephome erase: {problem}", file=err)
            return 2
        try:
            done = await erase(db, tenant_ref, utcnow(), "cli", settings.secret_key)
        except NotErasable as exc:
            async with db.read() as conn:
                when = await conn.run_sync(erased_on, settings.secret_key, tenant_ref)
            said = f"tenant_ref {tenant_ref!r} was erased on {when.date().isoformat()}" if when else str(exc)
            print(f"keephome erase: {said}", file=err)
            return 2
    finally:
        await db.dispose()
    # The kinds are named in the plural ("messages"): one is said in the singular ("1 message").
    kinds = ", ".join(
        f"{n} {kind.replace('_', ' ').removesuffix('s') if n == 1 else kind.replace('_', ' ')}"
        for kind, n in done.counts.items()
    )
    print(
        f"erased tenant {done.tenant_id}: {kinds} blanked; a re-import of {tenant_ref!r} needs reactivate=1", file=out
    )
    if not done.file_scrubbed:
        print("keephome erase: the database file was busy: old copies leave it at the next checkpoint", file=err)
    return 0
