"""People keephome does not know: one polite answer a day at most, and slowed-down guessing of codes.

Only a keyed hash of the channel and address is kept, so nothing about a stranger can be read back.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date
from typing import Any

from sqlalchemy import Connection, select

from bot.store.dialect import insert_for
from bot.store.schema import unknown_senders

__all__ = ["Stranger", "answer_once_today", "remember", "stranger_key"]


def stranger_key(secret: str, channel: str, address: str) -> str:
    """The keyed hash `unknown_senders` keeps instead of a phone number or chat id."""
    return hmac.new(secret.encode(), f"{channel}:{address}".encode(), hashlib.sha256).hexdigest()


def remember(conn: Connection, key: str, **values: Any) -> None:
    """Create or update the stranger's row."""
    stmt = insert_for(conn, unknown_senders).values({"address_hash": key, "failed_codes": 0, **values})
    conn.execute(stmt.on_conflict_do_update(index_elements=["address_hash"], set_=values))


class Stranger:
    """What is kept of one stranger, read once per message."""

    def __init__(self, conn: Connection, key: str) -> None:
        self.key = key
        self.row = conn.execute(select(unknown_senders).where(unknown_senders.c.address_hash == key)).first()

    @property
    def answered_on(self) -> date | None:
        """The last day keephome answered them."""
        return None if self.row is None else self.row.last_answered_on


def answer_once_today(conn: Connection, stranger: Stranger, today: date) -> bool:
    """True (and remembered) the first time a day; False when they were answered today already."""
    if stranger.answered_on == today:
        return False
    remember(conn, stranger.key, last_answered_on=today)
    return True
