"""A re-import that shows the rent paid stops the reminders for that tenant the same day."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.channels.sandbox import SandboxChannel
from bot.reminders.ledger import import_tenants
from bot.reminders.plan import plan_reminders
from bot.reminders.timers import expire_waiting
from bot.runtime import Clock, Runtime
from bot.store.db import utcnow
from bot.store.schema import conversations, outbox, planned_reminders
from bot.tenants.csv_rows import known_languages, parse_csv
from tests.conftest import make_settings, started_runtime
from tests.support.drive import drain

TZ = ZoneInfo("Europe/Copenhagen")
# Tuesday 3 March 2026: the rent due Sunday 1 March was last on time Monday 2 March.
DAY = date(2026, 3, 3)
PHONE = "+4520123456"
OWING = f"tenant_ref,name,phone,balance,balance_as_of\nT-1,Test Lejer,{PHONE},7100.00,2026-03-03\n"
PAID = f"tenant_ref,name,phone,balance,balance_as_of\nT-1,Test Lejer,{PHONE},0,2026-03-03\n"


@pytest.fixture
async def rt(database_url: str) -> AsyncIterator[Runtime]:
    async with started_runtime(make_settings(database_url), clock=Clock()) as runtime:
        yield runtime


def at(rt: Runtime, local: datetime) -> datetime:
    rt.clock.offset = local.astimezone(UTC) - utcnow()
    return rt.clock()


async def load(rt: Runtime, text: str) -> None:
    now = rt.clock()
    result = parse_csv(text.encode(), now.astimezone(TZ).date(), known_languages(), ["da", "en"], "da")
    assert result.ok, [str(e) for e in result.errors]
    await import_tenants(rt.db, result.rows, now, rt.settings)


def texts(rt: Runtime) -> list[str]:
    channel = rt.channels["sms"]
    assert isinstance(channel, SandboxChannel)
    return [m.text for m in channel.to(PHONE)]


async def conversation(rt: Runtime) -> tuple[bool, str | None]:
    async with rt.db.read() as conn:
        row = (await conn.execute(select(conversations.c.active, conversations.c.ended_reason))).one()
    return bool(row.active), row.ended_reason


async def plan_and_send(rt: Runtime) -> int:
    outcome = await plan_reminders(rt.db, rt.settings, rt.clock())
    await drain(rt.sender)
    return len(outcome.rows)


async def test_a_paid_reimport_ends_the_reminder_with_thanks_and_plans_nothing_more(rt: Runtime) -> None:
    at(rt, datetime(2026, 3, 3, 8, 0, tzinfo=TZ))
    await load(rt, OWING)
    at(rt, datetime(2026, 3, 3, 10, 0, tzinfo=TZ))
    assert await plan_and_send(rt) == 1
    assert len(texts(rt)) == 1
    at(rt, datetime(2026, 3, 3, 14, 0, tzinfo=TZ))
    await load(rt, PAID)
    assert await conversation(rt) == (False, "paid")
    # One proactive message a day: the thank-you goes the next morning.
    at(rt, datetime(2026, 3, 4, 9, 5, tzinfo=TZ))
    await drain(rt.sender)
    sent = texts(rt)
    assert len(sent) == 2
    assert "betalt" in sent[1]
    # Without the payment a nudge would follow a day after the question; now nothing does.
    for hours in (25, 49, 73):
        now = at(rt, datetime(2026, 3, 3, 10, 0, tzinfo=TZ) + timedelta(hours=hours))
        assert await expire_waiting(rt.db, now, rt.settings) == 0
        assert await plan_and_send(rt) == 0
    assert len(texts(rt)) == 2


async def test_a_payment_before_the_morning_takes_back_the_unsent_question(rt: Runtime) -> None:
    at(rt, datetime(2026, 3, 3, 8, 0, tzinfo=TZ))
    await load(rt, OWING)
    at(rt, datetime(2026, 3, 3, 22, 30, tzinfo=TZ))
    assert await plan_and_send(rt) == 1  # planned, but the question waits for 09:00
    assert texts(rt) == []
    at(rt, datetime(2026, 3, 3, 23, 0, tzinfo=TZ))
    await load(rt, PAID)
    assert await conversation(rt) == (False, "paid")
    at(rt, datetime(2026, 3, 4, 9, 5, tzinfo=TZ))
    await drain(rt.sender)
    # The tenant never saw the question, so neither it nor a thank-you arrives.
    assert texts(rt) == []
    async with rt.db.read() as conn:
        states = (await conn.execute(select(outbox.c.state))).scalars().all()
    assert states == ["held"]


async def test_a_reimport_still_owing_keeps_the_conversation_waiting(rt: Runtime) -> None:
    at(rt, datetime(2026, 3, 3, 8, 0, tzinfo=TZ))
    await load(rt, OWING)
    at(rt, datetime(2026, 3, 3, 10, 0, tzinfo=TZ))
    assert await plan_and_send(rt) == 1
    at(rt, datetime(2026, 3, 3, 14, 0, tzinfo=TZ))
    await load(rt, OWING)
    assert await conversation(rt) == (True, None)
    now = at(rt, datetime(2026, 3, 4, 11, 0, tzinfo=TZ))
    assert await expire_waiting(rt.db, now, rt.settings) == 1  # the nudge still comes
    await drain(rt.sender)
    assert len(texts(rt)) == 2
    async with rt.db.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(planned_reminders))).scalar_one() == 1
