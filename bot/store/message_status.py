"""The one writer of a message's status where a batch of messages changes state together (held, dropped, waiting,
sending): the status and its rank (`STATUS_RANK`, so a late provider receipt cannot move it back) in one UPDATE.

Also the one way outbox rows are held before they go (a status change, a cleared balance, an erasure, a cancelled
appointment); the sender writes its own holds with what it sent (bot/outbox/record.py)."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, select, update

from bot.store.schema import STATUS_RANK, messages, outbox

__all__ = ["hold_unsent", "hold_waiting", "set_message_status"]


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


def hold_waiting(
    conn: Connection, case_ids: Collection[int], template: ColumnElement[bool], reason: str, now: datetime
) -> list[int]:
    """Hold the texts to these cases whose template `template` picks that still wait for the night's quiet hours to
    end (never tried, so the tenant has not seen them: a release undone by a take, a volunteer's text whose task was
    taken from them); returns the messages held."""
    if not case_ids:
        return []
    o = outbox.c
    waiting = select(messages.c.id).where(
        messages.c.case_id.in_(list(case_ids)), template, messages.c.status == "queued"
    )
    where = (
        o.message_id.in_(waiting)
        & (o.state == "pending")
        & (o.attempts == 0)
        & o.lease_until.is_(None)
        & (o.next_attempt_at > now)
    )
    return hold_unsent(conn, where, reason, now)


def set_message_status(conn: Connection, message_ids: Iterable[int], status: str, now: datetime) -> None:
    """Give these messages `status` (nothing to do for none)."""
    ids = list(message_ids)
    if ids:
        conn.execute(
            update(messages)
            .where(messages.c.id.in_(ids))
            .values(status=status, status_rank=STATUS_RANK[status], updated_at=now)
        )
