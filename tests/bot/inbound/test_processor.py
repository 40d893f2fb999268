"""How the processor batches: no savepoints unless a row fails, and a time budget per transaction."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from bot.inbound.inbox import InboundMessage
from bot.inbound.processor import MIN_ROWS, Processor
from bot.runtime import Runtime
from bot.store.schema import inbound, messages, outbox
from tests.support.drive import process_all
from tests.support.helpers import add_tenant


async def _submit(rt: Runtime, *texts: str) -> None:
    for i, text in enumerate(texts):
        await rt.inbox.submit(InboundMessage(channel="sms", provider_id=f"SM{i}", sender="+4520123456", text=text))


async def _count(rt: Runtime, stmt: Any) -> int:
    async with rt.db.read() as conn:
        return int((await conn.execute(stmt)).scalar_one())


async def test_a_row_that_fails_is_set_aside_and_the_rest_of_the_batch_is_kept(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    await add_tenant(runtime.db)
    await _submit(runtime, "hej", "1", "HJÆLP")
    handler = runtime.processor._handler
    handle = handler.handle

    def failing_second(conn: Any, row: Any, now: Any) -> str:
        if row.provider_id == "SM1":
            raise RuntimeError("broken row")
        return handle(conn, row, now)

    monkeypatch.setattr(handler, "handle", failing_second)
    assert await process_all(runtime.processor) == 3
    unprocessed = select(func.count()).select_from(inbound).where(inbound.c.processed_at.is_(None))
    assert await _count(runtime, unprocessed) == 0
    # The failed row left nothing behind; the two others were answered.
    stored = select(func.count()).select_from(messages).where(messages.c.direction == "in")
    assert await _count(runtime, stored) == 2
    failed = select(func.count()).select_from(messages).where(messages.c.provider_id == "SM1")
    assert await _count(runtime, failed) == 0
    assert await _count(runtime, select(func.count()).select_from(outbox)) == 2
    errors = runtime.metrics.registry.get_sample_value(
        "keephome_inbound_messages_total", {"channel": "sms", "result": "error"}
    )
    assert errors == 1


async def test_a_spent_budget_still_commits_a_few_rows_per_transaction_in_order(runtime: Runtime) -> None:
    # However slow the database (a budget spent before the first row), each transaction handles MIN_ROWS rows:
    # one row a transaction would leave the processor far behind a busy webhook.
    await add_tenant(runtime.db)
    await _submit(runtime, *["hej"] * (MIN_ROWS + 3))
    processor = Processor(runtime.db, runtime.settings, runtime.clock, runtime.metrics, budget=0.0)
    assert await processor.process_pending() == MIN_ROWS
    async with runtime.db.read() as conn:
        done = (await conn.execute(select(inbound.c.provider_id).where(inbound.c.processed_at.is_not(None)))).all()
    assert sorted(int(r.provider_id[2:]) for r in done) == list(range(MIN_ROWS))
    assert await processor.process_pending() == 3
    assert await processor.process_pending() == 0
