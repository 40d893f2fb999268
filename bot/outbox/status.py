"""Delivery status from Twilio's callbacks: it only moves forward, and a carrier opt-out stops the tenant."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select, update

from bot.channels.twilio_sms import OPTED_OUT_CODE
from bot.store.schema import STATUS_RANK, messages
from bot.tenants.status import set_status

__all__ = ["record_delivery"]


def record_delivery(conn: Connection, sid: str, status: str, error_code: str | None, now: datetime) -> str:
    """Apply one status callback (late, repeated or out of order is fine); returns what happened, for metrics."""
    found = conn.execute(
        select(messages.c.id, messages.c.tenant_id).where(messages.c.channel == "sms", messages.c.provider_id == sid)
    ).first()
    if found is None:
        return "status_unknown_message"
    if error_code == str(OPTED_OUT_CODE) and found.tenant_id is not None:
        # The tenant replied STOP to the carrier: the same as our own STOP, without a confirmation.
        set_status(conn, int(found.tenant_id), "stopped", now, only_from=("active",))
    rank = STATUS_RANK.get(status)
    if rank is None:
        return "status_ignored"
    facts: dict[str, object] = {"status": status, "status_rank": rank, "updated_at": now}
    if error_code:
        facts["error_code"] = error_code
    moved = conn.execute(
        update(messages).where(messages.c.id == found.id, messages.c.status_rank < rank).values(**facts)
    )
    return "status_applied" if moved.rowcount else "status_stale"
