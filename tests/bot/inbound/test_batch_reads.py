"""The processor reads a chunk's tenants at once: what an earlier message of the chunk changed is still seen."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.store.schema import messages
from tests.support.drive import drain, process_all
from tests.support.telegram_harness import CHAT, SECRET_HEADER, Harness, harness, text_update

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
