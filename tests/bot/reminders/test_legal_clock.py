"""The legal clock end to end: a "paid" answer never silences the last påkrav reminder, and the court eve."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from bot.channels.sandbox import SandboxChannel
from bot.inbound.inbox import InboundMessage
from bot.reminders.plan import plan_reminders
from bot.reminders.timers import expire_waiting
from bot.runtime import Clock, Runtime
from bot.store.db import utcnow
from bot.store.flags import PAUSED, write_flag
from bot.store.schema import cases, conversations, outbox, planned_reminders, rent_positions
from conversations.state import State
from tests.conftest import make_settings, started_runtime
from tests.support.drive import drain, process_all
from tests.support.helpers import add_tenant, queue_question

TZ = ZoneInfo("Europe/Copenhagen")
PHONE = "+4520000001"


def set_now(rt: Runtime, local: datetime) -> datetime:
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


async def plan_at(rt: Runtime, local: datetime, tenant_id: int) -> list[tuple[str, str]]:
    """Plan the day of `local` with a balance dated that day (a daily import); returns (stage, reason) planned."""
    async with rt.db.write() as conn:
        await conn.execute(
            update(rent_positions).where(rent_positions.c.tenant_id == tenant_id).values(balance_as_of=local.date())
        )
    outcome = await plan_reminders(rt.db, rt.settings, set_now(rt, local))
    await drain(rt.sender)
    return [(row.trigger, row.reason) for row in outcome.rows]


async def keys(rt: Runtime) -> list[tuple[str, str, int]]:
    async with rt.db.read() as conn:
        pr = planned_reminders.c
        rows = await conn.execute(select(pr.trigger, pr.period, pr.offset_days).order_by(pr.id))
        return [(str(t), str(p), int(o)) for t, p, o in rows]


async def answer(rt: Runtime, text: str, provider_id: str) -> None:
    await rt.inbox.submit(InboundMessage("sms", provider_id, PHONE, text))
    await process_all(rt.processor)
    await drain(rt.sender)


async def test_a_paid_answer_two_days_before_the_deadline_does_not_hold_the_last_reminder(rt: Runtime) -> None:
    # A påkrav sent by Digital Post on Wed 4 March 2026: its deadline is Wed 18 March. Reminders come
    # 7, 3 and 1 days before: Wed 11, Sun 15 and Tue 17 March.
    position: dict[str, Any] = {"balance_ore": 710_000, "demand_sent_on": date(2026, 3, 4)}
    tenant_id = await add_tenant(
        rt.db, "T-1", name="Test Lejer", phone=PHONE, balance_as_of=date(2026, 3, 15), **position
    )
    assert [stage for stage, _ in await plan_at(rt, datetime(2026, 3, 15, 10, 0, tzinfo=TZ), tenant_id)] == ["demand"]
    # Sunday is quiet: the question goes on Monday 16 March, two days before the deadline.
    set_now(rt, datetime(2026, 3, 16, 9, 30, tzinfo=TZ))
    await drain(rt.sender)
    assert len(sms(rt).to(PHONE)) == 1
    await answer(rt, "1", "SM-paid")  # "Jeg har betalt"
    async with rt.db.read() as conn:
        claim = (await conn.execute(select(rent_positions.c.paid_claim_until))).scalar_one()
    assert claim == date(2026, 3, 21)  # five days' pause, past the deadline
    # Tuesday's ledger still shows the rent owed: the last reminder before the deadline goes out anyway.
    planned = await plan_at(rt, datetime(2026, 3, 17, 10, 0, tzinfo=TZ), tenant_id)
    assert [stage for stage, _ in planned] == ["demand"]
    assert "2026-03-18" in planned[0][1] and "1 day left" in planned[0][1]
    assert await keys(rt) == [("demand", "2026-03", 3), ("demand", "2026-03", 1)]
    assert len(sms(rt).to(PHONE)) == 3  # the question, the answer to "1", and the last reminder


async def unanswered_question(rt: Runtime) -> int:
    """The same påkrav (deadline Wed 18 March): the 3-day reminder, planned on Sunday 15 March, puts its question on
    Monday 16 March at 09:00, and the tenant never answers. Returns the tenant's id."""
    position: dict[str, Any] = {"balance_ore": 710_000, "demand_sent_on": date(2026, 3, 4)}
    tenant_id = await add_tenant(
        rt.db, "T-1", name="Test Lejer", phone=PHONE, balance_as_of=date(2026, 3, 15), **position
    )
    await plan_at(rt, datetime(2026, 3, 15, 10, 0, tzinfo=TZ), tenant_id)
    set_now(rt, datetime(2026, 3, 16, 9, 0, tzinfo=TZ))
    await drain(rt.sender)
    return tenant_id


async def test_an_unanswered_question_does_not_hold_the_last_reminder(rt: Runtime) -> None:
    # On Tuesday 17, the day before the deadline, the 3-day reminder's conversation still waits for an answer.
    tenant_id = await unanswered_question(rt)
    assert len(sms(rt).to(PHONE)) == 1
    tuesday = datetime(2026, 3, 17, 9, 0, tzinfo=TZ)
    # The preview (`keephome remind --dry-run`, the simulator's clock panel) and the plan agree: it goes.
    preview = await plan_reminders(rt.db, rt.settings, set_now(rt, tuesday), dry_run=True)
    assert [row.trigger for row in preview.rows] == ["demand"] and preview.summary.held_by_conversation == 0
    planned = await plan_at(rt, tuesday, tenant_id)
    assert [stage for stage, _ in planned] == ["demand"] and "1 day left" in planned[0][1]
    assert len(sms(rt).to(PHONE)) == 2
    # It replaced the unanswered conversation: one conversation waits, and the old one sends no nudge.
    async with rt.db.read() as conn:
        rows = (await conn.execute(select(conversations.c.active, conversations.c.ended_reason))).all()
    assert sorted(rows, key=str) == sorted([(False, "superseded"), (True, None)], key=str)
    await expire_waiting(rt.db, set_now(rt, datetime(2026, 3, 17, 9, 30, tzinfo=TZ)), rt.settings)
    await drain(rt.sender)
    assert len(sms(rt).to(PHONE)) == 2


async def test_the_last_reminder_goes_beside_a_nudge_that_went_out_the_same_morning(rt: Runtime) -> None:
    """The 3-day reminder's question (Monday 16 March, 09:00) is unanswered; its nudge goes Tuesday at 09:05, before
    the plan. The last reminder before Wednesday's deadline has no later day: it goes all the same, the one day the
    tenant gets two proactive messages. An ordinary reminder would wait for its next chance."""
    tenant_id = await unanswered_question(rt)
    await expire_waiting(rt.db, set_now(rt, datetime(2026, 3, 17, 9, 5, tzinfo=TZ)), rt.settings)
    await drain(rt.sender)
    assert len(sms(rt).to(PHONE)) == 2  # the question and its nudge
    tuesday = datetime(2026, 3, 17, 9, 10, tzinfo=TZ)
    preview = await plan_reminders(rt.db, rt.settings, set_now(rt, tuesday), dry_run=True)
    assert [row.trigger for row in preview.rows] == ["demand"] and preview.already_contacted == 0
    planned = await plan_at(rt, tuesday, tenant_id)
    assert [stage for stage, _ in planned] == ["demand"] and "1 day left" in planned[0][1]
    assert len(sms(rt).to(PHONE)) == 3
    assert await plan_at(rt, datetime(2026, 3, 17, 15, 0, tzinfo=TZ), tenant_id) == []  # recorded once


async def court_tenant(rt: Runtime, court_date: date) -> int:
    return await add_tenant(
        rt.db,
        "T-1",
        name="Test Lejer",
        phone=PHONE,
        balance_ore=2_100_000,
        balance_as_of=date(2026, 3, 3),
        termination_on=date(2026, 2, 20),
        court_date=court_date,
    )


async def test_a_second_court_reminder_the_weekday_before_the_court_date(rt: Runtime) -> None:
    tenant_id = await court_tenant(rt, date(2026, 3, 16))  # a Monday
    assert [s for s, _ in await plan_at(rt, datetime(2026, 3, 3, 10, 0, tzinfo=TZ), tenant_id)] == ["court"]
    for day in (4, 10, 12):  # nothing between the outreach and the eve
        assert await plan_at(rt, datetime(2026, 3, day, 10, 0, tzinfo=TZ), tenant_id) == []
    # Friday 13 March, the last weekday before the court date: a second court-stage message.
    planned = await plan_at(rt, datetime(2026, 3, 13, 10, 0, tzinfo=TZ), tenant_id)
    assert [s for s, _ in planned] == ["court"] and "court date 2026-03-16 in 3 days" in planned[0][1]
    assert await plan_at(rt, datetime(2026, 3, 13, 15, 0, tzinfo=TZ), tenant_id) == []  # recorded once
    assert await plan_at(rt, datetime(2026, 3, 14, 10, 0, tzinfo=TZ), tenant_id) == []  # not on Saturday too
    assert await keys(rt) == [("court", "2026-03", 116), ("court", "2026-03", 16)]
    assert len(sms(rt).to(PHONE)) == 2
    async with rt.db.read() as conn:
        triggers = (await conn.execute(select(conversations.c.trigger).order_by(conversations.c.id))).scalars().all()
        open_cases = (await conn.execute(select(cases.c.status))).scalars().all()
    assert triggers == ["court", "court"]  # court-stage wording both times
    assert open_cases == ["waiting"]  # the outreach case is the same one


async def test_a_court_date_learned_in_the_month_of_the_termination_is_reached_out_to(rt: Runtime) -> None:
    """A termination on 2 March reached out to; on 10 March the fogedret's date, 24 March, becomes known: the
    tenant hears of it (its own outreach), and a second import of the same date says nothing more."""
    tenant_id = await add_tenant(
        rt.db, "T-1", name="Test Lejer", phone=PHONE, balance_ore=2_100_000, balance_as_of=date(2026, 3, 3),
        termination_on=date(2026, 3, 2),
    )  # fmt: skip
    assert [s for s, _ in await plan_at(rt, datetime(2026, 3, 3, 10, 0, tzinfo=TZ), tenant_id)] == ["court"]
    async with rt.db.write() as conn:
        await conn.execute(
            update(rent_positions).where(rent_positions.c.tenant_id == tenant_id).values(court_date=date(2026, 3, 24))
        )
    planned = await plan_at(rt, datetime(2026, 3, 10, 10, 0, tzinfo=TZ), tenant_id)
    assert [s for s, _ in planned] == ["court"] and "court date 2026-03-24 known" in planned[0][1]
    assert await plan_at(rt, datetime(2026, 3, 11, 10, 0, tzinfo=TZ), tenant_id) == []
    assert await keys(rt) == [("court", "2026-03", -1), ("court", "2026-03", 124)]
    assert len(sms(rt).to(PHONE)) == 2


async def test_the_court_eve_waits_for_the_morning(rt: Runtime) -> None:
    tenant_id = await court_tenant(rt, date(2026, 3, 17))
    await plan_at(rt, datetime(2026, 3, 3, 10, 0, tzinfo=TZ), tenant_id)
    # Planned just after midnight on Monday 16 March: the message waits until quiet hours end at 09:00.
    assert [s for s, _ in await plan_at(rt, datetime(2026, 3, 16, 0, 30, tzinfo=TZ), tenant_id)] == ["court"]
    assert len(sms(rt).to(PHONE)) == 1
    set_now(rt, datetime(2026, 3, 16, 9, 1, tzinfo=TZ))
    await drain(rt.sender)
    assert len(sms(rt).to(PHONE)) == 2


async def test_the_court_eve_kept_waiting_by_the_pause_still_goes_beside_another_message(rt: Runtime) -> None:
    """The operator pauses sending on Friday 13 March, the court eve; another proactive message for the tenant is
    queued first, then the plan puts the court eve's question. When the pause ends both are looked at again: one
    proactive message a day would keep the first and drop the court eve, which has no later day."""
    tenant_id = await court_tenant(rt, date(2026, 3, 16))
    await plan_at(rt, datetime(2026, 3, 3, 10, 0, tzinfo=TZ), tenant_id)
    friday = set_now(rt, datetime(2026, 3, 13, 8, 0, tzinfo=TZ))
    async with rt.db.write() as conn:
        await conn.run_sync(write_flag, PAUSED, "1", friday)
    await queue_question(rt.db, rt.clock(), tenant_id, "test:other")
    assert [s for s, _ in await plan_at(rt, datetime(2026, 3, 13, 10, 0, tzinfo=TZ), tenant_id)] == ["court"]
    assert len(sms(rt).to(PHONE)) == 1  # paused: only the outreach of 3 March went
    async with rt.db.write() as conn:
        await conn.run_sync(write_flag, PAUSED, "0", set_now(rt, datetime(2026, 3, 13, 11, 0, tzinfo=TZ)))
    await drain(rt.sender)
    assert len(sms(rt).to(PHONE)) == 2
    async with rt.db.read() as conn:
        found = await conn.execute(select(outbox.c.idempotency_key, outbox.c.state, outbox.c.last_error))
        rows = {key.split(":")[0]: (state, error) for key, state, error in found}
    assert rows["test"] == ("dropped", "one a day")
    assert rows["rem"] == ("sent", None)


async def test_no_court_eve_while_an_adviser_holds_the_case(rt: Runtime) -> None:
    tenant_id = await court_tenant(rt, date(2026, 3, 16))
    await plan_at(rt, datetime(2026, 3, 3, 10, 0, tzinfo=TZ), tenant_id)
    async with rt.db.write() as conn:
        await conn.execute(update(cases).values(status="taken"))
    assert await plan_at(rt, datetime(2026, 3, 13, 10, 0, tzinfo=TZ), tenant_id) == []
    assert await keys(rt) == [("court", "2026-03", 116)]
    assert len(sms(rt).to(PHONE)) == 1


async def test_a_conversation_knows_the_påkrav_deadline_while_it_runs(rt: Runtime) -> None:
    # Påkrav sent Wed 4 March 2026 by Digital Post: deadline Wed 18 March.
    pakrav: dict[str, Any] = {"balance_ore": 710_000, "demand_sent_on": date(2026, 3, 4)}
    reminded = await add_tenant(rt.db, "T-1", phone=PHONE, balance_as_of=date(2026, 3, 11), **pakrav)
    writes = await add_tenant(rt.db, "T-2", phone="+4520000002", balance_as_of=date(2026, 3, 11), **pakrav)
    later = await add_tenant(
        rt.db, "T-3", phone="+4520000003", balance_as_of=date(2026, 3, 11), termination_on=date(2026, 3, 10), **pakrav
    )
    # The 7-day reminder for T-1 (T-3's court-stage outreach too); T-2 and T-3 write first afterwards.
    await plan_at(rt, datetime(2026, 3, 11, 10, 0, tzinfo=TZ), reminded)
    for n, sender in enumerate(("+4520000002", "+4520000003")):
        async with rt.db.write() as conn:
            await conn.execute(update(conversations).where(conversations.c.tenant_id != reminded).values(active=False))
        await rt.inbox.submit(InboundMessage("sms", f"SM-{n}", sender, "hej"))
        await process_all(rt.processor)
    async with rt.db.read() as conn:
        rows = (
            await conn.execute(select(conversations.c.tenant_id, conversations.c.state).order_by(conversations.c.id))
        ).all()
    deadlines = {tenant_id: State.load(state).deadline for tenant_id, state in rows}
    assert deadlines == {reminded: date(2026, 3, 18), writes: date(2026, 3, 18), later: None}


async def test_over_christmas_a_plain_missed_reminder_never_takes_a_pakrav_countdowns_place(rt: Runtime) -> None:
    # A påkrav by Digital Post on Tuesday 15 December 2026: the deadline is Tuesday 29 December. Its 3-day reminder
    # is planned on 2. juledag (26 December), when nothing is sent: its question waits for Monday 28. On Sunday 27
    # the policy's best is a plain "missed" for December's rent: it waits, the countdown is not replaced.
    position: dict[str, Any] = {"balance_ore": 710_000, "demand_sent_on": date(2026, 12, 15)}
    tenant_id = await add_tenant(
        rt.db, "T-1", name="Test Lejer", phone=PHONE, balance_as_of=date(2026, 12, 26), **position
    )
    assert [stage for stage, _ in await plan_at(rt, datetime(2026, 12, 26, 10, 0, tzinfo=TZ), tenant_id)] == ["demand"]
    assert await plan_at(rt, datetime(2026, 12, 27, 10, 0, tzinfo=TZ), tenant_id) == []
    async with rt.db.read() as conn:
        waiting = (await conn.execute(select(conversations.c.trigger).where(conversations.c.active.is_(True)))).all()
    assert [row.trigger for row in waiting] == ["demand"]
    assert await keys(rt) == [("demand", "2026-12", 3)]
