"""The audit log's one writer: an entry and the names its detail carries, in the same transaction.

A detail names what an entry was about beyond its target as `kind:id` words (`tenant:4`, `case:7`, `court_case:2`,
`task:9`, `staff:3`, ...) separated by `,`, `=` or spaces — a list page's view is `case:5,task:7`, a step is
`tenant:4 task:9 call=done`. Those words go to `audit_names`, so the audit filter and a tenant's export find the
entries that name a tenant's parts through the index by name (bot/tenants/audit_scope.py) instead of reading every
detail. Every audit entry is written here; an entry written around it would be missing from those.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.schema import audit_log, audit_names

__all__ = ["names_in", "record_entry", "write_entry"]

# A name: a kind and an id as keephome writes them (an id fits a 64-bit integer: at most 19 digits).
_NAME = re.compile(r"[a-z][a-z_]{0,39}:[0-9]{1,19}")


def names_in(detail: str | None) -> set[str]:
    """The `kind:id` words of a detail: its words are what `,`, `=` and spaces separate (`volunteer=staff:3` names
    `staff:3`; `case:12` is not `case:1`, `case:1;` is no name)."""
    if not detail:
        return set()
    return {word for word in detail.replace(",", " ").replace("=", " ").split(" ") if _NAME.fullmatch(word)}


def write_entry(
    conn: Connection, at: datetime, actor: str, action: str, target: str | None = None, detail: str | None = None
) -> int:
    """Append one entry, as it is given, and the names its detail carries; its id. No function changes one (an
    erasure only blanks a detail, and its names with it)."""
    values = {"at": at, "actor": actor, "action": action, "target": target, "detail": detail}
    entry_id = int(conn.execute(audit_log.insert().values(values).returning(audit_log.c.id)).scalar_one())
    names = names_in(detail)
    if names:
        conn.execute(audit_names.insert(), [{"audit_id": entry_id, "name": name} for name in sorted(names)])
    return entry_id


async def record_entry(
    conn: AsyncConnection, at: datetime, actor: str, action: str, target: str | None = None, detail: str | None = None
) -> int:
    """`write_entry` on an async connection."""
    return await conn.run_sync(write_entry, at, actor, action, target, detail)
