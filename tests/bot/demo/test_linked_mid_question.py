"""A tenant links Telegram while a question waits by SMS (the demo's phones, through the sandbox): the question is
asked again in the chat, with its buttons, and a word there counts as an answer only to a question shown there."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import func, select

from bot.app import create_app
from bot.demo.data import seed_demo
from bot.runtime import Runtime
from bot.settings import Settings
from bot.store.schema import cases, consents, tenants
from tests.bot.demo.test_simulator import SEEDED, SEEDED_AT, SeededClock, drain_all
from tests.conftest import started_runtime

CODE = re.compile(r"\b(\d{8})\b")


@pytest.fixture
async def demo(settings: Settings) -> AsyncIterator[tuple[Runtime, httpx.AsyncClient]]:
    async with started_runtime(settings, SeededClock()) as rt:
        rt.demo = True
        await seed_demo(rt.db, SEEDED, SEEDED_AT)
        transport = httpx.ASGITransport(app=create_app(rt))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as client:
            yield rt, client


async def _id(rt: Runtime, ref: str) -> int:
    async with rt.db.read() as conn:
        return int((await conn.execute(select(tenants.c.id).where(tenants.c.tenant_ref == ref))).scalar_one())


async def _send(rt: Runtime, client: httpx.AsyncClient, tenant: int, channel: str, text: str) -> None:
    response = await client.post("/simulator/api/send", json={"tenant": tenant, "channel": channel, "text": text})
    assert response.status_code == 200, response.text
    await drain_all(rt)


async def _said(client: httpx.AsyncClient, tenant: int, channel: str) -> list[dict[str, object]]:
    thread = await client.get(f"/simulator/api/thread?tenant={tenant}&channel={channel}")
    return [m for m in thread.json()["messages"] if m["dir"] == "out"]


async def _link(rt: Runtime, client: httpx.AsyncClient, tenant: int) -> None:
    await _send(rt, client, tenant, "sms", "TELEGRAM")
    codes = [found[1] for m in await _said(client, tenant, "sms") if (found := CODE.search(str(m["text"])))]
    assert len(codes) == 1
    await _send(rt, client, tenant, "telegram", codes[0])


async def _consents_and_cases(rt: Runtime, tenant: int) -> tuple[int, int]:
    async with rt.db.read() as conn:
        given = select(func.count()).select_from(consents).where(consents.c.tenant_id == tenant)
        opened = select(func.count()).select_from(cases).where(cases.c.tenant_id == tenant)
        return int((await conn.execute(given)).scalar_one()), int((await conn.execute(opened)).scalar_one())


@pytest.mark.parametrize("ref", ["DEMO-11", "DEMO-10"])
async def test_the_consent_question_waiting_by_sms_is_asked_again_in_the_chat_linked(
    demo: tuple[Runtime, httpx.AsyncClient], ref: str
) -> None:
    """Hans (and Gitte, back with START): RÅDGIVER by SMS brings the consent question; TELEGRAM and the code link the
    chat, which then shows the question under the word that it is connected, with its buttons. Nothing is given
    until the tenant answers it there."""
    rt, client = demo
    tenant = await _id(rt, ref)
    if ref == "DEMO-10":  # opted out in the demo's data
        await _send(rt, client, tenant, "sms", "START")
    await _send(rt, client, tenant, "sms", "RÅDGIVER")
    asked = [m["text"] for m in await _said(client, tenant, "sms")]
    assert sum("Må rådgivere" in str(text) for text in asked) == 1, asked
    await _link(rt, client, tenant)
    chat = await _said(client, tenant, "telegram")
    assert [str(m["text"])[:19] for m in chat[:1]] == ["Du er nu forbundet."], chat
    assert len(chat) == 2 and "Må rådgivere" in str(chat[1]["text"]) and chat[1]["buttons"], chat
    assert await _consents_and_cases(rt, tenant) == (0, 0)
    await _send(rt, client, tenant, "telegram", "ja tak")
    assert await _consents_and_cases(rt, tenant) == (1, 1)


async def test_a_question_of_their_own_in_the_chat_linked_follows_the_question_shown_there(
    demo: tuple[Runtime, httpx.AsyncClient],
) -> None:
    """Robin: TELEGRAM by SMS, the code in the chat, then "how much do i owe??": the answer says the question waits,
    and that question was shown in the chat, right after the word that it is connected."""
    rt, client = demo
    tenant = await _id(rt, "DEMO-09")
    await _send(rt, client, tenant, "sms", "hi")
    await _link(rt, client, tenant)
    await _send(rt, client, tenant, "telegram", "how much do i owe??")
    chat = [str(m["text"]) for m in await _said(client, tenant, "telegram")]
    assert len(chat) == 3 and chat[0].startswith("You are now connected."), chat
    assert chat[-1].endswith("Our question waits until you are ready."), chat
    assert "?" in chat[1], chat  # the question itself


@pytest.mark.parametrize(
    ("ref", "words", "consent_asked"),
    [
        ("DEMO-01", ["hej 😊", "øhh", "9", "3"], "Må rådgivere"),
        ("DEMO-04", ["hi 😊", "uhh", "9", "3"], "May advisers"),
    ],
)
async def test_a_choice_right_after_the_bot_gave_up_is_taken_at_once(
    demo: tuple[Runtime, httpx.AsyncClient], ref: str, words: list[str], consent_asked: str
) -> None:
    """Anna and Jamie: a greeting, two answers the menu cannot read (the tries are used up), then "3" (Ring til mig):
    the consent question that choice leads to comes at once, not the menu again."""
    rt, client = demo
    tenant = await _id(rt, ref)
    for word in words:
        await _send(rt, client, tenant, "sms", word)
    said = [str(m["text"]) for m in await _said(client, tenant, "sms")]
    assert consent_asked in said[-1], said
    assert sum(text.startswith(("Hej Anna", "Hi Jamie")) for text in said) == 2, said
