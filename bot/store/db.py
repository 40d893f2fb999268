"""Database engines: one writer, readers that never queue behind it."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import unicodedata
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Executable, create_engine, event, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from bot.store.rows import driver_call, execute_rows, execute_rows_async, fetch_call, fetch_rows, returns_rows
from bot.store.scene import flush_pending

T = TypeVar("T")

__all__ = ["Database", "sqlite_file", "utcnow"]


def sqlite_file(url: str) -> Path | None:
    """The SQLite file a database URL names, as an absolute path; None for PostgreSQL, a database in memory or a
    `file:` URI."""
    parsed = make_url(url)
    name = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or not name or name == ":memory:" or name.startswith("file:"):
        return None
    return Path(os.path.abspath(name))


def utcnow() -> datetime:
    """The current time in UTC (the shell's clock; pure code receives it as an argument)."""
    return datetime.now(UTC)


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


@functools.lru_cache(maxsize=16)
def _translation(source: str, target: str) -> dict[int, int | None]:
    return {ord(c): ord(target[i]) if i < len(target) else None for i, c in reversed(list(enumerate(source)))}


def _translate(value: object, source: object, target: object) -> object:
    if not isinstance(value, str) or not isinstance(source, str) or not isinstance(target, str):
        return None if value is None or source is None or target is None else value
    return value.translate(_translation(source, target))


def _nfc(value: object) -> object:
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # SQLite's own lower() folds A-Z only: a reference typed "østergård-7" never found ØSTERGÅRD-7, where
    # PostgreSQL's did. Python's folds every letter, as PostgreSQL's does (bot/tenants/lookup.py).
    dbapi_conn.create_function("lower", 1, _lower, deterministic=True)
    # PostgreSQL's translate(text, from, to), which SQLite lacks: each character of `from` becomes the one at its
    # place in `to`, or goes when `to` is shorter; the first of a repeated one counts. The tenant search folds
    # Ö to o and Ş to s with it alike on both (bot/tenants/lookup.py).
    dbapi_conn.create_function("translate", 3, _translate, deterministic=True)
    # PostgreSQL's normalize(text, NFC), which SQLite lacks: a name an export wrote as "u" and its mark apart is "ü"
    # before the tenant search folds it (bot/tenants/lookup.py).
    dbapi_conn.create_function("nfc", 1, _nfc, deterministic=True)
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=15000")
    cur.close()


def _sqlite_writer_connect(dbapi_conn: Any, record: Any) -> None:
    # Let SQLAlchemy's "begin" emit BEGIN IMMEDIATE: a read-then-write transaction then never fails
    # with "database is locked" half way through.
    dbapi_conn.isolation_level = None
    _sqlite_pragmas(dbapi_conn, record)


# How long opening a PostgreSQL connection may take: a host that drops the packets (a firewall, a wrong address)
# answers nothing, and asyncpg's own 60 s left `run` and `db upgrade` silent for a minute before saying so.
CONNECT_SECONDS = 10.0


def _postgres_args(url: str) -> tuple[str, dict[str, Any]]:
    """The URL and asyncpg's connect arguments: `CONNECT_SECONDS`, and a `?search_path=NAME` in the URL, which keeps
    keephome's tables in their own schema. PostgreSQL gets NAME as written and reads it as SQL does (unquoted, in
    lower case): bot/store/migrate.py's `first_schema` makes that schema."""
    parsed = make_url(url)
    search_path = parsed.query.get("search_path")
    if not search_path:
        return url, {"timeout": CONNECT_SECONDS}
    rest = parsed.difference_update_query(["search_path"])
    args = {"timeout": CONNECT_SECONDS, "server_settings": {"search_path": str(search_path)}}
    return rest.render_as_string(hide_password=False), args


def _closed_by_server(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
    """Replace, at checkout, a pooled PostgreSQL connection the server has closed (a restart, a terminated backend).

    asyncpg knows without asking: the server's goodbye and the closed socket reached its protocol. The pool's
    pre-ping asked PostgreSQL instead, three round trips (BEGIN, ";", ROLLBACK) before every transaction: about
    170 µs of keephome's CPU each on a 2-core machine (bench/README.md, 2026-12-03). A connection cut without
    the server saying so (a network dropping it silently) fails its first statement instead, and SQLAlchemy then
    replaces every connection the pool held before it.
    """
    if dbapi_conn.driver_connection.is_closed():
        raise DisconnectionError("PostgreSQL closed this pooled connection")


def _then_flush(conn: Connection, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    result = fn(conn, *args, **kwargs)
    flush_pending(conn)
    return result


def _begin_immediate(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _begin_immediate_direct(conn: Any) -> None:
    # The same BEGIN IMMEDIATE on the sqlite3 connection itself: through `exec_driver_sql` it took SQLAlchemy's
    # whole statement path (about 50 µs of a transaction's 170 on this thread, which runs hundreds a second).
    conn.connection.driver_connection.execute("BEGIN IMMEDIATE")


def _sync_sqlite_writer(url: str) -> Engine:
    """The hot paths' writer: plain sqlite3 used from one thread, a whole transaction per trip."""
    sync_url = make_url(url).set(drivername="sqlite")
    engine = create_engine(
        sync_url,
        pool_size=1,
        max_overflow=0,
        connect_args={"timeout": 15, "check_same_thread": False},
        hide_parameters=True,
    )
    event.listen(engine, "connect", _sqlite_writer_connect)
    event.listen(engine, "begin", _begin_immediate_direct)
    return engine


class _Kept:
    """One PostgreSQL connection a Database keeps out of its pool for one kind of work, and its asyncpg connection.

    `get` gives the kept one, or a new one from the engine when there is none or PostgreSQL has closed it (a restart,
    a terminated backend: asyncpg knows without a round trip). `drop` gives it back to the pool, which resets it,
    or with `broken` has the pool discard it.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self.conn: AsyncConnection | None = None
        self.driver: Any = None

    async def get(self) -> AsyncConnection:
        if self.conn is not None and self.driver.is_closed():
            await self.drop(broken=True)
        if self.conn is None:
            conn = await self._engine.connect()
            self.driver = (await conn.get_raw_connection()).driver_connection
            self.conn = conn
        return self.conn

    async def drop(self, *, broken: bool) -> None:
        conn, self.conn, self.driver = self.conn, None, None
        if conn is None:
            return
        if broken:
            with contextlib.suppress(Exception):
                await conn.invalidate()
        with contextlib.suppress(Exception):
            await conn.close()


# Every engine hides statement parameters in errors: a logged exception never carries a phone number or text.
class Database:
    """The writer engine (one connection on SQLite) and the reader engine.

    `run(fn)` executes a synchronous function in one write transaction. On SQLite it runs in a thread
    of its own over plain sqlite3, so a transaction of many statements costs one trip instead of
    several per statement through aiosqlite; on PostgreSQL it runs over asyncpg via `run_sync`.
    """

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self._sync_writer: Engine | None = None
        self._executor: ThreadPoolExecutor | None = None
        if self.is_sqlite:
            self.writer = create_async_engine(
                url,
                echo=echo,
                pool_size=1,
                max_overflow=0,
                pool_timeout=60,
                connect_args={"timeout": 15},
                hide_parameters=True,
            )
            event.listen(self.writer.sync_engine, "connect", _sqlite_writer_connect)

            event.listen(self.writer.sync_engine, "begin", _begin_immediate)

            self.reader = create_async_engine(
                url, echo=echo, pool_size=4, max_overflow=4, connect_args={"timeout": 15}, hide_parameters=True
            )
            event.listen(self.reader.sync_engine, "connect", _sqlite_pragmas)
        else:
            url, connect_args = _postgres_args(url)
            self.writer = create_async_engine(
                url,
                echo=echo,
                pool_size=10,
                max_overflow=10,
                connect_args=connect_args,
                hide_parameters=True,
            )
            event.listen(self.writer.sync_engine, "checkout", _closed_by_server)
            self.reader = self.writer
        # The writer's pool, each statement committing on its own (`read`, `run_statement`).
        self._autocommit = None if self.is_sqlite else self.writer.execution_options(isolation_level="AUTOCOMMIT")
        # On PostgreSQL the connection `run_statement` keeps and the lock that lends it to one statement at a time
        # (made in the running loop); the connection `run` keeps, and whether a `run` is using it. On SQLite the
        # writer thread's connection.
        self._kept = None if self._autocommit is None else _Kept(self._autocommit)
        self._kept_lock: asyncio.Lock | None = None
        self._run_kept = None if self.is_sqlite else _Kept(self.writer)
        self._run_busy = False
        self._sync_kept: Connection | None = None

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run `fn(connection, *args, **kwargs)` in one write transaction and return its result.

        Rows `fn` added to the transaction's scene are written before the commit.

        The transaction runs on a connection kept for it while no other `run` uses that one, instead of one
        checked out of the pool and back in for each, which cost tens of µs of CPU more a transaction
        (`./dev bench group-commit`; bench/README.md, 2026-12-04): the processor, the sender's claims and its records
        each run hundreds a second, a few messages each when the load is light. A `run` that finds it in use
        takes a pooled connection. A transaction that raises gives the kept connection back to the pool (which
        resets it); one PostgreSQL closed is replaced before the next transaction.
        """
        if self._run_kept is not None:
            if self._run_busy:
                async with self.writer.begin() as conn:
                    return await conn.run_sync(_then_flush, fn, *args, **kwargs)
            self._run_busy = True
            try:
                kept = await self._run_kept.get()
                try:
                    async with kept.begin():
                        return await kept.run_sync(_then_flush, fn, *args, **kwargs)
                except BaseException:
                    await self._run_kept.drop(broken=False)
                    raise
            finally:
                self._run_busy = False
        if self._sync_writer is None:
            self._sync_writer = _sync_sqlite_writer(self.url)
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")
        engine = self._sync_writer

        # The writer's one thread runs every transaction, one at a time: the connection it keeps is never shared.
        def transaction() -> T:
            if self._sync_kept is None:
                self._sync_kept = engine.connect()
            conn = self._sync_kept
            try:
                with conn.begin():
                    return _then_flush(conn, fn, *args, **kwargs)
            except BaseException:
                self._sync_kept = None
                conn.close()
                raise

        return await asyncio.get_running_loop().run_in_executor(self._executor, transaction)

    async def run_statement(self, stmt: Executable, params: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        """Execute one statement, for each of the rows, as a transaction of its own: all rows or none. Returns the rows
        an INSERT … RETURNING returned (those it wrote, with ON CONFLICT DO NOTHING), as the driver gives them; none
        for a statement without RETURNING.

        On PostgreSQL without BEGIN and COMMIT: a statement outside a transaction block is one by itself, and
        asyncpg sends an executemany's rows (a fetchmany's too) up to a single sync, so they commit together or not at
        all. One round trip instead of three, for the webhooks' group commit. On SQLite through `run`, where an
        INSERT … RETURNING writes its rows in one statement (`fetch_rows`).

        On PostgreSQL the statement's SQL and parameters, made once by its plan (bot/store/rows.py), go to asyncpg
        directly on a connection kept for this, one statement at a time. Checking a pooled connection out and in
        and SQLAlchemy's execution cost about 160 µs of a 230 µs commit (`./dev bench group-commit`), and with
        several processes each commits one or two messages at a time. An error is then asyncpg's own (a refused
        value carries its SQLSTATE). asyncpg keeps the connection usable after a refusal or a cancelled statement,
        and knows when PostgreSQL has closed it: the next statement then takes a new one.
        """
        fetch = returns_rows(stmt)
        if self._autocommit is None or self._kept is None:
            if fetch:
                return await self.run(fetch_rows, stmt, params)
            await self.run(execute_rows, stmt, params)
            return []
        if not params:
            return []
        call: tuple[str, list[Any]] | None
        if fetch:
            call = fetch_call(self.writer.dialect, stmt, params)
        else:
            planned = driver_call(self.writer.dialect, stmt, params)
            call = None if planned is None else (planned[0], planned[1] if len(params) > 1 else [planned[1]])
        if call is None:
            async with self._autocommit.connect() as conn:
                if fetch:
                    return [tuple(row) for row in (await conn.execute(stmt, params)).all()]
                await execute_rows_async(conn, stmt, params)
            return []
        sql, args = call
        if self._kept_lock is None:
            self._kept_lock = asyncio.Lock()
        async with self._kept_lock:
            await self._kept.get()
            if fetch:
                return [tuple(row) for row in await self._kept.driver.fetchmany(sql, args)]
            await self._kept.driver.executemany(sql, args)
            return []

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """One write transaction (BEGIN IMMEDIATE on SQLite), committed on success after its scene is written."""
        async with self.writer.begin() as conn:
            yield conn
            await conn.run_sync(flush_pending)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A read-only connection that does not wait for the writer.

        On PostgreSQL each statement is a transaction of its own: at READ COMMITTED every statement reads its own
        snapshot inside a transaction too, so BEGIN and ROLLBACK around a read bought nothing and cost two round
        trips. A process that only answers webhooks reads the shared backlog twenty times a second while it holds
        them (bench/README.md); every console page reads through here.
        """
        async with (self._autocommit or self.reader).connect() as conn:
            yield conn

    def _close_sync(self) -> None:
        """On the writer's thread: close the connection it keeps, then the engine's pool."""
        kept, self._sync_kept = self._sync_kept, None
        if kept is not None:
            kept.close()
        if self._sync_writer is not None:
            self._sync_writer.dispose()

    async def dispose(self) -> None:
        """Close every pooled connection."""
        for kept in (self._kept, self._run_kept):
            if kept is not None:
                await kept.drop(broken=False)  # back to the pool, which the engine's dispose then closes
        if self._sync_writer is not None and self._executor is not None:
            await asyncio.get_running_loop().run_in_executor(self._executor, self._close_sync)
            self._executor.shutdown(wait=True)
            self._sync_writer = None
            self._executor = None
        await self.writer.dispose()
        if self.reader is not self.writer:
            await self.reader.dispose()
