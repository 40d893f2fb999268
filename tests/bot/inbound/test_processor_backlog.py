"""On PostgreSQL a batch takes a larger share when a backlog has built up and a webhook is always waiting."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.inbound.inbox import InboundMessage, Inbox
from bot.inbound.processor import CHUNK, MIN_ROWS, Processor
from bot.metrics import Metrics
from bot.store.db import Database
from bot.store.schema import inbound, messages
from tests.conftest import make_settings
from tests.support.drive import process_all
from tests.support.helpers import add_tenant
from tests.support.schema import migrated

pytestmark = pytest.mark.postgres

TENANTS = 100


async def _backlog(pg_url: str, rounds: int) -> Database:
    db = Database(pg_url)
    await migrated(db)
    phones = [f"+4520{i:06d}" for i in range(TENANTS)]
    for i, phone in enumerate(phones):
        await add_tenant(db, f"T-{i}", name=f"Lejer {i}", phone=phone)
    words = ["hej", "1", "hvad", "ok"][:rounds]
    batch = [InboundMessage("sms", f"SM-{n}-{phone}", phone, word) for n, word in enumerate(words) for phone in phones]
    await Inbox(db, lambda: datetime.now(UTC)).commit(batch)
    return db


def _processor(db: Database, pg_url: str) -> Processor:
    # A webhook is always waiting and the time budget is always spent: the processor gives way as soon as it may.
    return Processor(
        db, make_settings(pg_url), lambda: datetime.now(UTC), Metrics(), budget=0.0, should_yield=lambda: True
    )


async def test_a_backlog_makes_a_batch_handle_more_than_the_least_rows_and_in_order(pg_url: str) -> None:
    db = await _backlog(pg_url, rounds=4)  # 400 waiting messages, four from each of 100 tenants
    try:
        processor = _processor(db, pg_url)
        first = await processor.process_pending()
        # An eighth of the backlog in one transaction, not the 16 rows that left the processor behind the load.
        assert first == 400 // 8
        assert first > MIN_ROWS
        async with db.read() as conn:
            done = (await conn.execute(select(inbound.c.id).where(inbound.c.processed_at.is_not(None)))).scalars()
            oldest = (await conn.execute(select(inbound.c.id).order_by(inbound.c.id).limit(first))).scalars()
            assert sorted(done) == list(oldest)  # the oldest waiting messages, each once
        assert first + await process_all(processor) == 400
        async with db.read() as conn:
            received = (await conn.execute(select(inbound.c.provider_id).order_by(inbound.c.id))).scalars().all()
            stored = (
                (
                    await conn.execute(
                        select(messages.c.provider_id).where(messages.c.direction == "in").order_by(messages.c.id)
                    )
                )
                .scalars()
                .all()
            )
        assert sorted(stored) == sorted(received)  # every message handled exactly once
        for i in range(TENANTS):
            phone = f"+4520{i:06d}"
            assert [s for s in stored if s.endswith(phone)] == [s for s in received if s.endswith(phone)]
    finally:
        await db.dispose()


async def test_without_a_backlog_a_batch_still_gives_way_after_a_chunk(pg_url: str) -> None:
    db = await _backlog(pg_url, rounds=1)  # 100 waiting messages: an eighth is fewer than a chunk
    try:
        # A whole chunk: the rows a batch read and locked are handled, not put back after the least rows SQLite
        # gives way after (there the batch holds the writer the webhooks wait for; here they have their own).
        assert await _processor(db, pg_url).process_pending() == CHUNK > MIN_ROWS
    finally:
        await db.dispose()
