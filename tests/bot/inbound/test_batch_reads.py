"""The processor reads a chunk's tenants at once: what an earlier message of the chunk changed is still seen."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from bot.inbound.inbox import InboundMessage
from bot.inbound.processor import CHUNK
from bot.store.schema import conversations, messages
from tests.conftest import make_settings, started_runtime
from tests.support.drive import drain, process_all, sandbox
from tests.support.helpers import add_tenant
from tests.support.telegram_harness import CHAT, SECRET_HEADER, Harness, harness, text_update

PHONE = "+4520123456"
WELCOME = "Velkommen til"
LINKED = "Du er nu forbundet"


@pytest.fixture
async def bot(sqlite_url: str) -> AsyncIterator[Harness]:
    async with harness(sqlite_url) as h:
        yield h


async def test_a_chat_linked_by_one_message_is_the_tenants_for_the_next_of_the_same_batch(bot: Harness) -> None:
    tenant = await bot.tenant()
    code = await bot.code(tenant)
    # Both arrive before the processor looks: they are handled in one batch, whose tenants were read first.
    for text in (code, "jeg kan ikke betale"):
        n = next(bot.ids)
        response = await bot.client.post(
            "/webhooks/telegram", json=text_update(n, CHAT, n, text), headers=SECRET_HEADER
        )
        assert response.status_code == 200
    assert await process_all(bot.rt.processor) == 2
    await drain(bot.rt.sender)

    received = [m["text"] for m in bot.api.delivered if m["chat"]["id"] == CHAT]
    assert received[0].startswith(LINKED)
    assert sum(text.startswith(LINKED) for text in received) == 1
    assert not any(text.startswith(WELCOME) for text in received)  # not taken for a stranger a second time
    async with bot.rt.db.read() as conn:
        written = (
            await conn.execute(select(messages.c.tenant_id, messages.c.text).where(messages.c.direction == "in"))
        ).all()
    assert [tuple(row) for row in written] == [(tenant, "jeg kan ikke betale")]  # the tenant's words, kept once
    assert len(received) > 1  # and the conversation answered them


async def test_a_tenants_second_message_in_a_later_chunk_of_the_batch_reads_what_the_first_wrote(
    database_url: str,
) -> None:
    """SQLite's batch takes every waiting row, a chunk at a time: a tenant's "3" in the second chunk answers the
    question their "hej" in the first one opened, instead of beginning a second conversation."""
    async with started_runtime(make_settings(database_url)) as rt:
        tenant_id = await add_tenant(rt.db)
        first = [InboundMessage(channel="sms", provider_id="SM-A1", sender=PHONE, text="hej")]
        others = [
            InboundMessage(channel="sms", provider_id=f"SM-X{i}", sender=f"+453000{i:04d}", text="hej")
            for i in range(CHUNK - 1)
        ]
        await rt.inbox.commit(
            [*first, *others, InboundMessage(channel="sms", provider_id="SM-A2", sender=PHONE, text="3")]
        )
        assert await process_all(rt.processor) == CHUNK + 1
        await drain(rt.sender)
        replies = [m.text for m in sandbox(rt)["sms"].to(PHONE)]
        async with rt.db.read() as conn:
            begun = (
                await conn.execute(select(func.count()).where(conversations.c.tenant_id == tenant_id))
            ).scalar_one()
    assert begun == 1
    assert len(replies) == 2
    assert "Svar:\n1 Betalt" in replies[0]  # the opening question, once
    assert "Må rådgivere" in replies[1]  # then the adviser's consent question: "3" answered it
