"""The one writer of a message's status where a batch of messages changes state together (held, dropped, waiting,
sending): the status and its rank (`STATUS_RANK`, so a late provider receipt cannot move it back) in one UPDATE.

Also the one way outbox rows are held before they go (a status change, a cleared balance, an erasure, a cancelled
appointment); the sender writes its own holds with what it sent (bot/outbox/record.py)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, update

from bot.store.schema import STATUS_RANK, messages, outbox

__all__ = ["hold_unsent", "set_message_status"]


def hold_unsent(conn: Connection, where: ColumnElement[bool], reason: str, now: datetime) -> list[int]:
    """Hold the outbox rows `where` says (the caller limits it to rows not gone) and their messages: they do not go,
    for `reason` (a row's `maybe_sent` stays: the console still says a try may have reached the tenant). Returns the
    messages held."""
    held = list(
        conn.execute(
            update(outbox)
            .where(where)
            .values(state="held", lease_until=None, last_error=reason)
            .returning(outbox.c.message_id)
        ).scalars()
    )
    set_message_status(conn, held, "held", now)
    return [int(message_id) for message_id in held]


def set_message_status(conn: Connection, message_ids: Iterable[int], status: str, now: datetime) -> None:
    """Give these messages `status` (nothing to do for none)."""
    ids = list(message_ids)
    if ids:
        conn.execute(
            update(messages)
            .where(messages.c.id.in_(ids))
            .values(status=status, status_rank=STATUS_RANK[status], updated_at=now)
        )
