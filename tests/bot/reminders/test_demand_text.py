"""What a tenant with a påkrav reads: the SMS of a `demand` reminder points to the deadline in the letter they
received, with no date, amount or debt word; the missed-rent reminder does not speak of a letter."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.channels.sandbox import SandboxChannel
from bot.outbox.sms_rules import amount_like, forbidden_words_in
from bot.reminders.plan import plan_reminders
from bot.runtime import Clock, Runtime
from bot.store.db import utcnow
from tests.conftest import make_settings, started_runtime
from tests.support.drive import drain
from tests.support.helpers import add_tenant

TZ = ZoneInfo("Europe/Copenhagen")
# Wednesday 11 March 2026: a påkrav sent by Digital Post on Wednesday 4 March has its deadline on Wednesday 18 March,
# seven days ahead (the first `demand` reminder); rent due Sunday 1 March is missed for a tenant without one.
DAY = date(2026, 3, 11)
OWED = {"balance_ore": 710_000, "balance_as_of": DAY}
DEMANDED = {**OWED, "demand_sent_on": date(2026, 3, 4)}


@pytest.fixture
async def rt(database_url: str) -> AsyncIterator[Runtime]:
    async with started_runtime(make_settings(database_url), clock=Clock()) as runtime:
        yield runtime


def sent_to(rt: Runtime, phone: str) -> list[str]:
    channel = rt.channels["sms"]
    assert isinstance(channel, SandboxChannel)
    return [message.text for message in channel.to(phone)]


async def test_a_pakrav_reminder_by_sms_points_to_the_deadline_in_the_letter(rt: Runtime) -> None:
    await add_tenant(rt.db, "T-1", name="Dorte Hansen", phone="+4520000001", **DEMANDED)
    await add_tenant(rt.db, "T-2", name="Jamie Smith", phone="+4520000002", language="en", **DEMANDED)
    await add_tenant(rt.db, "T-3", name="Carl Jensen", phone="+4520000003", **OWED)
    rt.clock.offset = datetime(2026, 3, 11, 9, 0, tzinfo=TZ).astimezone(UTC) - utcnow()
    outcome = await plan_reminders(rt.db, rt.settings, rt.clock())
    await drain(rt.sender)

    assert sorted((row.tenant_ref, row.trigger) for row in outcome.rows) == [
        ("T-1", "demand"),
        ("T-2", "demand"),
        ("T-3", "missed"),
    ]
    [danish], [english], [missed] = (sent_to(rt, f"+452000000{n}") for n in (1, 2, 3))
    assert "Husk fristen i brevet" in danish and "Brug for hjælp med huslejen?" not in danish
    assert "the letter's deadline" in english
    assert "brev" not in missed and "Brug for hjælp med huslejen?" in missed
    for text in (danish, english):
        assert forbidden_words_in(text) == [] and not amount_like(text, bare_numbers=True)
        assert "18" not in text and "mar" not in text.lower()  # no deadline's day, in any form
