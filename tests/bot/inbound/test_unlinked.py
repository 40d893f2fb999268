"""Linking a Telegram chat to a tenant: deep link, typed code, own contact; refusals and slowing down."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.inbound.strangers import stranger_key
from bot.store.schema import unknown_senders
from bot.tenants.linking import deep_link
from bot.tenants.phones import from_telegram_contact
from tests.support.telegram_harness import CHAT, Harness, contact_update, harness, text_update

LINKED = "Du er nu forbundet"
BAD_CODE = "Den kode virker ikke"
MISMATCH = "Vi kunne ikke finde dig"
WELCOME = "Velkommen til"


@pytest.fixture
async def bot(sqlite_url: str) -> AsyncIterator[Harness]:
    async with harness(sqlite_url) as h:
        yield h


async def test_deep_link_links_the_chat(bot: Harness) -> None:
    tenant = await bot.tenant(language="en")
    async with bot.rt.db.write() as conn:
        url = await conn.run_sync(deep_link, tenant, bot.clock(), bot.rt.settings.link_token_minutes, "keephome_bot")
    prefix = "https://t.me/keephome_bot?start="
    assert url.startswith(prefix)
    token = url.removeprefix(prefix)
    assert await bot.send(text_update, f"/start {token}") == [
        "You are now connected. We will write to you here from now on. Send STOP to unsubscribe."
    ]
    assert await bot.chat_of(tenant) == CHAT


@pytest.mark.parametrize("typed", ["{}", "{0} {1}", " {0}-{1} "])
async def test_typed_code_links_the_chat(bot: Harness, typed: str) -> None:
    tenant = await bot.tenant()
    code = await bot.code(tenant)
    replies = await bot.send(text_update, typed.format(code[:3], code[3:]) if "{0}" in typed else code)
    assert len(replies) == 1 and replies[0].startswith(LINKED)
    assert await bot.chat_of(tenant) == CHAT


async def test_used_code_is_refused_kindly(bot: Harness) -> None:
    tenant = await bot.tenant()
    code = await bot.code(tenant)
    await bot.send(text_update, code)
    replies = await bot.send(text_update, code, chat=888002)
    assert len(replies) == 1 and replies[0].startswith(BAD_CODE)
    assert await bot.chat_of(tenant) == CHAT


async def test_expired_code_is_refused(bot: Harness) -> None:
    tenant = await bot.tenant()
    code = await bot.code(tenant)
    bot.clock.offset += timedelta(minutes=bot.rt.settings.link_code_minutes + 1)
    replies = await bot.send(text_update, code)
    assert len(replies) == 1 and replies[0].startswith(BAD_CODE)
    assert await bot.chat_of(tenant) is None


async def test_repeated_wrong_codes_are_slowed_down(bot: Harness) -> None:
    tenant = await bot.tenant()
    code = await bot.code(tenant)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert (await bot.send(text_update, wrong))[0].startswith(BAD_CODE)
    # The sixth try is not even checked, so the right code does not help while blocked.
    assert (await bot.send(text_update, code))[0].startswith(BAD_CODE)
    assert await bot.chat_of(tenant) is None
    bot.clock.offset += timedelta(minutes=16)
    assert (await bot.send(text_update, code))[0].startswith(LINKED)
    assert await bot.chat_of(tenant) == CHAT
    async with bot.rt.db.read() as conn:
        row = (
            await conn.execute(
                select(unknown_senders).where(
                    unknown_senders.c.address_hash
                    == stranger_key(bot.rt.settings.secret_key or "", "telegram", str(CHAT))
                )
            )
        ).one()
    assert (row.failed_codes, row.blocked_until) == (0, None)


async def test_own_contact_with_a_tenants_number_links(bot: Harness) -> None:
    tenant = await bot.tenant(phone="+4520304050")
    replies = await bot.send(contact_update, "4520304050", CHAT)
    assert len(replies) == 1 and replies[0].startswith(LINKED)
    assert await bot.chat_of(tenant) == CHAT


async def test_someone_elses_contact_is_refused(bot: Harness) -> None:
    tenant = await bot.tenant(phone="+4520304050")
    replies = await bot.send(contact_update, "+45 20 30 40 50", 999003)
    assert len(replies) == 1 and replies[0].startswith(MISMATCH)
    assert await bot.chat_of(tenant) is None


async def test_own_contact_with_an_unknown_number_is_refused(bot: Harness) -> None:
    await bot.tenant(phone="+4520304050")
    replies = await bot.send(contact_update, "4560708090", CHAT)
    assert len(replies) == 1 and replies[0].startswith(MISMATCH)


async def test_plain_text_gets_the_welcome_once_a_day(bot: Harness) -> None:
    assert (await bot.send(text_update, "hej"))[0].startswith(WELCOME)
    assert await bot.send(text_update, "hallo?") == []
    bot.clock.offset += timedelta(days=1)
    assert (await bot.send(text_update, "hej igen"))[0].startswith(WELCOME)


async def test_start_without_payload_explains_how_to_connect(bot: Harness) -> None:
    assert (await bot.send(text_update, "/start"))[0].startswith(WELCOME)
    assert (await bot.send(text_update, "/start"))[0].startswith(WELCOME)


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("4520304050", "+4520304050"),
        ("+45 20 30 40 50", "+4520304050"),
        ("20304050", "+4520304050"),
        ("12", None),
        ("4500000000", None),
    ],
)
def test_shared_numbers_are_normalised(raw: str, e164: str | None) -> None:
    assert from_telegram_contact(raw) == e164


async def test_wrong_then_right_code_on_each_database(database_url: str) -> None:
    async with harness(database_url) as bot:
        tenant = await bot.tenant()
        code = await bot.code(tenant)
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        assert (await bot.send(text_update, "hej"))[0].startswith(WELCOME)
        assert (await bot.send(text_update, wrong))[0].startswith(BAD_CODE)
        assert (await bot.send(text_update, code))[0].startswith(LINKED)
        assert await bot.chat_of(tenant) == CHAT
