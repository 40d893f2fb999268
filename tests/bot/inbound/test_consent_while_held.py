"""The consent question answered while an adviser holds the case: a clear yes or no is recorded as the conversation
records it, the conversation moves on and the bot says nothing; anything else is the adviser's to read, as before."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.channels.base import button_data
from bot.inbound.inbox import InboundMessage
from bot.reminders.timers import expire_waiting
from bot.runtime import Runtime
from bot.store.schema import case_events, cases, consents, conversations, messages, outbox, tenants
from tests.conftest import make_settings, started_runtime
from tests.support.console import add_case, adviser_client, post_form
from tests.support.drive import drain, process_all, sandbox
from tests.support.helpers import add_tenant

PHONE = "+4520123456"
CHAT = "5001"


@pytest.fixture
async def runtime(database_url: str) -> AsyncIterator[Runtime]:
    async with started_runtime(make_settings(database_url)) as rt:
        yield rt


@pytest.fixture
async def adviser(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with adviser_client(runtime) as client:
        yield client


async def _write(rt: Runtime, message: InboundMessage) -> None:
    await rt.inbox.submit(message)
    await process_all(rt.processor)
    await drain(rt.sender)


async def _say(rt: Runtime, text: str, sid: str, channel: str = "sms") -> None:
    await _write(rt, InboundMessage(channel, sid, CHAT if channel == "telegram" else PHONE, text))


async def _count(rt: Runtime, table: Any, *where: Any) -> int:
    async with rt.db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(table).where(*where))).scalar_one())


async def _asked_then_taken(rt: Runtime, adviser: httpx.AsyncClient, channel: str = "sms") -> tuple[int, int]:
    """An urgent outreach case opened without consent; the tenant asks the bot for an adviser and gets the consent
    question; then an adviser takes the case in the console (the tenant hears a person reads along). The tenant and
    the case."""
    tenant_id = await add_tenant(rt.db, chat_id=int(CHAT) if channel == "telegram" else None)
    case_id = await add_case(rt, tenant_id, origin="outreach", consent=False, reason="urgent outreach")
    await _say(rt, "hej", "M1", channel)
    # "Ring til mig": the consent question (its number by SMS; on Telegram, whose text numbers nothing, in words)
    await _say(rt, "3" if channel == "sms" else "ring til mig", "M2", channel)
    page = f"/console/cases/{case_id}"
    assert (await post_form(adviser, page, f"{page}/take", {})).status_code == 303
    await drain(rt.sender)
    async with rt.db.read() as conn:
        status = (await conn.execute(select(cases.c.status))).scalar_one()
    assert ((await _conversation(rt)).state["step"], status) == ("consent", "taken")
    return tenant_id, case_id


async def _sent(rt: Runtime) -> int:
    return await _count(rt, outbox)


async def _conversation(rt: Runtime) -> Any:
    async with rt.db.read() as conn:
        return (await conn.execute(select(conversations).where(conversations.c.flow == "payment_check"))).one()


@pytest.mark.parametrize("said", ["JA", "ja tak", "Ja!"])
async def test_a_yes_while_the_adviser_holds_the_case_is_the_consent_and_the_bot_stays_quiet(
    runtime: Runtime, adviser: httpx.AsyncClient, said: str
) -> None:
    tenant_id, case_id = await _asked_then_taken(runtime, adviser)
    queued = await _sent(runtime)
    page = await adviser.get(f"/console/cases/{case_id}")
    assert "No consent:" in page.text  # as it stood before the yes

    await _say(runtime, said, "M3")

    assert await _sent(runtime) == queued  # the bot said nothing: the adviser answers
    [consent] = await _rows(runtime, select(consents))
    async with runtime.db.read() as conn:
        evidence = (await conn.execute(select(messages).where(messages.c.id == consent.evidence_message_id))).one()
        case = (await conn.execute(select(cases))).one()
        kinds = (await conn.execute(select(case_events.c.kind).order_by(case_events.c.id))).scalars().all()
    assert (consent.scope, consent.withdrawn_at, consent.wording_version) == (
        "adviser",
        None,
        runtime.settings.consent_wording_version,
    )
    assert (evidence.text, evidence.provider_id, evidence.case_id) == (said, "M3", case_id)
    assert (case.status, case.consented) == ("taken", True)
    # As a yes to an open case's consent question records when no person holds it: the case refreshed, not a second.
    assert kinds[-1] == "status" and await _count(runtime, cases) == 1
    conversation = await _conversation(runtime)
    assert (conversation.active, conversation.ended_reason) == (False, "handed_off")
    assert conversation.state["data"]["consent"] == "yes"

    # What the adviser sees: the consent with its evidence, and the tenant's message in the chat.
    page = await adviser.get(f"/console/cases/{case_id}")
    assert "No consent:" not in page.text
    assert "Evidence: the tenant's SMS of " in page.text and f"#{evidence.id}" not in page.text
    assert f">{said}<" in page.text
    # The question is answered: no nudge, no question again, however long the case is held.
    later = runtime.clock() + timedelta(days=3)
    assert await expire_waiting(runtime.db, later, runtime.settings) == 0
    assert await _count(runtime, tenants, tenants.c.id == tenant_id, tenants.c.status == "active") == 1


async def _rows(rt: Runtime, query: Any) -> list[Any]:
    async with rt.db.read() as conn:
        return list((await conn.execute(query)).all())


async def test_a_no_while_the_adviser_holds_the_case_is_a_refusal_and_the_bot_stays_quiet(
    runtime: Runtime, adviser: httpx.AsyncClient
) -> None:
    _tenant_id, case_id = await _asked_then_taken(runtime, adviser)
    queued = await _sent(runtime)
    await _say(runtime, "nej tak", "M3")
    assert await _sent(runtime) == queued
    assert await _count(runtime, consents) == 0
    conversation = await _conversation(runtime)
    assert (conversation.active, conversation.ended_reason, conversation.state["data"]["consent"]) == (
        False,
        "declined",
        "no",
    )
    [case] = await _rows(runtime, select(cases.c.status, cases.c.consented))
    assert (case.status, case.consented) == ("taken", False)
    page = await adviser.get(f"/console/cases/{case_id}")
    assert "No consent:" in page.text
    # A no where no yes stood takes nothing back: the case does not say the tenant took back a yes.
    kinds = await _rows(runtime, select(case_events.c.kind).order_by(case_events.c.id))
    assert [row.kind for row in kinds] == ["opened", "taken"]


@pytest.mark.parametrize(
    "said",
    [
        "ja tak, men ring efter 16",  # a yes and a wish: the adviser reads both
        "Ja, hvem kan se mine svar?",  # a question
        "ja nej",  # both
        "ok jeg forstår",  # understood, no more
        "1",  # a number is no yes
    ],
)
async def test_anything_but_a_clear_yes_or_no_is_a_reply_to_the_adviser_as_before(
    runtime: Runtime, adviser: httpx.AsyncClient, said: str
) -> None:
    _tenant_id, case_id = await _asked_then_taken(runtime, adviser)
    queued = await _sent(runtime)
    await _say(runtime, said, "M3")
    assert await _sent(runtime) == queued
    assert await _count(runtime, consents) == 0
    conversation = await _conversation(runtime)
    assert (conversation.active, conversation.state["step"], conversation.state["retries"]) == (True, "consent", 0)
    assert await _count(runtime, messages, messages.c.case_id == case_id, messages.c.text == said) == 1


async def test_a_yes_after_the_adviser_wrote_may_answer_the_adviser_and_is_no_consent(
    runtime: Runtime, adviser: httpx.AsyncClient
) -> None:
    _tenant_id, case_id = await _asked_then_taken(runtime, adviser)
    page = f"/console/cases/{case_id}"
    sent = await post_form(adviser, page, f"{page}/reply", {"text": "Kan jeg ringe i morgen kl. 10?"})
    assert sent.status_code == 303
    await drain(runtime.sender)
    await _say(runtime, "ja", "M3")
    assert await _count(runtime, consents) == 0
    assert (await _conversation(runtime)).state["step"] == "consent"


async def test_stop_while_held_at_the_consent_question_still_opts_out(
    runtime: Runtime, adviser: httpx.AsyncClient
) -> None:
    tenant_id, _case_id = await _asked_then_taken(runtime, adviser)
    await _say(runtime, "STOP", "M3")
    assert await _count(runtime, tenants, tenants.c.id == tenant_id, tenants.c.status == "stopped") == 1
    assert await _count(runtime, consents) == 0


@pytest.mark.parametrize(("label", "consented"), [("Ja", 1), ("Nej", 0)])
async def test_the_consent_questions_button_while_held_answers_it_quietly(
    runtime: Runtime, adviser: httpx.AsyncClient, label: str, consented: int
) -> None:
    _tenant_id, case_id = await _asked_then_taken(runtime, adviser, "telegram")
    chat = sandbox(runtime)["telegram"].to(CHAT)
    question = next(m for m in reversed(chat) if m.buttons)
    assert [shown for shown, _key in question.buttons] == ["Ja", "Nej"]
    before = len(chat)
    data = button_data(question.outbox_id, [shown for shown, _key in question.buttons].index(label))
    await _write(runtime, InboundMessage("telegram", "TG-press", CHAT, None, {"callback": data}))
    assert len(sandbox(runtime)["telegram"].to(CHAT)) == before  # nothing said: the adviser answers
    assert await _count(runtime, consents, consents.c.withdrawn_at.is_(None)) == consented
    assert (await _conversation(runtime)).active is False
    page = await adviser.get(f"/console/cases/{case_id}")
    assert f"[pressed the button “{label}”]" in page.text


async def test_a_yes_after_the_case_was_let_go_and_taken_again_is_still_the_consent(
    runtime: Runtime, adviser: httpx.AsyncClient
) -> None:
    """The notices that the adviser let go of the case and that one reads along again ask nothing: a yes after them
    answers the bot's open question, as after the first take."""
    _, case_id = await _asked_then_taken(runtime, adviser)
    page = f"/console/cases/{case_id}"
    for step in ("release", "take"):
        assert (await post_form(adviser, page, f"{page}/{step}", {})).status_code == 303
    await drain(runtime.sender)
    queued = await _sent(runtime)

    await _say(runtime, "JA", "M3")

    assert await _sent(runtime) == queued
    assert await _count(runtime, consents, consents.c.withdrawn_at.is_(None)) == 1
    assert (await _conversation(runtime)).ended_reason == "handed_off"
