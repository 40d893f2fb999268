"""A status callback and the sender's record of the same sid, at the same moment on PostgreSQL: neither misses the
other (each transaction alone sees nothing of the other's uncommitted write)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.outbox.status import apply_early, record_delivery
from bot.store.db import Database
from bot.store.schema import STATUS_RANK, early_statuses, messages
from tests.support.schema import migrated

pytestmark = pytest.mark.postgres

SID = "SM" + "0" * 32
AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def _waiting_on_the_lock(db: Database) -> int:
    async with db.read() as conn:
        waiting = text(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'LOCK TABLE messages%'"
        )
        return int((await conn.execute(waiting)).scalar_one())


async def _being_sent(db: Database) -> int:
    """A message the sender is sending: no sid yet."""
    async with db.write() as conn:
        return int(
            (
                await conn.execute(
                    messages.insert()
                    .values(
                        direction="out",
                        channel="sms",
                        author="bot",
                        status="sending",
                        status_rank=STATUS_RANK["sending"],
                        created_at=AT,
                        updated_at=AT,
                    )
                    .returning(messages.c.id)
                )
            ).scalar_one()
        )


async def _recorded_sent(conn: AsyncConnection, message_id: int, sid: str) -> None:
    """What the sender's record writes for a message sent."""
    await conn.execute(
        update(messages)
        .where(messages.c.id == message_id)
        .values(provider_id=sid, status="sent", status_rank=STATUS_RANK["sent"])
    )


async def _until_waiting(db: Database, callbacks: set[asyncio.Task[str]]) -> None:
    """Until each callback waits on the lock or has ended."""
    while await _waiting_on_the_lock(db) < len(callbacks):
        done, _ = await asyncio.wait(callbacks, timeout=0.01)
        if done:
            break


async def test_a_failure_reported_while_the_sender_records_its_sid_is_applied(pg_url: str) -> None:
    db = Database(pg_url)
    try:
        await migrated(db)
        message_id = await _being_sent(db)
        # The sender's record of the wave: the sid written, the kept callbacks looked for (none yet), not committed.
        async with db.write() as conn:
            await _recorded_sent(conn, message_id, SID)
            assert await conn.run_sync(apply_early, [SID], AT) == []
            # Twilio's "failed" comes now: it cannot see the sid yet, nor can the sender see it kept.
            callback = asyncio.create_task(db.run(record_delivery, SID, "failed", "30003", AT))
            await _until_waiting(db, {callback})
        # The callback waited for the sender's transaction and found the sid: applied, nothing left kept.
        assert await callback == "status_applied"
        async with db.read() as conn:
            row = (await conn.execute(select(messages.c.status, messages.c.error_code))).one()
            kept = (await conn.execute(select(func.count()).select_from(early_statuses))).scalar_one()
        assert (row.status, row.error_code, kept) == ("failed", "30003", 0)
    finally:
        await db.dispose()


async def test_two_failures_reported_while_the_sender_records_their_sids_are_both_applied(pg_url: str) -> None:
    # Two unreachable numbers in one wave: both callbacks wait for the sender, then each updates its message.
    db = Database(pg_url)
    try:
        await migrated(db)
        sids = {await _being_sent(db): "SM" + "1" * 32, await _being_sent(db): "SM" + "2" * 32}
        async with db.write() as conn:
            for message_id, sid in sids.items():
                await _recorded_sent(conn, message_id, sid)
            assert await conn.run_sync(apply_early, list(sids.values()), AT) == []
            callbacks = {
                asyncio.create_task(db.run(record_delivery, sid, "failed", "30003", AT)) for sid in sids.values()
            }
            await _until_waiting(db, callbacks)
        assert [await callback for callback in callbacks] == ["status_applied", "status_applied"]
        async with db.read() as conn:
            statuses = (await conn.execute(select(messages.c.status))).scalars().all()
        assert statuses == ["failed", "failed"]
    finally:
        await db.dispose()
