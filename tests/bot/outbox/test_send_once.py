"""One send per message: a claimed row is never claimed again while its process lives, at any rate and batch size."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.channels.twilio_sms import TwilioChannel
from bot.runtime import Clock
from bot.store.db import utcnow
from bot.store.schema import outbox
from tests.bot.outbox.campaign import queue_campaign
from tests.conftest import make_settings, started_runtime
from tests.support.twilio_standin import (
    TwilioStandin,
    credentials,
    twilio_standin,
)

__all__ = ["twilio_standin"]

MORNING = datetime(2026, 3, 3, 10, 0, tzinfo=ZoneInfo("Europe/Copenhagen"))
# 6 s of sending at 0.5 SMS/s: the last ones go out later than the 5 s lease would cover, had one claim taken them
# all. The lease and the send timeout are short so the test waits 6 s instead of 24 (13 reminders against a 20 s
# lease): what it is about is the time the rate spreads a campaign over against the lease, not their lengths.
REMINDERS = 4


@pytest.mark.slow
async def test_at_half_an_sms_a_second_every_message_is_sent_once(
    sqlite_url: str, twilio_standin: TwilioStandin
) -> None:
    settings = make_settings(
        sqlite_url,
        **credentials(twilio_standin),
        twilio_rate=0.5,
        lease_seconds=5,  # the default batch (50): a claim could take every row, were its size not bounded
        send_timeout_seconds=2,
    )
    clock = Clock(MORNING.astimezone(UTC) - utcnow())
    async with started_runtime(settings, clock=clock, sms=TwilioChannel(settings)) as rt:
        await queue_campaign(rt, REMINDERS)
        await rt.sender.start()
        try:
            for _ in range(200):  # about 6 s of sending, then every row recorded
                async with rt.db.read() as conn:
                    states = (await conn.execute(select(outbox.c.state))).scalars().all()
                if states.count("sent") == REMINDERS:
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(2.5)  # long enough for one more send, were a row taken twice
        finally:
            await rt.sender.stop()
    copies = Counter(posted.to for posted in twilio_standin.posted)
    assert len(copies) == REMINDERS
    assert sorted(copies.values()) == [1] * REMINDERS
