"""A linked tenant on Telegram: buttons out, button presses back in, and the SMS fallback when blocked."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlalchemy import select

from bot.channels.sandbox import SandboxChannel
from bot.store.schema import outbox, rent_positions
from tests.support.telegram_harness import (
    CHAT,
    Harness,
    callback_update,
    harness,
    message_update,
    photo_update,
    text_update,
)

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


def pinned_update(update_id: int, chat_id: int, message_id: int) -> dict[str, Any]:
    """The tenant pins one of the bot's messages: Telegram tells the bot in a service message."""
    bot_user = {"id": 123, "is_bot": True, "first_name": "Keephome", "username": "keephome_bot"}
    chat = {"id": chat_id, "type": "private", "first_name": "Tenant"}
    pinned = {"message_id": 10001, "from": bot_user, "chat": chat, "date": 1767261500, "text": "Hej"}
    return message_update(update_id, chat_id, message_id, pinned_message=pinned)


def auto_delete_update(update_id: int, chat_id: int, message_id: int) -> dict[str, Any]:
    """The tenant turns on auto-delete for the chat (a service message)."""
    timer = {"message_auto_delete_time": 86400}
    return message_update(update_id, chat_id, message_id, message_auto_delete_timer_changed=timer)


SERVICE = pytest.mark.parametrize("service", [pinned_update, auto_delete_update], ids=["pin", "auto_delete"])


@SERVICE
async def test_a_service_message_in_an_open_conversation_is_not_answered(
    bot: Harness, service: Callable[..., dict[str, Any]]
) -> None:
    """Pinning a message or turning on auto-delete is the app's doing, not the tenant's words: before, it was
    answered "we cannot see pictures" and counted as a try at the open question."""
    await bot.tenant(phone=PHONE, chat_id=CHAT)
    await bot.send(text_update, "hej")
    assert await bot.send(service) == []
    # The question is still whole: the tenant's own answer is heard as the first.
    [reply] = await bot.send(text_update, "Jeg har betalt")
    assert reply.startswith("Tak for besked."), reply


@SERVICE
async def test_a_service_message_starts_no_conversation(bot: Harness, service: Callable[..., dict[str, Any]]) -> None:
    await bot.tenant(phone=PHONE, chat_id=CHAT)
    assert await bot.send(service) == []


async def test_a_receipt_photo_with_a_caption_is_told_pictures_cannot_be_seen_and_uses_no_try(bot: Harness) -> None:
    await bot.tenant(phone=PHONE, chat_id=CHAT)
    await bot.send(text_update, "hej")
    for _ in range(2):  # before, the second photo ended the conversation with "Vi forstår det desværre ikke her"
        assert await bot.send(photo_update) == [
            "Vi kan ikke se billeder eller høre lydbeskeder her. Skriv gerne dit svar som tekst."
        ]
    [reply] = await bot.send(text_update, "Jeg har betalt")
    assert reply.startswith("Tak for besked."), reply


async def test_a_forwarded_stop_does_not_opt_the_tenant_out_and_still_reaches_the_conversation(bot: Harness) -> None:
    """A neighbour's "STOP", forwarded by the tenant, is not the tenant's keyword: before, it opted them out."""
    tenant = await bot.tenant(phone=PHONE, chat_id=CHAT)
    origin = {"type": "user", "date": 1767261000, "sender_user": {"id": 42, "is_bot": False, "first_name": "Nabo"}}
    replies = await bot.send(lambda n, c, m: message_update(n, c, m, text="STOP", forward_origin=origin))
    assert (await bot.tenant_row(tenant)).status == "active"
    assert not any("afmeldt" in reply.lower() for reply in replies), replies
    assert any("Har du brug for hjælp med huslejen?" in reply for reply in replies), replies
    # The tenant's own STOP still works.
    await bot.send(text_update, "STOP")
    assert (await bot.tenant_row(tenant)).status == "stopped"
