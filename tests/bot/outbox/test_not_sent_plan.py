"""The sender counts the rows not sent (held, dropped) of the last week every second while busy: on SQLite that count
seeks ix_outbox_claim from the week's start in each range, instead of reading every held or dropped row retention
keeps (weeks of them)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.outbox.depth import _NOT_SENT
from bot.store.db import Database
from tests.support.schema import migrated


async def test_the_not_sent_count_reads_only_the_last_week_of_the_index(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    await migrated(db)
    async with db.read() as conn:
        sql = str(
            _NOT_SENT.params(since=datetime(2026, 3, 1, tzinfo=UTC)).compile(
                dialect=conn.dialect, compile_kwargs={"literal_binds": True}
            )
        )
        plan = " ".join(str(row[-1]) for row in (await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)).all())
    await db.dispose()
    assert "USING INDEX ix_outbox_claim" in plan and "next_attempt_at>?" in plan, plan
