"""The one writer of a message's status where a batch of messages changes state together (held, dropped, waiting,
sending): the status and its rank (`STATUS_RANK`, so a late provider receipt cannot move it back) in one UPDATE."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, update

from bot.store.schema import STATUS_RANK, messages

__all__ = ["set_message_status"]


def set_message_status(conn: Connection, message_ids: Iterable[int], status: str, now: datetime) -> None:
    """Give these messages `status` (nothing to do for none)."""
    ids = list(message_ids)
    if ids:
        conn.execute(
            update(messages)
            .where(messages.c.id.in_(ids))
            .values(status=status, status_rank=STATUS_RANK[status], updated_at=now)
        )
