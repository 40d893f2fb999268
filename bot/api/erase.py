"""`DELETE /tenants/{tenant_ref}`: the tenant's personal data erased by `bot.tenants.erase.erase_tenant`.

The erasure and the API's audit entry (the key's name, never the person's) share one transaction; on SQLite the
WAL is then checkpointed, so the blanked texts leave the database file too (`bot.store.retention.checkpoint`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select

from bot.api.auth import Caller
from bot.api.errors import ApiError
from bot.settings import Settings
from bot.store.audit import write_entry
from bot.store.db import Database
from bot.store.retention import checkpoint
from bot.store.schema import tenants
from bot.tenants.erase import erase_tenant

__all__ = ["erase_by_ref"]


def _erase(conn: Connection, tenant_ref: str, now: datetime, caller: Caller, secret_key: str) -> int | None:
    tenant_id = conn.execute(
        select(tenants.c.id).where(tenants.c.tenant_ref == tenant_ref, tenants.c.status != "erased")
    ).scalar()
    if tenant_id is None:
        return None
    erase_tenant(conn, int(tenant_id), now, caller.actor, secret_key=secret_key)
    write_entry(
        conn,
        at=now,
        actor=caller.actor,
        action="api.tenant.erase",
        target=f"tenant:{tenant_id}",
        detail=f'key "{caller.name}"'[:500],
    )
    return int(tenant_id)


async def erase_by_ref(db: Database, settings: Settings, tenant_ref: str, now: datetime, caller: Caller) -> bool:
    """Erase the live tenant with this tenant_ref; False when there is none (or they were erased already)."""
    if not settings.secret_key:
        raise ApiError(503, "KEEPHOME_SECRET_KEY is not set: it keys the tombstone that keeps an erased tenant out")
    if await db.run(_erase, tenant_ref, now, caller, settings.secret_key) is None:
        return False
    await checkpoint(db)
    return True
