"""A linked tenant on Telegram: buttons out, button presses back in, and the SMS fallback when blocked."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.channels.sandbox import SandboxChannel
from bot.store.schema import outbox, rent_positions
from tests.support.telegram_harness import CHAT, Harness, callback_update, harness, text_update

PHONE = "+4520304050"


@pytest.fixture
async def bot(sqlite_url: str) -> AsyncIterator[Harness]:
    async with harness(sqlite_url) as h:
        yield h


async def test_first_message_asks_with_buttons_and_a_press_answers(bot: Harness) -> None:
    tenant = await bot.tenant(phone=PHONE, chat_id=CHAT)
    [question] = await bot.send(text_update, "hej")
    assert "Har du brug for hjælp med huslejen?" in question
    call = bot.api.calls_to("sendMessage")[-1]
    buttons = [b for row in call.params["reply_markup"]["inline_keyboard"] for b in row]
    async with bot.rt.db.read() as conn:
        outbox_id = (await conn.execute(select(outbox.c.id).order_by(outbox.c.id.desc()).limit(1))).scalar_one()
    assert [b["callback_data"] for b in buttons] == [f"{outbox_id}.{i}" for i in range(len(buttons))]
    paid = next(b for b in buttons if b["text"] == "Jeg har betalt")

    [reply] = await bot.send(callback_update, "cbq-1", paid["callback_data"])
    assert reply.startswith("Tak for besked.")
    assert str(bot.api.calls_to("answerCallbackQuery")[-1].params["callback_query_id"]) == "cbq-1"
    async with bot.rt.db.read() as conn:
        until = (
            await conn.execute(select(rent_positions.c.paid_claim_until).where(rent_positions.c.tenant_id == tenant))
        ).scalar_one()
    assert until is not None


async def test_stale_or_forged_button_data_is_not_taken_as_an_answer(bot: Harness) -> None:
    tenant = await bot.tenant(phone=PHONE, chat_id=CHAT)
    await bot.send(text_update, "hej")
    for data in ("999999.0", "not-ours"):
        assert await bot.send(callback_update, f"cbq-{data}", data) == []
    async with bot.rt.db.read() as conn:
        until = (
            await conn.execute(select(rent_positions.c.paid_claim_until).where(rent_positions.c.tenant_id == tenant))
        ).scalar_one()
    assert until is None
    # The spinner stops either way.
    assert len(bot.api.calls_to("answerCallbackQuery")) == 2


async def test_blocked_bot_falls_back_to_sms(bot: Harness) -> None:
    tenant = await bot.tenant(phone=PHONE, chat_id=CHAT)
    bot.api.fail_next.append("blocked")
    assert await bot.send(text_update, "hej") == []
    assert (await bot.tenant_row(tenant)).telegram_blocked is True
    sms = bot.rt.channels["sms"]
    assert isinstance(sms, SandboxChannel)
    [message] = sms.to(PHONE)
    # Re-rendered by the SMS rules: the options are listed as numbers, no buttons.
    assert message.buttons == ()
    assert "1" in message.text
