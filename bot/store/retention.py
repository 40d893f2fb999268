"""Purging by retention: raw inbound payloads, spent link codes, unknown senders and sign-in counts do not
stay forever."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, or_

from bot.store.db import Database
from bot.store.schema import api_idempotency, inbound, link_codes, login_attempts, unknown_senders

__all__ = ["IDEMPOTENCY_KEPT", "LOGIN_ATTEMPTS_KEPT", "purge"]

# A sign-in count (per e-mail typed, per client address) is forgotten after a day nobody used it; the
# limits themselves forget wrong attempts after a quiet day at most (`bot.console.throttle`).
LOGIN_ATTEMPTS_KEPT = timedelta(days=1)
# An API write's answer is replayed for a repeat of its Idempotency-Key within a day (bot/api/idempotency.py).
IDEMPOTENCY_KEPT = timedelta(days=1)


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
    # Waits (15 minutes at most) and running checks (seconds) are long over when a row is a day old.
    logins = conn.execute(delete(login_attempts).where(login_attempts.c.last_at < now - LOGIN_ATTEMPTS_KEPT))
    answers = conn.execute(delete(api_idempotency).where(api_idempotency.c.created_at < now - IDEMPOTENCY_KEPT))
    return {
        "inbound": raw.rowcount,
        "link_codes": codes.rowcount,
        "unknown_senders": strangers.rowcount,
        "login_attempts": logins.rowcount,
        "api_idempotency": answers.rowcount,
    }


async def purge(db: Database, now: datetime, days: int) -> dict[str, int]:
    """Delete what has outlived its purpose; returns how many rows went from each table."""
    return await db.run(_purge, now, days)
