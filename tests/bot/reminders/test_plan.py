"""Reminders end to end on SQLite and PostgreSQL: planned once, sent after quiet hours, followed up."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.channels.base import OutgoingMessage, SendResult
from bot.channels.sandbox import SandboxChannel
from bot.host.cases import TAKEN, take_case, tell_of_change
from bot.inbound.inbox import InboundMessage
from bot.reminders.plan import plan_reminders
from bot.reminders.timers import balance_updated, expire_waiting
from bot.runtime import Clock, Runtime
from bot.store.db import Database, utcnow
from bot.store.flags import PAUSED, write_flag
from bot.store.schema import cases, conversations, outbox, planned_reminders, rent_positions, tenants
from tests.conftest import make_settings, started_runtime
from tests.support.console import add_person
from tests.support.drive import FailingSandbox, drain, process_all
from tests.support.helpers import add_tenant

TZ = ZoneInfo("Europe/Copenhagen")
# Tuesday 3 March 2026: rent due Sunday 1 March was last on time Monday 2 March, so it is missed today.
DAY = date(2026, 3, 3)
MORNING = datetime(2026, 3, 3, 10, 0, tzinfo=TZ)
PHONE = "+4520000001"


def set_now(rt: Runtime, local: datetime) -> datetime:
    """Move the runtime's clock to `local`; returns the clock's reading."""
    rt.clock.offset = local.astimezone(UTC) - utcnow()
    return rt.clock()


@pytest.fixture
async def rt(database_url: str) -> AsyncIterator[Runtime]:
    async with started_runtime(make_settings(database_url), clock=Clock()) as runtime:
        yield runtime


def sms(rt: Runtime) -> SandboxChannel:
    channel = rt.channels["sms"]
    assert isinstance(channel, SandboxChannel)
    return channel


async def owing(rt: Runtime, ref: str = "T-1", phone: str | None = PHONE, **extra: Any) -> int:
    """A tenant who missed the rent due 1 March, with a fresh balance."""
    values: dict[str, Any] = {"name": "Test Lejer", "phone": phone, "balance_ore": 710_000, "balance_as_of": DAY}
    values.update(extra)
    return await add_tenant(rt.db, ref, **values)


async def count(rt: Runtime, table: Any, *where: Any) -> int:
    async with rt.db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(table).where(*where))).scalar_one())


async def run_plan(rt: Runtime) -> int:
    outcome = await plan_reminders(rt.db, rt.settings, rt.clock())
    await drain(rt.sender)
    return len(outcome.rows)


async def test_planning_twice_plans_nothing_twice(rt: Runtime) -> None:
    await owing(rt)
    set_now(rt, MORNING)
    assert await run_plan(rt) == 1
    assert await run_plan(rt) == 0
    assert await count(rt, planned_reminders) == 1
    assert await count(rt, conversations) == 1
    sent = sms(rt).to(PHONE)
    assert len(sent) == 1
    assert "Test" in sent[0].text  # the payment_check question, greeting by first name
    async with rt.db.read() as conn:  # kept with what it was computed from, for the reason in any language
        computed_from = (await conn.execute(select(planned_reminders.c.computed_from))).scalar_one()
    assert (computed_from["due_date"], computed_from["balance_as_of"]) == ("2026-03-01", "2026-03-03")


async def test_two_planners_at_once_plan_each_reminder_once(rt: Runtime) -> None:
    for i in range(12):
        await owing(rt, f"T-{i}", phone=f"+45200001{i:02d}")
    now = set_now(rt, MORNING)
    second = Database(rt.settings.database_url)
    try:
        outcomes = await asyncio.gather(
            plan_reminders(rt.db, rt.settings, now), plan_reminders(second, rt.settings, now)
        )
    finally:
        await second.dispose()
    assert sum(len(o.rows) for o in outcomes) == 12
    assert gc.isenabled()  # the collector, held off while the two planned, runs again
    assert await count(rt, planned_reminders) == 12
    assert await count(rt, outbox) == 12
    await drain(rt.sender)
    assert len(sms(rt).sent) == 12


async def test_quiet_hours_hold_the_reminder_until_morning(rt: Runtime) -> None:
    await owing(rt)
    set_now(rt, datetime(2026, 3, 3, 22, 30, tzinfo=TZ))
    assert await run_plan(rt) == 1
    assert sms(rt).sent == []
    async with rt.db.read() as conn:
        not_before = (await conn.execute(select(outbox.c.not_before))).scalar_one()
    assert not_before == datetime(2026, 3, 4, 9, 0, tzinfo=TZ)
    set_now(rt, datetime(2026, 3, 4, 9, 1, tzinfo=TZ))
    await drain(rt.sender)
    assert len(sms(rt).to(PHONE)) == 1
    # The tenant's time to answer counts from the morning the question went, not from the evening it was planned:
    # no nudge that evening (24 hours after the planning), one the next morning; giving up 48 hours after 09:00.
    async with rt.db.read() as conn:
        waiting = (await conn.execute(select(conversations.c.waiting_until, conversations.c.state))).one()
    assert waiting.waiting_until == datetime(2026, 3, 5, 9, 0, tzinfo=TZ)
    assert datetime.fromisoformat(waiting.state["expires_at"]) == datetime(2026, 3, 6, 9, 0, tzinfo=TZ)
    assert await expire_waiting(rt.db, set_now(rt, datetime(2026, 3, 4, 22, 31, tzinfo=TZ)), rt.settings) == 0
    assert await expire_waiting(rt.db, set_now(rt, datetime(2026, 3, 5, 9, 0, tzinfo=TZ)), rt.settings) == 1
    await drain(rt.sender)
    assert "Hej igen" in sms(rt).to(PHONE)[-1].text


async def test_opted_out_and_wrong_numbers_get_nothing(rt: Runtime) -> None:
    await owing(rt, "T-stop", phone="+4520000002", status="stopped")
    await owing(rt, "T-wrong", phone="+4520000003", status="wrong_number")
    await owing(rt, "T-ok")
    set_now(rt, MORNING)
    assert await run_plan(rt) == 1
    assert [m.address for m in sms(rt).sent] == [PHONE]


async def test_stale_balance_data_sends_nothing(rt: Runtime) -> None:
    await owing(rt, balance_as_of=DAY - timedelta(days=30))
    set_now(rt, MORNING)
    assert await run_plan(rt) == 0
    assert sms(rt).sent == []


async def test_a_tenant_already_reminded_today_gets_no_second_message(rt: Runtime) -> None:
    tenant_id = await owing(rt)
    set_now(rt, MORNING)
    assert await run_plan(rt) == 1
    # New data the same day makes another trigger fall due; the tenant still hears from us once today.
    async with rt.db.write() as conn:
        await conn.execute(
            rent_positions.update().where(rent_positions.c.tenant_id == tenant_id).values(court_date=date(2026, 3, 20))
        )
    assert await run_plan(rt) == 0
    assert len(sms(rt).to(PHONE)) == 1


async def test_a_court_date_opens_an_urgent_outreach_case(rt: Runtime) -> None:
    tenant_id = await owing(rt, court_date=date(2026, 3, 20))
    set_now(rt, MORNING)
    assert await run_plan(rt) == 1
    async with rt.db.read() as conn:
        case = (await conn.execute(select(cases).where(cases.c.tenant_id == tenant_id))).one()
        trigger = (await conn.execute(select(planned_reminders.c.trigger))).scalar_one()
    assert (case.origin, case.status, trigger) == ("outreach", "waiting", "court")
    assert case.priority > 0
    assert len(sms(rt).to(PHONE)) == 1


async def test_telegram_is_used_when_linked(rt: Runtime) -> None:
    await owing(rt, chat_id=777)
    set_now(rt, MORNING)
    outcome = await plan_reminders(rt.db, rt.settings, rt.clock())
    await drain(rt.sender)
    assert [r.channel for r in outcome.rows] == ["telegram"]
    telegram = rt.channels["telegram"]
    assert isinstance(telegram, SandboxChannel)
    assert [m.address for m in telegram.sent] == ["777"]
    assert sms(rt).sent == []


async def test_an_unanswered_reminder_gets_one_nudge_then_ends(rt: Runtime) -> None:
    await owing(rt)
    set_now(rt, MORNING)
    await run_plan(rt)
    now = set_now(rt, MORNING + timedelta(hours=25))
    assert await expire_waiting(rt.db, now, rt.settings) == 1
    assert await expire_waiting(rt.db, now, rt.settings) == 0
    await drain(rt.sender)
    assert len(sms(rt).to(PHONE)) == 2
    async with rt.db.read() as conn:
        nudge = (await conn.execute(select(outbox.c.template, outbox.c.proactive).order_by(outbox.c.id.desc()))).first()
    assert tuple(nudge or ()) == ("common.nudge", True)
    now = set_now(rt, MORNING + timedelta(hours=49))
    assert await expire_waiting(rt.db, now, rt.settings) == 1
    await drain(rt.sender)
    assert len(sms(rt).to(PHONE)) == 2
    async with rt.db.read() as conn:
        row = (await conn.execute(select(conversations.c.active, conversations.c.ended_reason))).one()
    assert tuple(row) == (False, "no_response")


async def test_a_nudge_due_at_night_waits_for_the_morning(database_url: str) -> None:
    async with started_runtime(make_settings(database_url, nudge_after_hours=12), clock=Clock()) as rt:
        await owing(rt)
        set_now(rt, MORNING)
        await run_plan(rt)  # the question goes at 10:00
        # The nudge is due from 22:00 (12 hours) until the give-up time, 5 March 10:00 (48 hours).
        now = set_now(rt, datetime(2026, 3, 3, 23, 0, tzinfo=TZ))
        assert await expire_waiting(rt.db, now, rt.settings) == 1
        async with rt.db.read() as conn:
            not_before = (await conn.execute(select(func.max(outbox.c.not_before)))).scalar_one()
        assert not_before == datetime(2026, 3, 4, 9, 0, tzinfo=TZ)


@pytest.mark.parametrize(
    ("said", "heard"),
    [
        ("Hjælp", "Beskederne her sendes automatisk. Vi minder dig om huslejen."),
        ("1", "Tak for besked."),
        # A yes to nothing they saw: it is taken as read, never as a yes to the question that did not go.
        ("ja", "Godt. Skriv endelig her igen, hvis du får brug for hjælp."),
    ],
    ids=["help", "a number", "a bare yes"],
)
async def test_a_tenant_who_writes_before_the_reminders_question_reached_them_is_heard_as_writing_first(
    rt: Runtime, said: str, heard: str
) -> None:
    await owing(rt)
    set_now(rt, datetime(2026, 3, 3, 21, 30, tzinfo=TZ))
    await run_plan(rt)  # the question waits for 4 March 09:00
    set_now(rt, datetime(2026, 3, 3, 22, 0, tzinfo=TZ))
    await rt.inbox.submit(InboundMessage(channel="sms", provider_id="SM-early", sender=PHONE, text=said))
    await process_all(rt.processor)
    set_now(rt, datetime(2026, 3, 4, 9, 5, tzinfo=TZ))
    await drain(rt.sender)
    texts = [m.text for m in sms(rt).to(PHONE)]
    # Their own word answered (the help text; "1" read as "I have paid"), never "may an adviser read along?" for a
    # question they never saw, and the reminder's question does not follow in the morning.
    assert len(texts) == 1 and heard in texts[0]
    assert not any("Svar JA eller NEJ" in t or "hjælp med huslejen?" in t for t in texts)
    reminders = select(conversations.c.ended_reason).where(conversations.c.trigger.is_not(None))
    async with rt.db.read() as conn:
        assert list((await conn.execute(reminders)).scalars()) == ["tenant wrote first"]
    assert await count(rt, outbox, (outbox.c.state == "dropped") & (outbox.c.last_error == "tenant wrote first")) == 1


async def _take_at(rt: Runtime, tenant_id: int, local: datetime) -> None:
    """An adviser takes the tenant's open case at `local`, and the tenant is told, as the console does."""
    now = set_now(rt, local)
    adviser = await add_person(rt, "adviser@example.org", "adviser")
    async with rt.db.write() as conn:
        case_id = (await conn.execute(select(cases.c.id).where(cases.c.tenant_id == tenant_id))).scalar_one()
        taken = await take_case(conn, case_id, adviser, now)
        tenant = (await conn.execute(select(tenants).where(tenants.c.id == tenant_id))).one()
        told = [(tenant, case_id, f"case:{case_id}:taken:{taken}")]
        await conn.run_sync(
            lambda sync: tell_of_change(sync, told, template=TAKEN, now=now, author="staff", settings=rt.settings)
        )


async def test_a_question_waiting_for_the_morning_does_not_go_once_a_person_took_the_case(rt: Runtime) -> None:
    """A court date planned at 21:30 opens an urgent case and queues its question for 09:00; an adviser takes the
    case that night. The bot asks nothing while a person has the case: the question does not go in the morning, and
    what the tenant writes that night goes to the adviser, not "the tenant wrote first"."""
    tenant_id = await owing(rt, court_date=date(2026, 3, 20))
    set_now(rt, datetime(2026, 3, 3, 21, 30, tzinfo=TZ))
    assert await run_plan(rt) == 1
    await _take_at(rt, tenant_id, datetime(2026, 3, 3, 22, 0, tzinfo=TZ))
    set_now(rt, datetime(2026, 3, 3, 22, 30, tzinfo=TZ))
    await rt.inbox.submit(InboundMessage(channel="sms", provider_id="SM-night", sender=PHONE, text="Hvad sker der?"))
    await process_all(rt.processor)
    set_now(rt, datetime(2026, 3, 4, 9, 5, tzinfo=TZ))
    await drain(rt.sender)
    taken = rt.renderer.render("case.taken", {}, "da", "sms").text
    assert [m.text for m in sms(rt).to(PHONE)] == [taken]
    reminders = select(conversations.c.ended_reason).where(conversations.c.trigger.is_not(None))
    async with rt.db.read() as conn:
        assert list((await conn.execute(reminders)).scalars()) == ["case taken"]
    assert await count(rt, outbox, (outbox.c.state == "dropped") & (outbox.c.last_error == "case taken")) == 1


async def test_a_nudge_waiting_for_the_morning_does_not_go_once_a_person_took_the_case(database_url: str) -> None:
    async with started_runtime(make_settings(database_url, nudge_after_hours=12), clock=Clock()) as rt:
        tenant_id = await owing(rt, court_date=date(2026, 3, 20))
        set_now(rt, MORNING)
        await run_plan(rt)  # the court opener goes at 10:00 and opens an urgent case
        now = set_now(rt, datetime(2026, 3, 3, 23, 0, tzinfo=TZ))
        assert await expire_waiting(rt.db, now, rt.settings) == 1  # its nudge waits for 09:00
        await _take_at(rt, tenant_id, datetime(2026, 3, 3, 23, 30, tzinfo=TZ))
        set_now(rt, datetime(2026, 3, 4, 9, 5, tzinfo=TZ))
        await drain(rt.sender)
        texts = [m.text for m in sms(rt).to(PHONE)]
        assert len(texts) == 2 and texts[1] == rt.renderer.render("case.taken", {}, "da", "sms").text
        assert await count(rt, outbox, (outbox.c.state == "dropped") & (outbox.c.last_error == "case taken")) == 1


async def test_a_cleared_balance_gets_a_thank_you_and_the_end(rt: Runtime) -> None:
    tenant_id = await owing(rt)
    set_now(rt, MORNING)
    await run_plan(rt)
    now = set_now(rt, MORNING + timedelta(hours=2))
    async with rt.db.write() as conn:
        await conn.execute(rent_positions.update().where(rent_positions.c.tenant_id == tenant_id).values(balance_ore=0))
        assert await conn.run_sync(balance_updated, [tenant_id], now, rt.settings) == 1
    async with rt.db.read() as conn:
        row = (await conn.execute(select(conversations.c.active, conversations.c.ended_reason))).one()
        template = (await conn.execute(select(outbox.c.template).order_by(outbox.c.id.desc()))).scalars().first()
    assert tuple(row) == (False, "paid")
    assert template == "payment_check.paid_registered"
    await drain(rt.sender)
    assert len(sms(rt).to(PHONE)) == 1  # one proactive message a day: the thanks comes tomorrow
    set_now(rt, datetime(2026, 3, 4, 9, 5, tzinfo=TZ))
    await drain(rt.sender)
    assert len(sms(rt).to(PHONE)) == 2


async def test_a_balance_still_owed_changes_nothing(rt: Runtime) -> None:
    tenant_id = await owing(rt)
    set_now(rt, MORNING)
    await run_plan(rt)
    async with rt.db.write() as conn:
        assert await conn.run_sync(balance_updated, [tenant_id], rt.clock(), rt.settings) == 0


async def pause(rt: Runtime, on: bool) -> None:
    """Flip the stored pause switch, as the console does."""
    async with rt.db.write() as conn:
        await conn.run_sync(write_flag, PAUSED, "1" if on else "0", rt.clock())


async def test_the_pause_switch_holds_every_reminder(rt: Runtime) -> None:
    await owing(rt)
    set_now(rt, MORNING)
    await pause(rt, True)
    assert await run_plan(rt) == 1
    await drain(rt.sender)
    assert sms(rt).sent == []
    async with rt.db.read() as conn:
        state = (await conn.execute(select(outbox.c.state, outbox.c.last_error))).one()
    assert tuple(state) == ("waiting", "paused")  # queued, neither claimed nor failed
    await pause(rt, False)
    await drain(rt.sender)
    assert len(sms(rt).to(PHONE)) == 1


async def test_real_planning_is_only_for_today(rt: Runtime) -> None:
    set_now(rt, MORNING)
    with pytest.raises(ValueError, match="only for today"):
        await plan_reminders(rt.db, rt.settings, rt.clock(), day=DAY + timedelta(days=1))


async def test_a_reminder_to_a_blocked_telegram_chat_goes_by_sms_in_sms_words(rt: Runtime) -> None:
    from bot.channels.base import SendResult

    await owing(rt, chat_id=777)
    set_now(rt, MORNING)
    telegram = rt.channels["telegram"]
    assert isinstance(telegram, FailingSandbox)
    telegram.fail_next.append(SendResult("blocked", error_code="403", detail="Forbidden: bot was blocked"))
    assert await run_plan(rt) == 1
    await drain(rt.sender)
    assert telegram.sent == []
    [text] = [m.text for m in sms(rt).to(PHONE)]
    # Re-rendered by the SMS rules: the options are listed to answer by number, no buttons.
    assert "Svar:\n1 Betalt\n2 Betaler snart" in text
    assert sms(rt).sent[0].buttons == ()
    async with rt.db.read() as conn:
        channels = (await conn.execute(select(outbox.c.channel, outbox.c.state))).all()
        blocked = (await conn.execute(select(tenants.c.telegram_blocked))).scalar_one()
    assert [tuple(c) for c in channels] == [("sms", "sent")]
    assert blocked is True  # later messages go straight to SMS


class GatedSandbox(FailingSandbox):
    """A sandbox whose sends wait at a gate: a send the sender has claimed, still on its way to the provider."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.gate = asyncio.Event()
        self.waiting = asyncio.Event()

    async def send(self, message: OutgoingMessage) -> SendResult:
        self.waiting.set()
        await self.gate.wait()
        return await super().send(message)


async def test_a_tenant_who_writes_while_the_reminders_question_is_on_its_way_gets_it_once(
    database_url: str,
) -> None:
    """The sender has claimed the reminder's question and is handing it to the provider when the tenant writes: the
    question cannot be taken back, so their message answers it (asked again in a line), and the opening question is
    not sent a second time as the answer to their own first word."""
    channel = GatedSandbox("sms")
    async with started_runtime(make_settings(database_url), clock=Clock(), sms=channel) as rt:
        await owing(rt)
        set_now(rt, MORNING)
        await plan_reminders(rt.db, rt.settings, rt.clock())
        sending = asyncio.create_task(drain(rt.sender))
        await asyncio.wait_for(channel.waiting.wait(), 10)
        await rt.inbox.submit(InboundMessage(channel="sms", provider_id="SM-while", sender=PHONE, text="hej"))
        await process_all(rt.processor)
        channel.gate.set()
        await sending
        await drain(rt.sender)
        texts = [m.text for m in channel.to(PHONE)]
        opening = [t for t in texts if "Brug for hjælp med huslejen?" in t]
        assert len(opening) == 1, texts
        assert len(texts) == 2, texts
        assert "Svar 1, 2, 3 eller 4" in texts[1]
        ended = select(conversations.c.ended_reason).where(conversations.c.trigger.is_not(None))
        async with rt.db.read() as conn:
            assert list((await conn.execute(ended)).scalars()) == [None]
