"""Delivery status from Twilio's callbacks: it only moves forward, and a carrier opt-out stops the tenant.

A callback may come before the sender has recorded the sid its send returned (a failure to an unreachable number
can come within a fraction of a second). Such a callback, when it would move the status past `sent`, is kept in
`early_statuses` (the highest-ranked one) and applied here, by `apply_early`, in the transaction in which the sender
records that sid; the retention purge deletes one never matched."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, select, text, update

from bot.channels.twilio_sms import OPTED_OUT_CODE
from bot.store.dialect import insert_for
from bot.store.schema import STATUS_RANK, early_statuses, messages
from bot.tenants.status import set_status

__all__ = ["apply_early", "record_delivery"]

# The sender records a message `sent` itself: a callback for an unknown sid that says no more changes nothing.
_KEPT_ABOVE = STATUS_RANK["sent"]


def _message(conn: Connection, sid: str) -> Any:
    return conn.execute(
        select(messages.c.id, messages.c.tenant_id).where(messages.c.channel == "sms", messages.c.provider_id == sid)
    ).first()


def record_delivery(conn: Connection, sid: str, status: str, error_code: str | None, now: datetime) -> str:
    """Apply one status callback (late, repeated, out of order or before its sid was recorded is fine); returns what
    happened, for metrics: `status_applied`, `status_stale` (it would move nothing), `status_kept_early` (kept until
    the sender records the sid), `status_ignored` (not a status we rank), `status_unknown_message`."""
    found = _message(conn, sid)
    rank = STATUS_RANK.get(status)
    if found is None and rank is not None and rank > _KEPT_ABOVE:
        if conn.dialect.name == "postgresql":
            # A sender's transaction that writes this sid now is not seen by this one, nor this one's keep by it:
            # wait until every transaction writing messages has ended (and hold new ones for this short one), then
            # look again. SHARE ROW EXCLUSIVE, not SHARE: two such callbacks take turns, so one that finds its
            # message then and updates it never waits on the other's lock while that one waits on its own (a
            # deadlock). On SQLite one writer at a time already orders the two.
            conn.execute(text("LOCK TABLE messages IN SHARE ROW EXCLUSIVE MODE"))
            found = _message(conn, sid)
        if found is None:
            return _keep(conn, sid, status, rank, error_code, now)
    if found is None:
        return "status_unknown_message"
    if error_code == str(OPTED_OUT_CODE) and found.tenant_id is not None:
        # The tenant replied STOP to the carrier: the same as our own STOP, without a confirmation.
        set_status(conn, int(found.tenant_id), "stopped", now, only_from=("active",))
    if rank is None:
        return "status_ignored"
    facts: dict[str, object] = {"status": status, "status_rank": rank, "updated_at": now}
    if error_code:
        facts["error_code"] = error_code
    moved = conn.execute(
        update(messages).where(messages.c.id == found.id, messages.c.status_rank < rank).values(**facts)
    )
    return "status_applied" if moved.rowcount else "status_stale"


def _keep(conn: Connection, sid: str, status: str, rank: int, error_code: str | None, now: datetime) -> str:
    """Keep a callback for a sid not recorded yet; a repeat or a lower-ranked one keeps what was there."""
    e = early_statuses.c
    stmt = insert_for(conn, early_statuses).values(
        sid=sid, status=status, status_rank=rank, error_code=error_code, received_at=now
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[e.sid],
        set_={
            "status": stmt.excluded.status,
            "status_rank": stmt.excluded.status_rank,
            "error_code": func.coalesce(stmt.excluded.error_code, e.error_code),
        },
        where=e.status_rank < stmt.excluded.status_rank,
    )
    kept = conn.execute(stmt.returning(e.sid)).first()
    return "status_kept_early" if kept is not None else "status_stale"


def apply_early(conn: Connection, sids: Collection[str], now: datetime) -> list[tuple[str, str]]:
    """Apply the callbacks kept for these SMS sids, just recorded by the sender (one indexed query), through
    `record_delivery`; returns each one's status and what became of it, for metrics."""
    if not sids:
        return []
    e = early_statuses.c
    kept = conn.execute(
        delete(early_statuses).where(e.sid.in_(list(sids))).returning(e.sid, e.status, e.error_code)
    ).all()
    return [(k.status, record_delivery(conn, k.sid, k.status, k.error_code, now)) for k in kept]
