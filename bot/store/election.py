"""Roles one process of a deployment holds at a time: the scheduler, the sender and the Telegram poller.

On PostgreSQL each role is a session-level advisory lock, taken on a connection the election keeps for
itself. Every process may run every role; the process whose connection holds a role's lock runs it, the
others try again every `interval` seconds. When the holder dies its connection closes, PostgreSQL drops
its locks, and another process takes the role at its next try. A holder that loses its lock connection
knows at once (the driver sees the socket close) or, when the network merely goes quiet, as soon as its
last confirmation is older than `VALID_FOR` intervals: `Tenure.holds()` turns false and the role's work
stops before its next send. SQLite runs one process: every role is simply held, and `sqlite_alone` keeps a second
`keephome run` off the file (it would hold every role too: two senders, two schedulers).

    async with Election(db, interval=2.0, metrics=metrics) as election:
        async with election.hold("sender", sender.start, sender.stop):
            ...                                  # sender.start(tenure) runs whenever this process holds it
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import math
import os
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final

from sqlalchemy import ColumnElement, column, exists, func, select, table
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.metrics import Metrics
from bot.store.db import Database, sqlite_file

__all__ = [
    "ROLES",
    "VALID_FOR",
    "AnotherProcess",
    "Election",
    "Start",
    "Stop",
    "Tenure",
    "deployment_namespace",
    "namespace_key",
    "role_held_somewhere",
    "role_taken",
    "sqlite_alone",
]

log = logging.getLogger(__name__)

ROLES: Final = ("scheduler", "sender", "poller")
_ROLE_KEY: Final = {role: number for number, role in enumerate(ROLES, start=1)}

# A hold unconfirmed for this many intervals no longer counts (a connection whose network went quiet).
VALID_FOR: Final = 2.5

# The least time one statement on the lock connection may take before the database counts as gone: a short
# interval makes rounds frequent, not a busy server's answers faster.
_PATIENCE: Final = 2.0

# The lock connection asks the server to notice a silent peer within about 25 s instead of TCP's two hours,
# so the role of a holder cut off by the network does not stay locked for long.
_KEEPALIVES: Final = (("tcp_keepalives_idle", "10"), ("tcp_keepalives_interval", "5"), ("tcp_keepalives_count", "3"))

_pg_locks = table(
    "pg_locks",
    column("locktype"),
    column("classid"),
    column("objid"),
    column("objsubid"),
    column("pid"),
    column("granted"),
)

# What a connection fails with when the database or the network is gone.
_GONE = (DBAPIError, OSError, TimeoutError)

Start = Callable[["Tenure"], Awaitable[object]]
Stop = Callable[[], Awaitable[object]]


def namespace_key(schema: str) -> int:
    """The first advisory-lock key: keephome's, per schema, so deployments in separate schemas of one
    database (and test runs side by side) are elected separately."""
    digest = hashlib.blake2b(f"keephome:{schema}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") & 0x7FFF_FFFF


def role_taken(role: str, namespace: int, pid: int | None = None) -> ColumnElement[bool]:
    """A SQL condition true while some process of the deployment `namespace` holds `role` (with `pid`: while that
    backend holds it)."""
    locks = _pg_locks.c
    held = exists().where(
        locks.locktype == "advisory",
        locks.classid == namespace,
        locks.objid == _ROLE_KEY[role],
        locks.objsubid == 2,
        locks.granted.is_(True),
    )
    return held if pid is None else held.where(locks.pid == pid)


# Each database's lock namespace, read once: the console asks `role_held_somewhere` on every page.
_NAMESPACES: weakref.WeakKeyDictionary[Database, int] = weakref.WeakKeyDictionary()


async def deployment_namespace(db: Database, conn: AsyncConnection) -> int:
    """The lock namespace of the deployment `db` works in (its PostgreSQL schema's), read once through `conn`."""
    namespace = _NAMESPACES.get(db)
    if namespace is None:
        schema = (await conn.execute(select(func.current_schema()))).scalar_one()
        namespace = _NAMESPACES[db] = namespace_key(str(schema))
    return namespace


async def role_held_somewhere(db: Database, conn: AsyncConnection, role: str, *, here: bool) -> bool:
    """Whether some process of the deployment holds `role` now, read through `conn` (one of `db`'s). SQLite runs
    one process: this one holds it when it runs the role (`here`); on PostgreSQL, whichever process holds the
    role's lock (one statement)."""
    if db.is_sqlite:
        return here
    return bool((await conn.execute(select(role_taken(role, await deployment_namespace(db, conn))))).scalar_one())


class Tenure:
    """One process's hold on one role, as the role's work sees it: whether it still holds it, and a fence."""

    __slots__ = ("_election", "_ended", "_namespace", "_pid", "role")

    def __init__(self, role: str, election: Election, namespace: int, pid: int) -> None:
        self.role = role
        self._election = election
        self._namespace = namespace
        self._pid = pid
        self._ended = False

    def holds(self) -> bool:
        """True while the role is still this process's (cheap: checked before every send)."""
        return not self._ended and self._election.alive()

    def fence(self) -> ColumnElement[bool] | None:
        """A SQL condition that is true only while this hold's lock is granted to its connection (None on
        SQLite): a claim guarded by it takes nothing once the lock has gone elsewhere, however late we notice."""
        if self._pid == 0:
            return None
        return role_taken(self.role, self._namespace, self._pid)

    def end(self) -> None:
        """The role is no longer held (the election calls this before it stops the role's work)."""
        self._ended = True


@dataclass(eq=False)
class _Entry:
    role: str
    start: Start
    stop: Stop
    tenure: Tenure | None = None


class Election:
    """Holds the roles this process may run whenever their locks are free; an async context manager."""

    def __init__(
        self,
        db: Database,
        *,
        interval: float = 2.0,
        metrics: Metrics | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = db
        self._interval = interval
        self._timeout = max(interval, _PATIENCE)
        self._metrics = metrics
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._busy = asyncio.Lock()
        self._conn: AsyncConnection | None = None
        self._driver: Any = None  # the asyncpg connection under self._conn: it knows at once when the socket closes
        self._pid = 0
        self._namespace = 0
        self._confirmed = -math.inf
        self._task: asyncio.Task[None] | None = None
        # Every role reads 0 until held: a process that may hold none (KEEPHOME_RUN_SENDER and _SCHEDULER false) says so
        # on /metrics rather than showing no line for it.
        for role in ROLES:
            self._gauge(role, held=False)

    def held(self) -> frozenset[str]:
        """The roles this process holds now."""
        return frozenset(role for role, entry in self._entries.items() if entry.tenure is not None)

    def alive(self) -> bool:
        """Whether the locks this process took still count: the lock connection is open and was confirmed lately."""
        if self._db.is_sqlite:
            return True
        driver = self._driver
        if driver is None or driver.is_closed():
            return False
        return self._clock() - self._confirmed < self._interval * VALID_FOR

    async def __aenter__(self) -> Election:
        if not self._db.is_sqlite and self._task is None:
            self._task = asyncio.create_task(self._run(), name="election")
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        async with self._busy:
            await self._give_up_all()

    @asynccontextmanager
    async def hold(self, role: str, start: Start, stop: Stop) -> AsyncIterator[None]:
        """Run `start(tenure)` whenever this process holds `role` and `stop()` when it loses it, for the block;
        the role is taken now when it is free. Leaving the block stops the work and frees the role at once."""
        if role not in _ROLE_KEY or role in self._entries:
            raise ValueError(f"not a role this process can ask for: {role}")
        entry = _Entry(role, start, stop)
        self._entries[role] = entry
        self._gauge(role, held=False)
        try:
            async with self._busy:
                try:
                    await self._try(entry)
                except _GONE:  # the database is unreachable now: the next round tries again
                    log.warning("could not ask for the %s role yet", role)
                    await self._give_up_all()
            yield
        finally:
            async with self._busy:
                self._entries.pop(role, None)
                await self._release(entry, unlock=True)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            async with self._busy:
                try:
                    await self._round()
                except _GONE:
                    log.warning("the election's database connection is gone: this process gives up its roles")
                    await self._give_up_all()
                except Exception:  # a role whose start fails is tried again next round; the error is logged
                    log.exception("an election round failed")

    async def _round(self) -> None:
        """Confirm the roles held (dropping any whose lock is gone) and ask for the others."""
        if self._conn is not None:
            held = await self._confirm()
            for entry in list(self._entries.values()):
                if entry.tenure is not None and _ROLE_KEY[entry.role] not in held:
                    log.warning("this process lost the %s role", entry.role)
                    await self._release(entry, unlock=False)
        for entry in list(self._entries.values()):
            if entry.tenure is None:
                await self._try(entry)

    async def _confirm(self) -> set[int]:
        conn = await self._connection()
        locks = _pg_locks.c
        query = select(locks.objid).where(
            locks.locktype == "advisory",
            locks.pid == func.pg_backend_pid(),
            locks.classid == self._namespace,
            locks.objsubid == 2,
            locks.granted.is_(True),
        )
        async with asyncio.timeout(self._timeout):
            held = {int(objid) for objid in (await conn.execute(query)).scalars()}
        self._confirmed = self._clock()
        return held

    async def _try(self, entry: _Entry) -> None:
        """Take the role when its lock is free, then start its work."""
        if entry.tenure is not None:
            return
        if self._db.is_sqlite:
            tenure = Tenure(entry.role, self, 0, 0)
        else:
            conn = await self._connection()
            async with asyncio.timeout(self._timeout):
                taken = (
                    await conn.execute(select(func.pg_try_advisory_lock(self._namespace, _ROLE_KEY[entry.role])))
                ).scalar()
            if not taken:
                return
            self._confirmed = self._clock()
            tenure = Tenure(entry.role, self, self._namespace, self._pid)
        entry.tenure = tenure
        self._gauge(entry.role, held=True)
        log.info("this process holds the %s role", entry.role)
        try:
            await entry.start(tenure)
        except BaseException:
            await self._release(entry, unlock=True)
            raise

    async def _release(self, entry: _Entry, *, unlock: bool) -> None:
        """Stop the role's work (its tenure ends first) and, with `unlock`, free its lock for another process."""
        tenure, entry.tenure = entry.tenure, None
        if tenure is None:
            return
        tenure.end()
        self._gauge(entry.role, held=False)
        try:
            await entry.stop()
        finally:
            conn = self._conn
            if unlock and conn is not None and not self._driver.is_closed():
                # A failure here is noticed by the next round's confirmation, which then gives up every role.
                with contextlib.suppress(*_GONE):
                    async with asyncio.timeout(self._timeout):
                        await conn.execute(select(func.pg_advisory_unlock(self._namespace, _ROLE_KEY[entry.role])))

    async def _give_up_all(self) -> None:
        """Every role ends (tenures first, so no send starts meanwhile), then the lock connection closes."""
        for entry in self._entries.values():
            if entry.tenure is not None:
                entry.tenure.end()
        for entry in reversed(list(self._entries.values())):
            await self._release(entry, unlock=False)
        await self._disconnect()

    async def _connection(self) -> AsyncConnection:
        """The lock connection, opened when there is none (or the old one closed under us)."""
        if self._conn is not None and not self._driver.is_closed():
            return self._conn
        if self._conn is not None:
            await self._give_up_all()
        conn = await self._db.writer.connect()
        try:
            # Locks live on the session; no transaction stays open around them.
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            async with asyncio.timeout(self._timeout):
                schema, pid = (await conn.execute(select(func.current_schema(), func.pg_backend_pid()))).one()
                await conn.execute(select(*(func.set_config(name, value, False) for name, value in _KEEPALIVES)))
            raw = await conn.get_raw_connection()
        except BaseException:
            await _discard(conn)
            raise
        self._conn, self._driver = conn, raw.driver_connection
        self._pid, self._namespace = int(pid), namespace_key(str(schema))
        self._confirmed = self._clock()
        return conn

    async def _disconnect(self) -> None:
        conn, self._conn, self._driver = self._conn, None, None
        self._pid = 0
        if conn is not None:
            await _discard(conn)

    def _gauge(self, role: str, *, held: bool) -> None:
        if self._metrics is not None:
            self._metrics.roles.labels(role).set(1 if held else 0)


async def _discard(conn: AsyncConnection) -> None:
    """Close the connection for good (never back to the pool, which would keep its locks alive)."""
    with contextlib.suppress(*_GONE):
        await conn.invalidate()
    with contextlib.suppress(*_GONE):
        await conn.close()


class AnotherProcess(Exception):
    """Another `keephome run` serves this SQLite file: one line saying which and what to do."""


def sqlite_alone(url: str) -> Callable[[], None] | None:
    """Hold the SQLite file of `url` for this process alone, as long as it runs: a second `keephome run` or `demo` on
    it would hold every role as well (SQLite has no advisory locks to elect by). Returns the release; None for
    PostgreSQL or an in-memory database; AnotherProcess while another process holds it.

    The lock is an flock on `<file>.lock` beside the database, never on the database file itself: closing any
    descriptor of that file would drop the POSIX locks SQLite holds on it. The kernel releases it when the process
    ends however it ends, so a process killed leaves no lock behind."""
    database = sqlite_file(url)
    if database is None:
        return None
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: nothing to lock with
        return None
    path = f"{database}.lock"
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return None  # a folder missing or not writable: opening the database says so, in its one line
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 32).decode("ascii", "replace").strip()
        os.close(fd)
        who = f" (process {holder})" if holder.isdigit() else ""
        raise AnotherProcess(
            f"another keephome run or demo{who} serves {database}: SQLite is one process, so stop "
            "that one first (several processes need PostgreSQL)"
        ) from None
    os.ftruncate(fd, 0)
    os.write(fd, str(os.getpid()).encode())

    def release() -> None:
        os.close(fd)  # closing the descriptor frees the flock; the file stays for the next one

    return release
