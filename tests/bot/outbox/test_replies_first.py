"""Replies before campaigns: an answer to a tenant's own message is claimed and sent before proactive rows, within
the same rate limits, and a claim never holds more than a few seconds' worth of sends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.outbox.ratelimit import RateLimiter
from bot.runtime import Clock, Runtime
from bot.store.db import utcnow
from tests.bot.outbox.campaign import queue_campaign, queue_reply
from tests.conftest import make_settings, started_runtime
from tests.support.drive import FailingSandbox

TZ = ZoneInfo("Europe/Copenhagen")
MORNING = datetime(2026, 3, 3, 10, 0, tzinfo=TZ)  # a Tuesday, outside quiet hours


def _sms(rt: Runtime) -> FailingSandbox:
    channel = rt.channels["sms"]
    assert isinstance(channel, FailingSandbox)
    return channel


@pytest.fixture
async def rt(database_url: str) -> AsyncIterator[Runtime]:
    clock = Clock(MORNING.astimezone(UTC) - utcnow())
    async with started_runtime(make_settings(database_url, twilio_rate=10.0), clock=clock) as runtime:
        yield runtime


async def test_a_reply_queued_behind_a_thousand_proactive_rows_is_sent_first(database_url: str) -> None:
    clock = Clock(MORNING.astimezone(UTC) - utcnow())
    # A batch smaller than the campaign's share: whatever is claimed first is all that goes.
    async with started_runtime(make_settings(database_url, outbox_batch=10), clock=clock) as rt:
        await queue_campaign(rt, 1000)
        await queue_reply(rt, "+4530000001", "in:1:0")
        assert await rt.sender.drain_once() == 10
        sent = _sms(rt).sent
    assert sent[0].address == "+4530000001"
    assert len(sent) == 10


async def test_a_claim_holds_a_few_seconds_worth_at_the_rate(rt: Runtime) -> None:
    await queue_campaign(rt, 1000)
    assert await rt.sender.drain_once() == 20  # two seconds at 10 SMS/s, though a batch may hold 50


async def test_a_reply_overtakes_the_campaign_rows_already_waiting_for_their_turn(database_url: str) -> None:
    clock = Clock(MORNING.astimezone(UTC) - utcnow())
    # 2 SMS/s: half a second between turns, room for the reply's commit and claim on a busy machine.
    async with started_runtime(make_settings(database_url, twilio_rate=2.0), clock=clock) as rt:
        await _overtake(rt)


async def _overtake(rt: Runtime) -> None:
    await queue_campaign(rt, 200)
    sms = _sms(rt)
    await rt.sender.start()
    try:
        for _ in range(500):
            if len(sms.sent) >= 3:
                break
            await asyncio.sleep(0.01)
        await queue_reply(rt, "+4530000002", "in:2:0")
        queued_at = len(sms.sent)
        rt.sender.wake()  # as the processor does once the reply is committed
        for _ in range(500):
            if any(m.address == "+4530000002" for m in sms.sent):
                break
            await asyncio.sleep(0.01)
    finally:
        await rt.sender.stop()
    position = next(i for i, m in enumerate(sms.sent) if m.address == "+4530000002")
    # The campaign's next rows were claimed and waiting in the rate limiter: the reply took the next turn.
    assert position - queued_at <= 1


async def test_urgent_waiters_take_the_next_turn() -> None:
    now = [0.0]
    real_sleep = asyncio.sleep

    async def fake_sleep(seconds: float) -> None:
        now[0] += seconds
        await real_sleep(0)

    limiter = RateLimiter(1, clock=lambda: now[0])
    order: list[str] = []

    async def send(name: str, urgent: bool) -> None:
        await limiter.acquire(urgent=urgent)
        order.append(name)

    asyncio.sleep = fake_sleep  # type: ignore[assignment]
    try:
        campaign = [asyncio.create_task(send(f"c{i}", False)) for i in range(4)]
        await real_sleep(0)
        reply = asyncio.create_task(send("reply", True))
        await asyncio.gather(*campaign, reply)
    finally:
        asyncio.sleep = real_sleep
    assert order == ["c0", "reply", "c1", "c2", "c3"]
