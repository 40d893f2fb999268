"""How the processor batches: no savepoints unless a row fails, and a time budget per transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select

from bot.inbound.inbox import InboundMessage
from bot.inbound.processor import MIN_ROWS, Processor
from bot.runtime import Runtime
from bot.store.scene import Scene
from bot.store.schema import consents, inbound, messages, outbox
from tests.conftest import make_settings, started_runtime
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


@pytest.fixture
async def either_runtime(database_url: str) -> AsyncIterator[Runtime]:
    async with started_runtime(make_settings(database_url)) as rt:
        yield rt


async def test_a_row_whose_rows_cannot_be_written_loses_only_those_and_a_good_batch_takes_no_savepoint(
    either_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt = either_runtime
    phones = [f"+452012345{n}" for n in range(5)]
    for n, phone in enumerate(phones):
        await add_tenant(rt.db, f"T-{n}", phone=phone)

    async def submit(*texts: str) -> None:
        # Each from another tenant: a second message of one tenant in a batch writes the first one's rows first.
        for text in texts:
            n = int(text[-1])
            await rt.inbox.submit(InboundMessage(channel="sms", provider_id=f"SM{n}", sender=phones[n], text=text))

    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        await submit("hej 0", "hej 1")
        assert await process_all(rt.processor) == 2
        assert not [s for s in statements if "SAVEPOINT" in s.upper()]  # a batch that writes fine: none
        # The ids of its messages, outbox rows and conversations come from one statement.
        reserving = ("nextval", "max(messages.id)", "max(outbox.id)", "max(conversations.id)")
        assert len([s for s in statements if any(word in s for word in reserving)]) == 1

        # A row whose handling adds a row the database refuses (a consent of a tenant that does not exist).
        handler = rt.processor._handler
        handle = handler.handle

        def with_a_bad_row(scene: Scene, row: Any, now: Any) -> str:
            if row.text == "bad 3":
                given = {"tenant_id": 999_999, "scope": "adviser", "wording_version": "v1", "given_at": now}
                scene.add((consents, given))
            return handle(scene, row, now)

        monkeypatch.setattr(handler, "handle", with_a_bad_row)
        await submit("hej 2", "bad 3", "hej 4")
        assert await process_all(rt.processor) == 3
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    unprocessed = select(func.count()).select_from(inbound).where(inbound.c.processed_at.is_(None))
    assert await _count(rt, unprocessed) == 0
    # Only the refused row is missing: all five messages were stored and answered.
    stored = select(func.count()).select_from(messages).where(messages.c.direction == "in")
    assert await _count(rt, stored) == 5
    assert await _count(rt, select(func.count(func.distinct(outbox.c.tenant_id))).select_from(outbox)) == 5
    assert await _count(rt, select(func.count()).select_from(consents)) == 0
    errors = rt.metrics.registry.get_sample_value(
        "keephome_inbound_messages_total", {"channel": "sms", "result": "error"}
    )
    assert not errors


async def _answered_tenants(rt: Runtime) -> int:
    return await _count(rt, select(func.count(func.distinct(outbox.c.tenant_id))).select_from(outbox))


async def test_a_chat_id_past_64_bits_in_a_batch_stops_no_one_else_s_answer(either_runtime: Runtime) -> None:
    """A Telegram row whose chat id no database column holds (stored before the webhook refused such ids) failed the
    batch's one read of its senders, on every round: no tenant's message was answered any more. It is no tenant's
    chat; the tenants' messages beside it are answered."""
    rt = either_runtime
    phones = [f"+452012345{n}" for n in range(3)]
    for n, phone in enumerate(phones):
        await add_tenant(rt.db, f"T-{n}", phone=phone)
    await rt.inbox.submit(InboundMessage(channel="sms", provider_id="SM0", sender=phones[0], text="hej"))
    async with rt.db.write() as conn:
        await conn.execute(
            inbound.insert().values(
                channel="telegram", provider_id="9:1", sender="9" * 25, text="hej", received_at=rt.clock()
            )
        )
    for n in (1, 2):
        await rt.inbox.submit(InboundMessage(channel="sms", provider_id=f"SM{n}", sender=phones[n], text="hej"))
    assert await process_all(rt.processor) == 4
    assert await process_all(rt.processor) == 0
    assert await _answered_tenants(rt) == 3
    unprocessed = select(func.count()).select_from(inbound).where(inbound.c.processed_at.is_(None))
    assert await _count(rt, unprocessed) == 0
    # Read as a chat no tenant has, not as a message keephome failed on.
    failed = select(func.count()).select_from(inbound).where(inbound.c.failed_at.is_not(None))
    assert await _count(rt, failed) == 0


async def test_a_chunk_whose_senders_cannot_be_read_at_once_still_answers_every_row(
    either_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Should the batch's one read of its senders fail, for whatever reason, each row reads its own sender: the
    batch is not lost, nor failed again every round."""
    rt = either_runtime
    phones = [f"+452012345{n}" for n in range(3)]
    for n, phone in enumerate(phones):
        await add_tenant(rt.db, f"T-{n}", phone=phone)
        await rt.inbox.submit(InboundMessage(channel="sms", provider_id=f"SM{n}", sender=phone, text="hej"))
    handler = rt.processor._handler

    def unreadable(scene: Scene, rows: Any) -> None:
        raise OverflowError("Python int too large to convert to SQLite INTEGER")

    monkeypatch.setattr(handler, "prepare", unreadable)
    assert await process_all(rt.processor) == 3
    assert await _answered_tenants(rt) == 3
    failed = select(func.count()).select_from(inbound).where(inbound.c.failed_at.is_not(None))
    assert await _count(rt, failed) == 0
