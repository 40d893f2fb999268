"""Migration 0030: a stranger's row stored before it kept no STOP, and keeps every value; the downgrade leaves the row
as it was."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from bot.store.db import Database
from bot.store.migrate import upgrade
from bot.store.schema import unknown_senders
from tests.support.schema import migrate_to

NOW = datetime(2027, 3, 12, 10, 0, tzinfo=UTC)
# The columns a stranger's row had at revision 0029.
_BEFORE = [column for column in unknown_senders.c if column.name != "stopped_at"]


async def _rows(db: Database, *columns: Any) -> list[dict[str, Any]]:
    async with db.read() as conn:
        query = select(*columns).order_by(unknown_senders.c.address_hash)
        return [dict(row._mapping) for row in await conn.execute(query)]


async def test_a_stored_stranger_kept_no_stop_and_keeps_its_values(empty_database_url: str) -> None:
    db = Database(empty_database_url)
    try:
        await migrate_to(db, "0029")
        async with db.write() as conn:
            await conn.execute(
                unknown_senders.insert().values(
                    address_hash="a" * 64, last_answered_on=date(2027, 3, 12), failed_codes=2, blocked_until=NOW
                )
            )
        before = await _rows(db, *_BEFORE)
        await upgrade(db)
        assert await _rows(db, *_BEFORE) == before
        assert await _rows(db, unknown_senders.c.stopped_at) == [{"stopped_at": None}]
        await migrate_to(db, "0029", down=True)
        assert await _rows(db, *_BEFORE) == before
    finally:
        await db.dispose()
