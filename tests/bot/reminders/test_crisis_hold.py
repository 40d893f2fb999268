"""After words of crisis the next days' rent reminders are held, counted as such, and come back after the hold."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.channels.sandbox import SandboxChannel
from bot.cli.remind import write_table
from bot.inbound.inbox import InboundMessage
from bot.reminders.plan import plan_reminders
from bot.runtime import Clock, Runtime
from bot.store.db import utcnow
from tests.conftest import make_settings, started_runtime
from tests.support.drive import drain, process_all
from tests.support.helpers import add_tenant

TZ = ZoneInfo("Europe/Copenhagen")
# Tuesday 3 March 2026: rent due Sunday 1 March was last on time Monday 2 March, so it is missed today.
DAY = date(2026, 3, 3)
PHONE = "+4520000001"
CALM = "+4520000002"


def set_now(rt: Runtime, local: datetime) -> None:
    rt.clock.offset = local.replace(tzinfo=TZ).astimezone(UTC) - utcnow()


@pytest.fixture
async def rt(database_url: str) -> AsyncIterator[Runtime]:
    async with started_runtime(make_settings(database_url), clock=Clock()) as runtime:
        yield runtime


def sent_to(rt: Runtime, phone: str) -> list[str]:
    channel = rt.channels["sms"]
    assert isinstance(channel, SandboxChannel)
    return [message.text for message in channel.to(phone)]


async def test_the_morning_after_words_of_crisis_brings_no_rent_reminder(rt: Runtime) -> None:
    """Both tenants missed the rent due 1 March. One wrote "jeg vil tage mit liv" on Monday evening and got the crisis
    line: Tuesday's plan reminds only the other, and says one was held after words of crisis; a week later (the
    default 7 days over) the reminder is due again."""
    owed = {"balance_ore": 710_000, "balance_as_of": DAY}
    await add_tenant(rt.db, "T-1", name="Amira Hansen", phone=PHONE, **owed)
    await add_tenant(rt.db, "T-2", name="Bo Jensen", phone=CALM, **owed)
    set_now(rt, datetime(2026, 3, 2, 21, 30))
    await rt.inbox.submit(InboundMessage("sms", "M1", PHONE, "jeg vil tage mit liv"))
    await process_all(rt.processor)
    await drain(rt.sender)
    assert len(sent_to(rt, PHONE)) == 1 and "70 201 201" in sent_to(rt, PHONE)[0]

    set_now(rt, datetime(2026, 3, 3, 9, 0))
    outcome = await plan_reminders(rt.db, rt.settings, rt.clock())
    await drain(rt.sender)

    assert [row.tenant_ref for row in outcome.rows] == ["T-2"]
    assert outcome.summary.held_by_crisis == 1
    assert len(sent_to(rt, PHONE)) == 1  # the crisis line alone
    assert len(sent_to(rt, CALM)) == 1
    # The operator's dry run says why the tenant was not reminded (the last day of the hold: Monday 9 March).
    held = await plan_reminders(rt.db, rt.settings, rt.clock(), day=date(2026, 3, 9), dry_run=True)
    out = io.StringIO()
    write_table(held, TZ, out)
    assert held.rows == [] and "1 held after words of crisis" in out.getvalue()
    after = await plan_reminders(rt.db, rt.settings, rt.clock(), day=date(2026, 3, 10), dry_run=True)
    assert [(row.tenant_ref, row.trigger) for row in after.rows] == [("T-1", "missed")]
    assert after.summary.held_by_crisis == 0
