"""Words of crisis reach the host in any state: the tenant gets the crisis line at once (Livslinien, 112), a case a
person holds hears the message as any message to it, and the bot puts no question of its own beside it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.inbound.inbox import InboundMessage
from bot.runtime import Runtime
from bot.store.schema import cases, conversations, outbox
from tests.conftest import make_settings, started_runtime
from tests.support.console import add_case, case_row, post_form, staff_client
from tests.support.drive import at_local, daytime, drain, process_all
from tests.support.helpers import add_tenant

PHONE = "+4520123456"


@pytest.fixture
async def runtime(database_url: str) -> AsyncIterator[Runtime]:
    async with started_runtime(make_settings(database_url)) as rt:
        yield rt


async def _say(rt: Runtime, text: str, sid: str) -> None:
    await rt.inbox.submit(InboundMessage("sms", sid, PHONE, text))
    await process_all(rt.processor)
    await drain(rt.sender)


async def _said(rt: Runtime) -> list[Any]:
    async with rt.db.read() as conn:
        return list((await conn.execute(select(outbox.c.template, outbox.c["values"]).order_by(outbox.c.id))).all())


async def _conversations(rt: Runtime) -> list[Any]:
    async with rt.db.read() as conn:
        query = select(conversations.c.flow, conversations.c.active, conversations.c.ended_reason)
        return list((await conn.execute(query.order_by(conversations.c.id))).all())


async def test_words_of_crisis_while_a_person_holds_the_case_get_only_the_crisis_line_and_reach_the_person(
    runtime: Runtime,
) -> None:
    """The adviser answered and waits for the tenant (`waiting_tenant`): "jeg vil tage mit liv" gets the crisis line
    alone (no way to a person offered over the one who holds the case), and the case is the adviser's to answer
    again, as any message to it makes it."""
    tenant_id = await add_tenant(runtime.db)
    case_id = await add_case(runtime, tenant_id)
    async with runtime.db.write() as conn:
        await conn.execute(update(cases).where(cases.c.id == case_id).values(status="waiting_tenant"))

    await _say(runtime, "jeg vil tage mit liv", "M1")

    assert [(row.template, row.values) for row in await _said(runtime)] == [("common.crisis", {"offer": 0})]
    assert (await case_row(runtime, case_id)).status == "taken"
    assert await _conversations(runtime) == []


async def test_words_of_crisis_while_the_case_waits_with_the_tenants_yes_reach_the_case(runtime: Runtime) -> None:
    """Their yes put the case in the queue: they hear an adviser reads what they write (no adviser word, which would
    only get the day's receipt), and the case's time moves, so the queue shows they wrote."""
    at_local(runtime, datetime(2026, 3, 3, 10, 0))
    tenant_id = await add_tenant(runtime.db)
    case_id = await add_case(runtime, tenant_id)
    before = (await case_row(runtime, case_id)).updated_at
    at_local(runtime, datetime(2026, 3, 3, 12, 0))

    await _say(runtime, "jeg vil ikke leve mere", "M1")

    assert [(row.template, row.values) for row in await _said(runtime)] == [
        ("common.crisis", {"offer": 1, "queued": 1})
    ]
    case = await case_row(runtime, case_id)
    assert (case.status, case.updated_at > before) == ("waiting", True)


async def test_words_of_crisis_with_nothing_open_get_the_crisis_line_and_the_adviser_word_not_the_menu(
    runtime: Runtime,
) -> None:
    await add_tenant(runtime.db, language="en")

    await _say(runtime, "I'm going to kill myself", "M1")

    assert [(row.template, row.values) for row in await _said(runtime)] == [("common.crisis", {"offer": 1})]
    assert await _conversations(runtime) == []  # no opening question beside it


async def test_words_of_crisis_at_the_rent_question_end_it_so_neither_its_question_nor_its_nudge_follows(
    runtime: Runtime,
) -> None:
    await add_tenant(runtime.db)
    await _say(runtime, "hej", "M1")  # the opening question waits
    assert [(c.flow, c.active) for c in await _conversations(runtime)] == [("payment_check", True)]

    await _say(runtime, "jeg orker ikke at leve mere", "M2")

    assert [row.template for row in await _said(runtime)][-1:] == ["common.crisis"]
    assert [tuple(c) for c in await _conversations(runtime)] == [("payment_check", False, "crisis")]


async def test_a_figure_of_speech_is_no_crisis(runtime: Runtime) -> None:
    await add_tenant(runtime.db)

    await _say(runtime, "jeg dør af grin", "M1")

    assert "common.crisis" not in [row.template for row in await _said(runtime)]


async def test_without_consent_the_adviser_sees_neither_the_words_of_crisis_nor_the_bot_line_that_tells_them(
    runtime: Runtime,
) -> None:
    """DESIGN's consent rule: an urgent outreach case without consent shows the bot's own messages, but the crisis
    line tells what the tenant wrote, so it is shown only where their words are: once they have been told a person
    reads along (the adviser took the case), both show."""
    daytime(runtime)  # the take notice goes now, not after quiet hours
    tenant_id = await add_tenant(runtime.db)
    case_id = await add_case(runtime, tenant_id, origin="outreach", consent=False, reason="urgent outreach")
    await _say(runtime, "jeg vil tage mit liv", "M1")
    page = f"/console/cases/{case_id}"
    async with staff_client(runtime, "adviser") as adviser:
        hidden = (await adviser.get(f"{page}/messages.json")).json()
        assert not any("Livslinien" in m["text"] for m in hidden["messages"])
        assert hidden["hidden"] == 1
        assert (await post_form(adviser, page, f"{page}/take", {})).status_code == 303
        await drain(runtime.sender)
        await _say(runtime, "I want to die", "M2")
        shown = [m["text"] for m in (await adviser.get(f"{page}/messages.json")).json()["messages"]]
    assert "I want to die" in shown and sum("Livslinien" in text for text in shown) == 1
