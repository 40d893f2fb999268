"""bot.store.db: the PostgreSQL pool outlives the server closing its connections (a restart, a killed backend); a
statement run on its own commits all its rows or none, on a connection kept for it that a restart does not break;
and the write transactions' own kept connection survives a restart, a transaction that raises, one cancelled
mid-statement and two transactions at once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import asyncpg
import pytest
from sqlalchemy import Connection, func, select, text

from bot.inbound.inbox import unstorable
from bot.store.db import Database
from bot.store.dialect import insert_for
from bot.store.schema import inbound, settings_flags
from tests.support.schema import asyncpg_dsn, migrated


async def _pooled_pids(db: Database, connections: int) -> set[int]:
    """Fill the pool with this many connections (held at once, then returned); their backends' pids."""
    pids: set[int] = set()
    all_open = asyncio.Barrier(connections)

    async def hold() -> None:
        async with db.write() as conn:
            pids.add(int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()))
            await all_open.wait()

    await asyncio.gather(*(hold() for _ in range(connections)))
    return pids


async def _restart(pg_url: str, pids: set[int]) -> None:
    """What a restart does to these backends: the server ends each and closes its socket. Returns once they are
    gone (pg_terminate_backend only signals them; on a busy machine they take a moment to end) and the goodbye on
    each socket has reached its connection: the next requests come after the restart."""
    admin = await asyncpg.connect(asyncpg_dsn(pg_url))
    try:
        await admin.execute("SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid", list(pids))
        for _ in range(200):
            alive = await admin.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1::int[])", list(pids))
            if alive == 0:
                break
            await asyncio.sleep(0.05)
    finally:
        await admin.close()
    await asyncio.sleep(0.1)


def _flag(conn: Connection, name: str) -> int:
    at = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    conn.execute(settings_flags.insert().values(name=name, value="on", updated_at=at))
    return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


@pytest.mark.postgres
async def test_writes_go_on_after_the_server_closed_every_pooled_connection(pg_url: str) -> None:
    db = Database(pg_url)
    try:
        await migrated(db)
        before = await _pooled_pids(db, 3)
        assert len(before) == 3
        await _restart(pg_url, before)

        # Three writers at once take the three pooled connections: none of them fails.
        pids = await asyncio.gather(*(db.run(_flag, f"after-restart-{n}") for n in range(3)))
        async with db.read() as conn:
            written = (await conn.execute(select(func.count()).select_from(settings_flags))).scalar_one()
        assert written == 3
        assert not set(pids) & before  # each on a new connection
    finally:
        await db.dispose()


def _inbound_rows(group: str) -> list[dict[str, object]]:
    at = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    return [
        {"channel": "sms", "provider_id": f"{group}{n}", "sender": "+4520123456", "text": "hej", "received_at": at}
        for n in range(3)
    ]


async def _provider_ids(db: Database) -> list[str]:
    async with db.read() as conn:
        return list((await conn.execute(select(inbound.c.provider_id).order_by(inbound.c.provider_id))).scalars())


async def test_a_statement_run_alone_commits_all_its_rows_or_none(database_url: str) -> None:
    db = Database(database_url)
    try:
        await migrated(db)
        stmt = insert_for("sqlite" if db.is_sqlite else "postgresql", inbound)
        refused = _inbound_rows("A")
        refused[1]["sender"] = None  # NOT NULL: the database refuses the second row
        with pytest.raises(Exception) as raised:
            await db.run_statement(stmt, refused)
        assert unstorable(raised.value)  # the data's fault: the inbox rejects that message instead of failing all
        await db.run_statement(stmt, _inbound_rows("B"))
        assert await _provider_ids(db) == ["B0", "B1", "B2"]
    finally:
        await db.dispose()


@pytest.mark.postgres
async def test_a_statement_run_alone_goes_on_after_the_server_closed_its_connection(pg_url: str) -> None:
    db = Database(pg_url)
    try:
        await migrated(db)
        stmt = insert_for("postgresql", inbound)
        before = await _pooled_pids(db, 3)  # the statement's connection is then one of these
        await db.run_statement(stmt, _inbound_rows("A"))
        await _restart(pg_url, before)

        await db.run_statement(stmt, _inbound_rows("B"))  # on a new connection, without failing first
        assert await _provider_ids(db) == ["A0", "A1", "A2", "B0", "B1", "B2"]
    finally:
        await db.dispose()


def _backend(conn: Connection) -> int:
    return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


async def _flags(db: Database) -> list[str]:
    async with db.read() as conn:
        return list((await conn.execute(select(settings_flags.c.name).order_by(settings_flags.c.name))).scalars())


@pytest.mark.postgres
async def test_transactions_go_on_after_the_server_closed_the_connection_they_keep(pg_url: str) -> None:
    db = Database(pg_url)
    try:
        await migrated(db)
        kept = await db.run(_backend)
        assert await db.run(_backend) == kept  # one connection, kept from one transaction to the next
        await _restart(pg_url, {kept})

        assert await db.run(_flag, "after-restart") != kept  # a new connection, without failing first
        assert await _flags(db) == ["after-restart"]
    finally:
        await db.dispose()


def _flag_any(conn: Connection, name: str) -> None:
    conn.execute(settings_flags.insert().values(name=name, value="on", updated_at=datetime(2026, 12, 3, tzinfo=UTC)))


def _flag_then_fail(conn: Connection, name: str) -> None:
    _flag_any(conn, name)
    raise RuntimeError("the handler failed after its write")


async def test_a_transaction_that_raises_writes_nothing_and_the_next_commits(database_url: str) -> None:
    db = Database(database_url)
    try:
        await migrated(db)
        await db.run(_flag_any, "before")
        with pytest.raises(RuntimeError):
            await db.run(_flag_then_fail, "failed")
        await db.run(_flag_any, "after")
        assert await _flags(db) == ["after", "before"]
    finally:
        await db.dispose()


def _flag_and_wait(conn: Connection, name: str, seconds: float) -> int:
    _flag_any(conn, name)
    conn.execute(text("SELECT pg_sleep(:s)"), {"s": seconds})
    return _backend(conn)


@pytest.mark.postgres
async def test_transactions_at_once_each_commit_and_a_cancelled_one_writes_nothing(pg_url: str) -> None:
    db = Database(pg_url)
    try:
        await migrated(db)
        # While one transaction holds the kept connection, another runs on a pooled one; both commit.
        slow = asyncio.create_task(db.run(_flag_and_wait, "slow", 0.5))
        await asyncio.sleep(0.1)
        quick = await db.run(_flag_and_wait, "quick", 0.0)
        assert quick != await slow
        # A transaction cancelled mid-statement (a stopping process) leaves nothing, and the next one commits.
        cancelled = asyncio.create_task(db.run(_flag_and_wait, "cancelled", 5.0))
        await asyncio.sleep(0.2)
        cancelled.cancel()
        with pytest.raises(asyncio.CancelledError):
            await cancelled
        await db.run(_flag_any, "next")
        assert await _flags(db) == ["next", "quick", "slow"]
    finally:
        await db.dispose()
