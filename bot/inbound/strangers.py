"""People keephome does not know: one polite answer a day at most, a STOP kept for the number, and slowed-down
guessing of codes.

Only a keyed hash of the channel and address is kept, so nothing about a stranger can be read back. One more
row, `ALL_CHATS`, stands for every unlinked chat together: it counts the wrong codes of the current hour.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, case, literal, select

from bot.store.address_hash import stranger_key
from bot.store.dialect import insert_for
from bot.store.schema import unknown_senders
from bot.tenants.said_stop import NUMBER_CHANNEL
from conversations.keywords import classify, says_opt_out

__all__ = [
    "ALL_CHATS",
    "STOP_KEPT",
    "FailureWindow",
    "Stranger",
    "answer_once_today",
    "count_failure",
    "failure_window",
    "remember",
    "stop_or_start",
    "stranger_key",
]

# The handler's result for a message whose STOP `stop_or_start` took from a number no tenant has.
STOP_KEPT = "unknown_stopped"

# The key of the row for all unlinked chats together: a keyed hash is 64 hex digits, so no stranger has it.
ALL_CHATS = "all-unlinked-chats"


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

    @property
    def stopped_at(self) -> datetime | None:
        """When they said STOP, unless they said START since."""
        return None if self.row is None else self.row.stopped_at


def answer_once_today(conn: Connection, stranger: Stranger, today: date) -> bool:
    """True (and remembered) the first time a day; False when they were answered today already."""
    if stranger.answered_on == today:
        return False
    remember(conn, stranger.key, last_answered_on=today)
    return True


def stop_or_start(
    conn: Connection,
    stranger: Callable[[], Stranger],
    channel: str,
    text: str | None,
    languages: Sequence[str],
    today: date,
    now: datetime,
) -> bool:
    """True when a number or chat no tenant has says STOP (or AFMELD, …): opt-out always wins, it is sent nothing,
    not even the day's generic answer (marked given, so a word after it today is not answered either). A number's
    STOP is kept (`stopped_at`; a STOP said again keeps the first one's time): the tenant an import later gives the
    number to is stored stopped (bot/tenants/said_stop.py). A START from the number forgets it, and like any other word
    (False) gets the day's generic answer. `stranger` reads what is kept of them, only when one of these is said."""
    if not text:
        return False
    if says_opt_out(text, languages):
        said = stranger()
        if channel != NUMBER_CHANNEL:
            answer_once_today(conn, said, today)
        elif said.stopped_at is None:
            remember(conn, said.key, last_answered_on=today, stopped_at=now)
        else:
            remember(conn, said.key, last_answered_on=today)
        return True
    if channel == NUMBER_CHANNEL and (keyword := classify(text, languages)) is not None and keyword.kind == "opt_in":
        said = stranger()
        if said.stopped_at is not None:
            remember(conn, said.key, stopped_at=None)
    return False


@dataclass(frozen=True)
class FailureWindow:
    """Wrong codes typed by all unlinked chats together since the window began, and when it ends."""

    failures: int
    ends: datetime | None

    def open_at(self, now: datetime) -> bool:
        """Whether the window still runs at `now` (a window that is over counts nothing)."""
        return self.ends is not None and now < self.ends


def failure_window(conn: Connection, now: datetime) -> FailureWindow:
    """The current window of wrong codes (none counted when the last one is over)."""
    row = Stranger(conn, ALL_CHATS).row
    window = FailureWindow(row.failed_codes, row.blocked_until) if row is not None else FailureWindow(0, None)
    return window if window.open_at(now) else FailureWindow(0, None)


def count_failure(conn: Connection, now: datetime, length: timedelta) -> FailureWindow:
    """Count one wrong code in one statement (processes may count at once); a new window starts when one is over."""
    # `blocked_until` holds when the window ends; `failed_codes` the wrong codes in it.
    running = unknown_senders.c.blocked_until > now
    ends = literal(now + length, unknown_senders.c.blocked_until.type)
    stmt = insert_for(conn, unknown_senders).values(address_hash=ALL_CHATS, failed_codes=1, blocked_until=ends)
    stmt = stmt.on_conflict_do_update(
        index_elements=["address_hash"],
        set_={
            "failed_codes": case((running, unknown_senders.c.failed_codes + 1), else_=1),
            "blocked_until": case((running, unknown_senders.c.blocked_until), else_=ends),
        },
    )
    failures, window_ends = conn.execute(
        stmt.returning(unknown_senders.c.failed_codes, unknown_senders.c.blocked_until)
    ).one()
    return FailureWindow(int(failures), window_ends)
