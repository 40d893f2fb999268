"""Sign-in limits kept in the database, so they hold however many processes serve the console.

Every attempt is counted *before* its password is checked, in one write transaction that locks the rows it
reads: one row for the e-mail typed (an account or not: an unknown e-mail is limited exactly like a known
one, so the answers never tell which exist) and one for the client address. An attempt is refused without a
check while either row waits (growing delays, never a lock that lasts) or already has its share of checks
running (and then still counts). After the check, `settle` gives the place back and, for a right password,
clears the account's count. Neither the e-mail nor the address is stored: the key is a keyed hash of it.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, select, update

from bot.store.dialect import insert_for
from bot.store.schema import login_attempts

__all__ = [
    "ACCOUNT",
    "ADDRESS",
    "IN_FLIGHT",
    "Limit",
    "Refusal",
    "Slot",
    "account_slot",
    "attempt_key",
    "forget",
    "reserve",
    "settle",
    "slots",
]


@dataclass(frozen=True)
class Limit:
    """How many wrong attempts are free, how many checks may run at once, and when the count is forgotten."""

    kind: str
    free: int
    concurrent: int
    forget_after: timedelta
    first_wait: timedelta = timedelta(seconds=30)
    longest_wait: timedelta = timedelta(minutes=15)

    def wait(self, failures: int) -> timedelta:
        """The wait after this many wrong attempts: none while free, then doubling, at most `longest_wait`."""
        if failures < self.free:
            return timedelta(0)
        doublings = min(failures - self.free, 20)
        return min(self.first_wait * (1 << doublings), self.longest_wait)


# Per e-mail typed: three wrong passwords, then 30 s, 1 min, 2 min … 15 min between tries; forgotten after a
# quiet day. Per client address: twenty wrong attempts (any e-mails), then the same growing waits.
ACCOUNT = Limit("account", free=3, concurrent=2, forget_after=timedelta(days=1))
ADDRESS = Limit("address", free=20, concurrent=4, forget_after=timedelta(minutes=15))
# How long a running check holds its place: a process that dies mid-check frees it after this.
IN_FLIGHT = timedelta(seconds=30)


@dataclass(frozen=True)
class Slot:
    """One row an attempt is counted in."""

    key: str
    limit: Limit


@dataclass(frozen=True)
class Refusal:
    """Why an attempt is not checked: `wait` (too many wrong attempts) or `busy` (too many checks at once)."""

    reason: str
    seconds: float


def attempt_key(secret: str, kind: str, value: str) -> str:
    """The keyed hash a row is stored under (the e-mail or address itself is never kept)."""
    return hmac.new(secret.encode(), f"login:{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def account_slot(secret: str, email: str) -> Slot:
    """The row of an e-mail typed at sign-in (lower-cased), whether or not an account has it."""
    return Slot(attempt_key(secret, ACCOUNT.kind, email.strip().lower()), ACCOUNT)


def slots(secret: str, email: str, address: str) -> list[Slot]:
    """The rows one attempt counts in: the e-mail typed and the client address."""
    return [account_slot(secret, email), Slot(attempt_key(secret, ADDRESS.kind, address), ADDRESS)]


def _failures(row: Any, limit: Limit, now: datetime) -> int:
    return int(row.failures) if row.last_at > now - limit.forget_after else 0


def _in_flight(row: Any, now: datetime) -> int:
    return int(row.in_flight) if row.in_flight_until is not None and row.in_flight_until > now else 0


def _locked_rows(conn: Connection, wanted: list[Slot], now: datetime) -> dict[str, Any]:
    for slot in wanted:
        conn.execute(
            insert_for(conn, login_attempts)
            .values(key=slot.key, kind=slot.limit.kind, failures=0, in_flight=0, last_at=now)
            .on_conflict_do_nothing(index_elements=["key"])
        )
    # Sorted keys, so two attempts never wait on each other's rows in opposite order (PostgreSQL); SQLite's
    # single writer (BEGIN IMMEDIATE) serialises the whole transaction anyway.
    query = (
        select(login_attempts)
        .where(login_attempts.c.key.in_([slot.key for slot in wanted]))
        .order_by(login_attempts.c.key)
        .with_for_update()
    )
    return {row.key: row for row in conn.execute(query)}


def reserve(conn: Connection, wanted: list[Slot], now: datetime) -> Refusal | None:
    """Count one attempt before its check, or refuse it: `wait` (not counted: waiting out a wait does not
    make it longer) or `busy` (counted: too many checks at once is no reason to guess for free)."""
    rows = _locked_rows(conn, wanted, now)
    waits = [
        (rows[s.key].blocked_until - now).total_seconds()
        for s in wanted
        if rows[s.key].blocked_until is not None and rows[s.key].blocked_until > now
    ]
    if waits:
        return Refusal("wait", max(waits))
    busy = any(_in_flight(rows[s.key], now) >= s.limit.concurrent for s in wanted)
    for slot in wanted:
        row = rows[slot.key]
        # Counted as wrong until the check says otherwise; an attempt refused for being one too many at
        # once counts too, so a flood of concurrent guesses brings on the wait like guesses in a row do.
        failures = _failures(row, slot.limit, now) + 1
        wait = slot.limit.wait(failures)
        running = _in_flight(row, now)
        conn.execute(
            update(login_attempts)
            .where(login_attempts.c.key == slot.key)
            .values(
                failures=failures,
                in_flight=running if busy else running + 1,
                in_flight_until=row.in_flight_until if busy else now + IN_FLIGHT,
                blocked_until=now + wait if wait else None,
                last_at=now,
            )
        )
    if busy:
        return Refusal("busy", 2.0)
    return None


def settle(conn: Connection, wanted: list[Slot], now: datetime, ok: bool) -> int:
    """After the check: give the place back; a right password clears the e-mail's count and takes this
    attempt off the address's. Returns the e-mail's count of wrong attempts in a row."""
    rows = _locked_rows(conn, wanted, now)
    account_failures = 0
    for slot in wanted:
        row = rows[slot.key]
        failures = _failures(row, slot.limit, now)
        values: dict[str, Any] = {"in_flight": max(_in_flight(row, now) - 1, 0)}
        if ok:
            # The address keeps its other wrong attempts: signing in to one's own account must not wipe
            # the count of guesses at other people's.
            failures = 0 if slot.limit.kind == ACCOUNT.kind else max(failures - 1, 0)
            wait = slot.limit.wait(failures)
            blocked = row.blocked_until if wait and row.blocked_until is not None else None
            values.update(failures=failures, blocked_until=blocked)
        if slot.limit.kind == ACCOUNT.kind:
            account_failures = failures
        conn.execute(update(login_attempts).where(login_attempts.c.key == slot.key).values(**values))
    return account_failures


def forget(conn: Connection, wanted: list[Slot]) -> None:
    """Forget these rows (a password set from a one-time link starts the account's count afresh)."""
    conn.execute(delete(login_attempts).where(login_attempts.c.key.in_([slot.key for slot in wanted])))
