"""Consent withdrawal through the service, on SQLite and PostgreSQL: the adviser stops seeing the tenant's answers
and replies with the very next request, and what the adviser reads afterwards is audited.

A tenant consents the way tenants do (they write, say they cannot pay, say yes), an adviser reads the case; then
the tenant withdraws — with the keyword (TILBAGEKALD by SMS, WITHDRAW on Telegram) through the inbox and the
processor, also while the adviser holds the case, or through the withdraw_consent flow applied by the host.
"""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.host.handlers import apply_events
from bot.host.turn import Turn, save_state
from bot.inbound.inbox import InboundMessage
from bot.runtime import Clock, Runtime
from bot.store.scene import Scene
from bot.store.schema import audit_log, cases, consents, conversations
from conversations.engine import start
from conversations.model import Context
from tests.conftest import make_settings, started_runtime
from tests.support.console import add_tenant, adviser_client, post_form
from tests.support.drive import drain, process_all, sandbox

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday morning
PHONE = "+4520000001"
CHAT = 777001
GREETING = "Halløj"  # no question placed: the bot asks its opening question
HARDSHIP = "jeg kan ikke betale lige nu"


class FixedClock(Clock):
    def __call__(self) -> datetime:
        return START + self.offset


@pytest.fixture
async def rt(database_url: str) -> AsyncIterator[Runtime]:
    settings = make_settings(database_url, telegram_token="123:ABC", telegram_secret="s3cret")
    async with started_runtime(settings, FixedClock()) as runtime:
        yield runtime


@pytest.fixture
async def adviser(rt: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with adviser_client(rt) as client:
        yield client


class Tenant:
    """A tenant writing to the bot over one channel, one message at a time, as the service receives them."""

    def __init__(self, rt: Runtime, channel: str) -> None:
        self.rt = rt
        self.channel = channel
        self.address = PHONE if channel == "sms" else str(CHAT)
        self.sent = 0

    async def writes(self, text: str) -> None:
        self.sent += 1
        provider_id = f"SM-{self.sent}" if self.channel == "sms" else f"{CHAT}:{self.sent}"
        await self.rt.inbox.submit(InboundMessage(self.channel, provider_id, self.address, text))
        await process_all(self.rt.processor)
        await drain(self.rt.sender)

    def received(self) -> list[str]:
        channel = sandbox(self.rt)[self.channel]
        return [m.text for m in channel.to(self.address)]


async def consenting(rt: Runtime, channel: str = "sms", language: str = "da") -> tuple[Tenant, int, int]:
    """A tenant who wrote first, said they cannot pay and agreed to share; returns them, their id and the case."""
    tenant_id = await add_tenant(
        rt, "R-1", phone=PHONE, chat_id=CHAT if channel == "telegram" else None, language=language, balance_ore=250000
    )
    tenant = Tenant(rt, channel)
    for text in (GREETING, HARDSHIP, "ja" if language == "da" else "yes"):
        await tenant.writes(text)
    async with rt.db.read() as conn:
        case_id = (
            await conn.execute(select(cases.c.id).where(cases.c.tenant_id == tenant_id, cases.c.consented.is_(True)))
        ).scalar_one()
    return tenant, tenant_id, case_id


async def shown(adviser: httpx.AsyncClient, case_id: int) -> tuple[str, dict[str, Any]]:
    """What the adviser's browser asks for next: the open page's poller (the whole transcript), then a reload."""
    polled = await adviser.get(f"/console/cases/{case_id}/messages.json?after=0")
    assert polled.status_code == 200
    page = await adviser.get(f"/console/cases/{case_id}")
    assert page.status_code == 200
    return html.unescape(page.text), polled.json()


def replies(polled: dict[str, Any]) -> list[str]:
    return [m["text"] for m in polled["messages"] if m["direction"] == "in"]


async def audited(rt: Runtime, case_id: int) -> list[str]:
    async with rt.db.read() as conn:
        query = select(audit_log.c.action).where(audit_log.c.target == f"case:{case_id}").order_by(audit_log.c.id)
        return list((await conn.execute(query)).scalars().all())


async def assert_sharing_stopped(rt: Runtime, adviser: httpx.AsyncClient, case_id: int, *, hidden: int) -> None:
    """The next requests already hide every answer and reply; what they show is audited, like every read."""
    before = await audited(rt, case_id)
    page, polled = await shown(adviser, case_id)
    assert HARDSHIP not in page and GREETING not in page
    assert "First answer" not in page and "Agreed to share" not in page  # the answers the flow collected
    assert f"{hidden} of the tenant's replies are hidden" in page
    assert polled["consent"] is False and polled["hidden"] == hidden
    assert replies(polled) == []
    # The poller showed something new (the bot's confirmation of the withdrawal), the page was viewed: both audited.
    assert (await audited(rt, case_id))[len(before) :] == ["case.messages", "case.view"]
    async with rt.db.read() as conn:
        consent = (await conn.execute(select(consents))).one()
        case = (await conn.execute(select(cases).where(cases.c.id == case_id))).one()
    assert consent.withdrawn_at is not None and consent.withdrawn_at.replace(tzinfo=UTC) == START
    assert case.consented is False


@pytest.mark.parametrize(
    ("channel", "language", "word"), [("sms", "da", "TILBAGEKALD"), ("telegram", "en", "withdraw")], ids=["sms", "tg"]
)
async def test_the_withdrawal_word_stops_sharing_with_the_next_request(
    rt: Runtime, adviser: httpx.AsyncClient, channel: str, language: str, word: str
) -> None:
    tenant, _, case_id = await consenting(rt, channel, language)
    page, polled = await shown(adviser, case_id)
    assert HARDSHIP in page and "First answer" in page and "Agreed to share" in page
    assert replies(polled) == [GREETING, HARDSHIP, "ja" if language == "da" else "yes"]

    await tenant.writes(word)

    await assert_sharing_stopped(rt, adviser, case_id, hidden=4)  # the three replies and the word itself
    withdrawn = rt.renderer.render("consent.withdrawn", {}, language, channel).text  # type: ignore[arg-type]
    assert tenant.received()[-1] == withdrawn


async def test_the_withdrawal_word_works_while_the_adviser_holds_the_case(
    rt: Runtime, adviser: httpx.AsyncClient
) -> None:
    tenant, _, case_id = await consenting(rt)
    page = f"/console/cases/{case_id}"
    assert (await post_form(adviser, page, f"{page}/take", {})).status_code == 303
    await drain(rt.sender)
    told = len(tenant.received())

    await tenant.writes("TILBAGEKALD")  # the bot answers only the always-on words now, this one among them

    assert len(tenant.received()) == told + 1
    _, polled = await shown(adviser, case_id)
    assert polled["consent"] is False
    assert not {GREETING, HARDSHIP, "ja"} & set(replies(polled))
    assert "First answer" not in html.unescape((await adviser.get(page)).text)
    async with rt.db.read() as conn:
        assert (await conn.execute(select(cases.c.consented).where(cases.c.id == case_id))).scalar_one() is False


async def test_the_withdraw_consent_flow_applied_by_the_host_stops_sharing(
    rt: Runtime, adviser: httpx.AsyncClient
) -> None:
    _, tenant_id, case_id = await consenting(rt)
    await shown(adviser, case_id)

    def withdraw(conn: Any) -> None:
        scene = Scene.of(conn)
        context = Context("Amira", "da", "sms", None, rt.settings.flow_settings())
        state, events = start("withdraw_consent", context, START)
        turn = Turn(tenant_id, None, "sms", "da", START, START.date(), key="test:withdraw")
        turn = replace(turn, conversation_id=save_state(scene, turn, state))
        apply_events(scene, turn, events, rt.settings)

    await rt.db.run(withdraw)

    await assert_sharing_stopped(rt, adviser, case_id, hidden=3)
    async with rt.db.read() as conn:
        ended = (
            (await conn.execute(select(conversations.c.state).order_by(conversations.c.id.desc()))).scalars().first()
        )
    assert isinstance(ended, dict) and ended["end_reason"] == "consent_withdrawn"
