"""After a small batch the running processor gathers the next rows into one batch, for a moment at most; a webhook
held for the processor never waits for that moment."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import func, select

from bot.inbound import processor as processing
from bot.inbound.inbox import InboundMessage
from bot.inbound.processor import CHUNK, MIN_ROWS
from bot.runtime import Runtime
from bot.store.schema import inbound
from tests.conftest import make_settings, started_runtime


def _message(i: int) -> InboundMessage:
    return InboundMessage("sms", f"SM-gather-{i}", f"+4530{i:06d}", "hej")


async def _until_processed(rt: Runtime, count: int) -> None:
    for _ in range(600):
        async with rt.db.read() as conn:
            stmt = select(func.count()).select_from(inbound).where(inbound.c.processed_at.is_not(None))
            if (await conn.execute(stmt)).scalar_one() >= count:
                return
        await asyncio.sleep(0.05)
    raise AssertionError(f"fewer than {count} messages processed in 30 s")


@asynccontextmanager
async def _counted_batches(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[list[int]]:
    """The running processor, gathering for as long as a test takes; yields the sizes of its batches."""
    monkeypatch.setattr(processing, "GATHER_SECONDS", 60.0)
    monkeypatch.setattr(rt.processor, "_budget", 60.0)  # a batch takes every waiting row, however slow the machine
    batches: list[int] = []
    process_pending = rt.processor.process_pending

    async def counted() -> int:
        handled = await process_pending()
        if handled:
            batches.append(handled)
        return handled

    monkeypatch.setattr(rt.processor, "process_pending", counted)
    await rt.processor.start(poll=30)
    try:
        await rt.inbox.commit([_message(0)])
        await _until_processed(rt, 1)
        yield batches
    finally:
        await rt.processor.stop()


async def test_after_a_small_batch_the_next_rows_are_handled_together_once_a_chunk_is_committed(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with started_runtime(make_settings(database_url)) as rt, _counted_batches(rt, monkeypatch) as batches:
        for i in range(1, CHUNK + 1):  # one webhook after another, each committed alone
            await rt.inbox.commit([_message(i)])
        await _until_processed(rt, CHUNK + 1)
    assert batches == [1, CHUNK]  # not a batch for each commit


async def test_a_webhook_held_for_the_processor_ends_its_gathering_at_once(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with started_runtime(make_settings(database_url)) as rt, _counted_batches(rt, monkeypatch) as batches:
        await rt.inbox.commit([_message(i) for i in range(1, 4)])  # fewer than a chunk: the processor gathers on
        # A webhook held until the processor has looked (a limit it never reaches: the hold lasts its whole time).
        await rt.processor.caught_up(limit=-1, most=0.5)
        assert batches == [1, 3]  # the held webhook's processor did not wait out its gathering


async def test_a_batch_that_left_a_chunk_waiting_is_followed_at_once(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with started_runtime(make_settings(database_url)) as rt, _counted_batches(rt, monkeypatch) as batches:
        monkeypatch.setattr(rt.processor, "_should_yield", lambda: True)  # a webhook always waits: 16 rows a batch
        await rt.inbox.commit([_message(i) for i in range(1, 2 * CHUNK - 3)])
        # 16 handled and 44 left: the next batch goes at once; 16 more and 28 left, fewer than a chunk: it gathers.
        await _until_processed(rt, 1 + 2 * MIN_ROWS)
        assert batches == [1, MIN_ROWS, MIN_ROWS]
