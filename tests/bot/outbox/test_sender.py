"""The outbox: leases, retries, rules at send time, rates — on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.channels.base import OutgoingMessage, SendResult
from bot.metrics import Metrics
from bot.outbox.enqueue import enqueue
from bot.outbox.ratelimit import RateLimiter
from bot.outbox.sender import Sender, backoff
from bot.runtime import Clock, Runtime
from bot.store.scene import Scene
from bot.store.schema import messages, outbox, tenants
from tests.conftest import make_settings, started_runtime
from tests.support.drive import FailingSandbox, drain
from tests.support.helpers import add_tenant


@pytest.fixture
async def rt(database_url: str) -> Runtime:
    async with started_runtime(make_settings(database_url), clock=Clock()) as runtime:
        yield runtime  # type: ignore[misc]


async def _queue(rt: Runtime, tenant_id: int, key: str, *, proactive: bool = False, channel: str = "sms") -> int:
    async with rt.db.write() as conn:
        done = await conn.run_sync(
            lambda sync, **kw: enqueue(Scene.of(sync), **kw),
            now=rt.clock(),
            channel=channel,
            template="keyword.opted_in",
            values={},
            language="da",
            idempotency_key=key,
            tenant_id=tenant_id,
            proactive=proactive,
        )
    return done.outbox_id


async def _row(rt: Runtime, outbox_id: int) -> object:
    async with rt.db.read() as conn:
        return (await conn.execute(select(outbox).where(outbox.c.id == outbox_id))).one()


def _sms(rt: Runtime) -> FailingSandbox:
    channel = rt.channels["sms"]
    assert isinstance(channel, FailingSandbox)
    return channel


class _Unanswered:
    """A provider that never answers: a process sending through it hangs until it dies."""

    name = "sms"

    def __init__(self) -> None:
        self.called = asyncio.Event()

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def send(self, message: OutgoingMessage) -> SendResult:
        self.called.set()
        await asyncio.Event().wait()
        raise AssertionError("never answered")


async def test_a_row_claimed_by_a_process_that_died_is_sent_after_its_lease(rt: Runtime) -> None:
    tenant_id = await add_tenant(rt.db)
    oid = await _queue(rt, tenant_id, "k1")
    # Another process claims the row and dies while its send is under way.
    stuck = _Unanswered()
    lease = timedelta(seconds=rt.settings.lease_seconds)
    other = Sender(rt.db, {"sms": stuck}, rt.renderer, rt.clock, Metrics(), rates={}, lease=lease)  # type: ignore[dict-item]
    dying = asyncio.create_task(other.drain_once())
    await asyncio.wait_for(stuck.called.wait(), 5)
    dying.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await dying
    assert (await _row(rt, oid)).lease_until is not None  # type: ignore[attr-defined]
    assert await drain(rt.sender) == 0  # the lease still holds: nobody sends it twice
    rt.clock.offset += timedelta(seconds=rt.settings.lease_seconds + 1)
    assert await drain(rt.sender) == 1
    assert len(_sms(rt).sent) == 1
    row = await _row(rt, oid)
    assert row.state == "sent" and row.attempts == 2  # type: ignore[attr-defined]


async def test_transient_failures_are_retried_with_backoff_then_sent(rt: Runtime) -> None:
    tenant_id = await add_tenant(rt.db)
    oid = await _queue(rt, tenant_id, "k1")
    _sms(rt).fail_next.append(SendResult("transient", detail="503"))
    await drain(rt.sender)
    row = await _row(rt, oid)
    assert row.state == "pending" and row.next_attempt_at > rt.clock()  # type: ignore[attr-defined]
    assert await drain(rt.sender) == 0  # not before the backoff has passed
    rt.clock.offset += timedelta(hours=2)
    await drain(rt.sender)
    assert (await _row(rt, oid)).state == "sent"  # type: ignore[attr-defined]


async def test_a_permanent_failure_is_recorded_and_not_retried(rt: Runtime) -> None:
    tenant_id = await add_tenant(rt.db)
    oid = await _queue(rt, tenant_id, "k1")
    _sms(rt).fail_next.append(SendResult("permanent", error_code="21211", detail="invalid number"))
    await drain(rt.sender)
    row = await _row(rt, oid)
    assert row.state == "failed" and row.last_error == "21211"  # type: ignore[attr-defined]
    async with rt.db.read() as conn:
        msg = (await conn.execute(select(messages.c.status, messages.c.error_code))).one()
    assert tuple(msg) == ("failed", "21211")


async def test_the_same_idempotency_key_is_never_queued_twice(rt: Runtime) -> None:
    tenant_id = await add_tenant(rt.db)
    first = await _queue(rt, tenant_id, "same")
    await _queue(rt, tenant_id, "same")  # a repeat is left out when its transaction is written
    async with rt.db.read() as conn:
        queued = (await conn.execute(select(outbox.c.id).where(outbox.c.idempotency_key == "same"))).scalars().all()
        orphans = (
            await conn.execute(
                select(func.count()).select_from(messages).where(~messages.c.id.in_(select(outbox.c.message_id)))
            )
        ).scalar_one()
    assert queued == [first]
    assert orphans == 0  # the repeat's message row was left out with it


async def test_nothing_proactive_reaches_an_opted_out_tenant(rt: Runtime) -> None:
    tenant_id = await add_tenant(rt.db)
    oid = await _queue(rt, tenant_id, "k1", proactive=True)
    async with rt.db.write() as conn:
        await conn.execute(tenants.update().values(status="stopped"))
    await drain(rt.sender)
    assert _sms(rt).sent == []
    assert (await _row(rt, oid)).state == "held"  # type: ignore[attr-defined]


async def test_the_pause_switch_holds_proactive_messages_but_not_answers(rt: Runtime) -> None:
    tenant_id = await add_tenant(rt.db)
    proactive = await _queue(rt, tenant_id, "k1", proactive=True)
    answer = await _queue(rt, tenant_id, "k2")
    rt.pause_flag = True
    await drain(rt.sender)
    assert (await _row(rt, answer)).state == "sent"  # type: ignore[attr-defined]
    assert (await _row(rt, proactive)).state == "pending"  # type: ignore[attr-defined]
    rt.pause_flag = False
    await drain(rt.sender)
    assert (await _row(rt, proactive)).state == "sent"  # type: ignore[attr-defined]


async def test_a_blocked_telegram_chat_falls_back_to_sms(rt: Runtime) -> None:
    tenant_id = await add_tenant(rt.db, chat_id=4242)
    await _queue(rt, tenant_id, "k1", channel="telegram")
    telegram = rt.channels["telegram"]
    assert isinstance(telegram, FailingSandbox)
    telegram.fail_next.append(SendResult("blocked", detail="Forbidden"))
    await drain(rt.sender)
    await drain(rt.sender)
    assert telegram.sent == []
    assert len(_sms(rt).sent) == 1
    async with rt.db.read() as conn:
        assert (await conn.execute(select(tenants.c.telegram_blocked))).scalar_one() is True


def test_backoff_grows_and_is_capped() -> None:
    import random

    rng = random.Random(7)
    first = [backoff(1, rng=rng) for _ in range(50)]
    tenth = [backoff(10, rng=rng) for _ in range(50)]
    assert max(first) <= 5.0
    assert sum(tenth) / 50 > sum(first) / 50 * 10
    assert max(backoff(40, rng=rng) for _ in range(50)) <= 3600.0


async def test_the_rate_limiter_never_exceeds_its_rate_in_any_second() -> None:
    now = [0.0]

    def clock() -> float:
        return now[0]

    import asyncio

    real_sleep = asyncio.sleep

    async def fake_sleep(seconds: float) -> None:
        now[0] += seconds
        await real_sleep(0)

    limiter = RateLimiter(10, clock=clock)
    stamps = []
    asyncio.sleep = fake_sleep  # type: ignore[assignment]
    try:
        for _ in range(55):
            await limiter.acquire()
            stamps.append(now[0])
    finally:
        asyncio.sleep = real_sleep
    for i, start in enumerate(stamps):
        in_window = [s for s in stamps[i:] if s < start + 1.0]
        assert len(in_window) <= 10
    # 55 sends at 10/s take 5.4 s, plus a little slack on each one-second window: at least 95 % of the rate.
    assert 5.4 <= stamps[-1] <= 5.4 / 0.95


async def test_a_permanent_telegram_failure_goes_out_by_sms_without_blocking_the_chat(rt: Runtime) -> None:
    tenant_id = await add_tenant(rt.db, chat_id=4242)
    await _queue(rt, tenant_id, "k1", channel="telegram")
    telegram = rt.channels["telegram"]
    assert isinstance(telegram, FailingSandbox)
    telegram.fail_next.append(SendResult("permanent", error_code="400", detail="chat not found"))
    await drain(rt.sender)
    await drain(rt.sender)
    assert len(_sms(rt).sent) == 1
    async with rt.db.read() as conn:
        assert (await conn.execute(select(tenants.c.telegram_blocked))).scalar_one() is False
    await _queue(rt, tenant_id, "k2", channel="telegram")
    await drain(rt.sender)
    assert len(telegram.sent) == 1  # the next message tries Telegram again
