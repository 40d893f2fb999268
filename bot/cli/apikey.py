"""`keephome apikey add NAME --scope read|write|erase`: make an API key and print it once, on a line of its own."""

from __future__ import annotations

import sys
from typing import TextIO

from bot.api.keys import ApiKeyError, add_key
from bot.settings import Settings
from bot.store.db import Database, utcnow
from bot.store.migrate import prepare

__all__ = ["run_apikey_add"]


async def run_apikey_add(settings: Settings, name: str, scope: str, out: TextIO | None = None) -> int:
    """Print the new key, or one line saying what is wrong (exit status 2)."""
    out = out if out is not None else sys.stdout
    db = Database(settings.database_url)
    try:
        problem = await prepare(db)
        if problem is not None:
            print(f"keephome: {problem}", file=sys.stderr)
            return 2
        async with db.write() as conn:
            key_id, key = await add_key(conn, name, scope, utcnow(), "cli")
    except ApiKeyError as exc:
        print(f"keephome: {exc}", file=sys.stderr)
        return 2
    finally:
        await db.dispose()
    shown = " ".join(name.split())
    print(f"API key {key_id} ({scope}) for {shown} added. It is shown only now; keephome keeps its hash:", file=out)
    print(key, file=out)
    return 0
