"""The one writer of a tenant's status: active, stopped (opted out), wrong_number, moved_out or erased.

Whoever learns it — the tenant's own keyword, the carrier's opt-out (Twilio 21610) on a status callback
or on a send, an import with a new number, an adviser recording that the tenant moved out or was evicted
(bot/tenants/court.py), erasure — changes it here, so leaving "active" always does
the same two things: the waiting conversation ends, and proactive messages already queued are held
(a reply to the tenant's own keyword still goes).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, and_, update

from bot.store.message_status import hold_unsent
from bot.store.schema import conversations, outbox, tenants

__all__ = ["STATUSES", "set_status"]

STATUSES = ("active", "stopped", "wrong_number", "moved_out", "erased")


def set_status(
    conn: Connection,
    tenant_id: int,
    status: str,
    now: datetime,
    *,
    only_from: Iterable[str] | None = None,
) -> bool:
    """Set the status (only from the listed ones, when given); returns whether it changed."""
    if status not in STATUSES:
        raise ValueError(f"unknown tenant status {status!r}")
    where = [tenants.c.id == tenant_id, tenants.c.status != status]
    if only_from is not None:
        where.append(tenants.c.status.in_(list(only_from)))
    changed = conn.execute(update(tenants).where(*where).values(status=status, updated_at=now)).rowcount
    if changed and status != "active":
        _stop_proactive(conn, tenant_id, status, now)
    return bool(changed)


def _stop_proactive(conn: Connection, tenant_id: int, status: str, now: datetime) -> None:
    """Nothing proactive may leave for this tenant any more, and nothing waits for their answer."""
    o = outbox.c
    hold_unsent(conn, and_(o.tenant_id == tenant_id, o.state == "pending", o.proactive.is_(True)), status, now)
    conn.execute(
        update(conversations)
        .where(conversations.c.tenant_id == tenant_id, conversations.c.active.is_(True))
        .values(active=False, waiting_until=None, ended_reason=status, updated_at=now)
    )
