"""On SQLite a write transaction takes the write lock when it begins, not at its first write: one that reads
first and writes after never fails half way with "database is locked" because another process wrote meanwhile."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import Connection, make_url, select

from bot.store.db import Database, utcnow
from bot.store.schema import tenants
from tests.support.schema import migrated


def _other_writer_may_begin(path: str) -> bool:
    """Whether another connection (another process, say `keephome import`) could start writing right now."""
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        assert "locked" in str(exc)
        return False
    else:
        other.execute("ROLLBACK")
        return True
    finally:
        other.close()


async def test_a_transaction_that_only_read_so_far_already_holds_the_write_lock(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    path = str(make_url(sqlite_url).database)
    await migrated(db)
    try:

        def read_then_look(conn: Connection) -> bool:
            conn.execute(select(tenants.c.id)).all()
            return _other_writer_may_begin(path)

        assert await db.run(read_then_look) is False
        assert _other_writer_may_begin(path)  # and lets go of it at the end
    finally:
        await db.dispose()


@pytest.mark.parametrize("fails", [False, True])
async def test_the_lock_is_let_go_after_a_transaction_that_failed(sqlite_url: str, fails: bool) -> None:
    db = Database(sqlite_url)
    path = str(make_url(sqlite_url).database)
    await migrated(db)
    try:

        def work(conn: Connection) -> None:
            at = utcnow()
            conn.execute(tenants.insert().values(tenant_ref="T-1", name="Test", created_at=at, updated_at=at))
            if fails:
                raise RuntimeError("the work failed")

        if fails:
            with pytest.raises(RuntimeError):
                await db.run(work)
        else:
            await db.run(work)
        assert _other_writer_may_begin(path)
        async with db.read() as conn:
            assert len((await conn.execute(select(tenants.c.id))).all()) == (0 if fails else 1)
    finally:
        await db.dispose()
