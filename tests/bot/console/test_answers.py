"""The case page's "Svar": the answers of the tenant's conversations that hold any, newest first, each under its
flow's name and day, in the console's language — and only while the tenant's consent stands.

The tenant answers the way tenants do, through the inbox and the processor: first over SMS (TELEGRAM), then
on Telegram the rent questions (part of it, an amount, a reason) and yes to sharing.
"""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from bot.inbound.inbox import InboundMessage
from bot.runtime import Clock, Runtime
from bot.store.schema import cases
from tests.conftest import make_settings, started_runtime
from tests.support.console import add_tenant, adviser_client
from tests.support.drive import drain, process_all

START = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # a Wednesday morning
PHONE = "+4520123407"
CHAT = 777007


class SteppedClock(Clock):
    """Still, until the test moves it on."""

    def __call__(self) -> datetime:
        return START + self.offset


@pytest.fixture
async def rt(database_url: str) -> AsyncIterator[Runtime]:
    settings = make_settings(database_url, telegram_token="123:ABC", telegram_secret="s3cret", console_language="da")
    async with started_runtime(settings, SteppedClock()) as runtime:
        yield runtime


@pytest.fixture
async def adviser(rt: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with adviser_client(rt) as client:
        yield client


async def writes(rt: Runtime, channel: str, *texts: str) -> None:
    """The tenant writes these, one at a time, a minute apart."""
    address = PHONE if channel == "sms" else str(CHAT)
    for text in texts:
        rt.clock.offset += timedelta(minutes=1)
        provider_id = f"{channel}-{rt.clock.offset.total_seconds():.0f}"
        await rt.inbox.submit(InboundMessage(channel, provider_id, address, text))
        await process_all(rt.processor)
        await drain(rt.sender)


def answers_box(page: str) -> str:
    """The text of the page's "Svar" card, its tags dropped."""
    found = re.search(r"<h2>Svar</h2>(.*?)</div>", page, re.S)
    return "" if found is None else " ".join(re.sub(r"<[^>]+>", " ", html.unescape(found.group(1))).split())


async def test_the_adviser_reads_every_conversations_answers_in_danish(rt: Runtime, adviser: httpx.AsyncClient) -> None:
    tenant_id = await add_tenant(rt, "R-7", name="Erik Fiktiv", phone=PHONE, chat_id=CHAT, balance_ore=610000)
    await writes(rt, "sms", "TELEGRAM")
    await writes(rt, "telegram", "hej", "Jeg kan betale en del", "2.500 kr", "Mistet arbejde", "ja")
    async with rt.db.read() as conn:
        case_id = (await conn.execute(select(cases.c.id).where(cases.c.tenant_id == tenant_id))).scalar_one()

    box = answers_box((await adviser.get(f"/console/cases/{case_id}")).text)

    payment = (
        "Huslejen: en samtale, lejeren selv begyndte · 2. dec. 2026"  # the tenant wrote first: no reminder's
        " Første svar kan betale en del Første svar, med lejerens egne ord Jeg kan betale en del"
        " Kan betale 2.500,00 kr."
        " Hvorfor har mistet sit arbejde Hvorfor, med lejerens egne ord Mistet arbejde"
        " Sagde ja til at dele ja"
    )
    assert box.startswith(payment), box  # the newest conversation first, every answer in words
    assert "At skifte til Telegram · 2. dec. 2026 Fortsætte på Telegram ja" in box  # the older one after it
    for code in ("part", "lost_job", "offer", "yes"):
        assert code not in box.split()


async def test_no_answers_show_without_consent(rt: Runtime, adviser: httpx.AsyncClient) -> None:
    tenant_id = await add_tenant(rt, "R-7", name="Erik Fiktiv", phone=PHONE, chat_id=CHAT, balance_ore=610000)
    await writes(rt, "telegram", "hej", "Jeg kan betale en del", "2.500 kr", "Mistet arbejde", "ja", "TILBAGEKALD")
    async with rt.db.read() as conn:
        case_id = (await conn.execute(select(cases.c.id).where(cases.c.tenant_id == tenant_id))).scalar_one()

    page = (await adviser.get(f"/console/cases/{case_id}")).text

    assert answers_box(page) == ""
    assert "2.500" not in page and "mistet sit arbejde" not in page


async def test_a_part_paid_already_reads_as_paid_not_as_offered(rt: Runtime, adviser: httpx.AsyncClient) -> None:
    """ "Jeg har betalt en del" is the answer `part` to the question, kept as paid: the adviser reads "har betalt en
    del", not "kan betale en del" (a part still to come)."""
    tenant_id = await add_tenant(rt, "R-7", name="Erik Fiktiv", phone=PHONE, balance_ore=610000)
    await writes(rt, "sms", "hej", "Jeg har betalt en del", "på fredag", "hej", "3", "ja")
    async with rt.db.read() as conn:
        case_id = (await conn.execute(select(cases.c.id).where(cases.c.tenant_id == tenant_id))).scalar_one()

    box = answers_box((await adviser.get(f"/console/cases/{case_id}")).text)

    assert "Første svar har betalt en del" in box, box
    assert "kan betale en del" not in box


async def test_not_knowing_when_reads_as_finding_it_hard_not_as_cannot_pay(
    rt: Runtime, adviser: httpx.AsyncClient
) -> None:
    """ "Ved ikke", asked when they can pay, is heard and help is offered; the adviser reads that the tenant finds it
    hard to pay, not "kan ikke betale", which the tenant never said."""
    tenant_id = await add_tenant(rt, "R-7", name="Erik Fiktiv", phone=PHONE, balance_ore=610000)
    await writes(rt, "sms", "hej", "Jeg betaler senere", "ved ikke", "ja")
    async with rt.db.read() as conn:
        case_id = (await conn.execute(select(cases.c.id).where(cases.c.tenant_id == tenant_id))).scalar_one()

    box = answers_box((await adviser.get(f"/console/cases/{case_id}")).text)

    assert "Hvornår lejeren kan betale har svært ved at betale" in box, box
    assert "kan ikke betale" not in box
