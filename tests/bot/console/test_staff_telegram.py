"""An adviser connects their own Telegram chat for urgent-case notices with a one-time code from the console."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
from sqlalchemy import select

from bot.app import create_app
from bot.inbound.inbox import InboundMessage
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from bot.starter import running
from bot.store.schema import outbox, staff
from tests.support.console import add_person, login, post_form
from tests.support.drive import FailingSandbox, process_all
from tests.support.schema import migrated

CHAT = "90001"


async def _code(client: httpx.AsyncClient) -> str:
    page = await post_form(client, "/console/me", "/console/me/telegram-code", {})
    assert page.status_code == 200
    found = re.search(r"STAFF (\d{4} \d{4})", page.text)
    assert found is not None, page.text
    return found.group(1)


async def _write_to_bot(rt: Runtime, text: str, sid: str) -> None:
    await rt.inbox.submit(InboundMessage("telegram", f"{CHAT}:{sid}", CHAT, text))
    await process_all(rt.processor)


async def _person(rt: Runtime, staff_id: int) -> object:
    async with rt.db.read() as conn:
        return (await conn.execute(select(staff).where(staff.c.id == staff_id))).one()


async def test_the_code_links_the_chat_and_turns_notices_on(client: httpx.AsyncClient, runtime: Runtime) -> None:
    adviser = await add_person(runtime, "adviser@example.org", "adviser")
    await login(client, "adviser@example.org")
    code = await _code(client)
    await _write_to_bot(runtime, f"staff {code}", "1")
    person = await _person(runtime, adviser)
    assert person.telegram_chat_id == int(CHAT) and person.notify_telegram is True  # type: ignore[attr-defined]
    async with runtime.db.read() as conn:
        told = (await conn.execute(select(outbox.c.template).where(outbox.c.address == CHAT))).scalars().all()
    assert told == ["staff.linked"]
    # The code works once: the same words again link nothing and get the kind refusal.
    await _write_to_bot(runtime, f"STAFF {code}", "2")
    async with runtime.db.read() as conn:
        told = (await conn.execute(select(outbox.c.template).where(outbox.c.address == CHAT))).scalars().all()
    assert told == ["staff.linked", "link.bad_code"]


async def test_an_expired_or_wrong_code_links_nothing(client: httpx.AsyncClient, runtime: Runtime) -> None:
    adviser = await add_person(runtime, "adviser@example.org", "adviser")
    await login(client, "adviser@example.org")
    code = await _code(client)
    wrong = "0000 0000" if code != "0000 0000" else "1111 1111"
    await _write_to_bot(runtime, f"STAFF {wrong}", "1")
    runtime.clock.offset += timedelta(minutes=31)
    await _write_to_bot(runtime, f"STAFF {code}", "2")
    person = await _person(runtime, adviser)
    assert person.telegram_chat_id is None and person.notify_telegram is False  # type: ignore[attr-defined]


async def test_volunteers_get_no_code(client: httpx.AsyncClient, runtime: Runtime) -> None:
    await add_person(runtime, "volunteer@example.org", "volunteer")
    await login(client, "volunteer@example.org")
    page = await client.get("/console/me")
    assert "telegram-code" not in page.text
    refused = await post_form(client, "/console/me", "/console/me/telegram-code", {})
    assert refused.status_code == 422


async def test_without_telegram_the_page_offers_no_code_to_write_to_a_bot_that_is_not_there(settings: Settings) -> None:
    """keephome without KEEPHOME_TELEGRAM_TOKEN: "Me" says Telegram is not set up instead of handing out a code nobody
    can write to any bot, and a code asked for anyway is refused."""
    rt = build_runtime(settings, channels={"sms": FailingSandbox("sms")})
    await migrated(rt.db)
    async with running(rt, background=False):
        adviser = await add_person(rt, "adviser@example.org", "adviser")
        transport = httpx.ASGITransport(app=create_app(rt))
        async with httpx.AsyncClient(transport=transport, base_url="https://keephome.example.org") as client:
            await login(client, "adviser@example.org")
            page = (await client.get("/console/me")).text
            assert 'id="no-telegram"' in page and 'id="get-code"' not in page
            refused = await post_form(client, "/console/me", "/console/me/telegram-code", {})
            assert refused.status_code == 422 and "Telegram is not set up" in refused.text
            assert "STAFF " not in refused.text
        async with rt.db.read() as conn:
            code = (await conn.execute(select(staff.c.telegram_code_hash).where(staff.c.id == adviser))).scalar()
        assert code is None
