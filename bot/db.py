"""Database engines: one writer, readers that never queue behind it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

__all__ = ["Database", "utcnow"]


def utcnow() -> datetime:
    """The current time in UTC (the shell's clock; pure code receives it as an argument)."""
    return datetime.now(UTC)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
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


def _postgres_args(url: str) -> tuple[str, dict[str, Any]]:
    """A `?search_path=NAME` in the URL keeps keephome's tables in their own schema."""
    parsed = make_url(url)
    search_path = parsed.query.get("search_path")
    if not search_path:
        return url, {}
    rest = parsed.difference_update_query(["search_path"])
    return rest.render_as_string(hide_password=False), {"server_settings": {"search_path": str(search_path)}}


class Database:
    """The writer engine (one connection on SQLite) and the reader engine."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            self.writer = create_async_engine(
                url, echo=echo, pool_size=1, max_overflow=0, pool_timeout=60, connect_args={"timeout": 15}
            )
            event.listen(self.writer.sync_engine, "connect", _sqlite_writer_connect)

            @event.listens_for(self.writer.sync_engine, "begin")
            def _begin_immediate(conn: Any) -> None:
                conn.exec_driver_sql("BEGIN IMMEDIATE")

            self.reader = create_async_engine(url, echo=echo, pool_size=4, max_overflow=4, connect_args={"timeout": 15})
            event.listen(self.reader.sync_engine, "connect", _sqlite_pragmas)
        else:
            url, connect_args = _postgres_args(url)
            self.writer = create_async_engine(
                url, echo=echo, pool_size=10, max_overflow=10, pool_pre_ping=True, connect_args=connect_args
            )
            self.reader = self.writer

    @classmethod
    def for_tests(cls, url: str) -> Database:
        """A database whose connections are not pooled across event loops."""
        db = cls.__new__(cls)
        db.url = url
        db.is_sqlite = url.startswith("sqlite")
        if db.is_sqlite:
            return cls(url)
        pg_url, connect_args = _postgres_args(url)
        db.writer = create_async_engine(pg_url, poolclass=NullPool, connect_args=connect_args)
        db.reader = db.writer
        return db

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """One write transaction (BEGIN IMMEDIATE on SQLite), committed on success."""
        async with self.writer.begin() as conn:
            yield conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A read-only connection that does not wait for the writer."""
        async with self.reader.connect() as conn:
            yield conn

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.writer.dispose()
        if self.reader is not self.writer:
            await self.reader.dispose()

    @property
    def engines(self) -> tuple[AsyncEngine, ...]:
        return (self.writer,) if self.reader is self.writer else (self.writer, self.reader)
