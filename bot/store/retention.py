"""Purging by retention: raw inbound payloads, spent link codes and unknown senders do not stay forever."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, or_

from bot.store.db import Database
from bot.store.schema import inbound, link_codes, unknown_senders

__all__ = ["purge"]


def _purge(conn: Connection, now: datetime, days: int) -> dict[str, int]:
    cutoff = now - timedelta(days=days)
    # The inbound table is the webhook's receipt (provider id, sender, text); the message itself lives on in
    # `messages` for the adviser. Keep receipts long enough to recognise a provider's late retries.
    raw = conn.execute(delete(inbound).where(inbound.c.processed_at.is_not(None), inbound.c.received_at < cutoff))
    codes = conn.execute(delete(link_codes).where(or_(link_codes.c.used_at < cutoff, link_codes.c.expires_at < cutoff)))
    strangers = conn.execute(
        delete(unknown_senders).where(
            unknown_senders.c.last_answered_on < cutoff.date(),
            or_(unknown_senders.c.blocked_until.is_(None), unknown_senders.c.blocked_until < now),
        )
    )
    return {"inbound": raw.rowcount, "link_codes": codes.rowcount, "unknown_senders": strangers.rowcount}


async def purge(db: Database, now: datetime, days: int) -> dict[str, int]:
    """Delete what has outlived its purpose; returns how many rows went from each table."""
    return await db.run(_purge, now, days)
