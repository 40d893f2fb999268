"""The one writer of a message's status where a batch of messages changes state together (held, dropped, waiting,
sending): the status and its rank (`STATUS_RANK`, so a late provider receipt cannot move it back) in one UPDATE.

Also the one way outbox rows are held before they go (a status change, a cleared balance, an erasure, a cancelled
appointment), and what an outbox row's `last_error` says once an earlier try may have reached the tenant."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, String, case, func, literal, update

from bot.store.schema import STATUS_RANK, messages, outbox

__all__ = ["MAYBE_SENT", "hold_unsent", "set_message_status", "unless_maybe_sent"]

# The start of a row's last_error once a send's outcome was unknown (SendResult.maybe_sent): the tenant may have
# that try's message already. It stays through later tries and whatever the row's end (sent, failed, held), so the
# console can say the tenant may have it (twice) (bot/console/delivery.py); the reason follows it.
MAYBE_SENT = "maybe sent: "
_MAYBE = outbox.c.last_error.startswith(MAYBE_SENT, autoescape=True)


def unless_maybe_sent(reason: str | ColumnElement[str]) -> ColumnElement[str]:
    """An outbox row's new last_error as it goes on, is sent or fails: `reason`, unless an earlier try may have
    reached the tenant (that note stays as it was, with the try's reason)."""
    other = literal(reason, String) if isinstance(reason, str) else reason
    return case((_MAYBE, outbox.c.last_error), else_=other)


def hold_unsent(conn: Connection, where: ColumnElement[bool], reason: str, now: datetime) -> None:
    """Hold the outbox rows `where` says (the caller limits it to rows not gone) and their messages: they do not go,
    for `reason` ("maybe sent: " before it when an earlier try may have reached the tenant)."""
    why = literal(reason, String)
    held = conn.execute(
        update(outbox)
        .where(where)
        .values(
            state="held",
            lease_until=None,
            last_error=case((_MAYBE, func.substr(literal(MAYBE_SENT, String) + why, 1, 200)), else_=why),
        )
        .returning(outbox.c.message_id)
    ).scalars()
    set_message_status(conn, held, "held", now)


def set_message_status(conn: Connection, message_ids: Iterable[int], status: str, now: datetime) -> None:
    """Give these messages `status` (nothing to do for none)."""
    ids = list(message_ids)
    if ids:
        conn.execute(
            update(messages)
            .where(messages.c.id.in_(ids))
            .values(status=status, status_rank=STATUS_RANK[status], updated_at=now)
        )
