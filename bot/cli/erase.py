"""`keephome erase TENANT_REF`: remove a tenant's personal data and every text about them (bot/tenants/erase.py)."""

from __future__ import annotations

import sys
from typing import TextIO

from bot.cli.key_check import other_key
from bot.settings import Settings
from bot.store.db import Database, utcnow
from bot.store.migrate import prepare
from bot.tenants.erase import NotErasable, erasable, erase, erased_on

__all__ = ["run_erase"]

# What a person at the terminal types to go ahead; anything else (an Enter too) erases nothing.
_YES = ("y", "yes")


async def run_erase(
    settings: Settings,
    tenant_ref: str,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
    *,
    yes: bool = False,
    answers: TextIO | None = None,
    demo: bool = False,
) -> int:
    """0 when erased; 1 when the person at the terminal did not say yes; 2 with one line saying why not (no such
    tenant, erased before, no secret key, no terminal to ask at and no `yes`).

    An erasure cannot be undone: without `yes` (`--yes`) it asks at the terminal (`answers`, the command's stdin)
    first, naming the tenant, and with no terminal to ask at (a script, a pipe, none given) it erases nothing and says
    to add `--yes`. In the demo (`demo`) it says how the demo gets its fictional tenants back instead of how an
    import would."""
    if not settings.secret_key:
        print(
            "keephome erase: KEEPHOME_SECRET_KEY is not set: set the key the service runs with "
            "(in the demo: keephome erase --demo TENANT_REF)",
            file=err,
        )
        return 2
    db = Database(settings.database_url)
    try:
        problem = await prepare(db) or await other_key(db, settings.secret_key, utcnow())
        if problem is not None:
            print(f"keephome erase: {problem}", file=err)
            return 2
        async with db.read() as conn:
            found = await conn.run_sync(erasable, tenant_ref)
        if found is None:
            return await _not_erasable(
                db, settings.secret_key, tenant_ref, f'there is no tenant with tenant_ref "{tenant_ref}"', err
            )
        if not yes:
            if answers is None or not answers.isatty():
                print(
                    f"keephome erase: no terminal to confirm at: add --yes to erase tenant {tenant_ref!r} "
                    "(it cannot be undone); nothing was erased",
                    file=err,
                )
                return 2
            print(f"Erase tenant {tenant_ref} ({found[1]})? This cannot be undone [y/N] ", end="", file=out, flush=True)
            if answers.readline().strip().lower() not in _YES:
                print("keephome erase: nothing was erased", file=err)
                return 1
        try:
            done = await erase(db, tenant_ref, utcnow(), "cli", settings.secret_key)
        except NotErasable as exc:  # erased meanwhile (the console's API key, another terminal)
            return await _not_erasable(db, settings.secret_key, tenant_ref, str(exc), err)
    finally:
        await db.dispose()
    # The kinds are named in the plural ("messages"): one is said in the singular ("1 message").
    kinds = ", ".join(
        f"{n} {kind.replace('_', ' ').removesuffix('s') if n == 1 else kind.replace('_', ' ')}"
        for kind, n in done.counts.items()
    )
    print(f"erased tenant {tenant_ref!r} (id {done.tenant_id}): {kinds} blanked", file=out)
    if demo:
        from bot.cli.demo import afresh

        # The demo seeds its fictional tenants at each start, and leaves the erased ones out: only a new database
        # brings them back.
        print(f"the demo keeps {tenant_ref!r} erased when it starts again; {afresh(settings)}", file=out)
    else:
        # An import leaves an erased tenant_ref out unless its row says reactivate (bot/tenants/upsert.py).
        print(
            f"to import {tenant_ref!r} again, add the column reactivate to the file with 1 on that tenant's row "
            '(through the API: "reactivate": true)',
            file=out,
        )
    if not done.file_scrubbed:
        print("keephome erase: the database file was busy: old copies leave it at the next checkpoint", file=err)
    return 0


async def _not_erasable(db: Database, secret_key: str, tenant_ref: str, why: str, err: TextIO) -> int:
    """Say why nothing was erased: when the tenant_ref was erased before, or `why`."""
    async with db.read() as conn:
        when = await conn.run_sync(erased_on, secret_key, tenant_ref)
    said = f"tenant_ref {tenant_ref!r} was erased on {when.date().isoformat()}" if when else why
    print(f"keephome erase: {said}", file=err)
    return 2
