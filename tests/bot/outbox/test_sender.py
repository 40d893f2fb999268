"""The outbox: leases, retries, rules at send time, rates — on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, event, func, select

from bot.channels.base import OutgoingMessage, SendResult
from bot.channels.telegram import TelegramChannel
from bot.inbound.inbox import InboundMessage
from bot.metrics import Metrics
from bot.outbox.claim import Claimed, claim
from bot.outbox.enqueue import enqueue
from bot.outbox.ratelimit import RateLimiter
from bot.outbox.record import Outcome, record
from bot.outbox.sender import LINGER_ROWS, Sender, backoff
from bot.reminders.jobs import expire_job, plan_today
from bot.runtime import Clock, Runtime
from bot.settings import Settings
from bot.starter import job_services
from bot.store.flags import PAUSED, write_flag
from bot.store.scene import Scene
from bot.store.schema import messages, outbox, tenants
from conversations.values import Value
from tests.conftest import make_settings, started_runtime
from tests.support.drive import FailingSandbox, FrozenClock, daytime, drain, process_all
from tests.support.helpers import add_tenant
from tests.support.telegram_standin import TelegramStandIn


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


async def test_a_row_claimed_by_a_process_that_died_is_sent_after_its_lease(
    rt: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
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
    with caplog.at_level("WARNING", logger="bot.outbox.sender"):
        assert await drain(rt.sender) == 1
    assert len(_sms(rt).sent) == 1
    row = await _row(rt, oid)
    assert row.state == "sent" and row.attempts == 2  # type: ignore[attr-defined]
    # The dead process may have sent it before it died: the copy sent now is marked, counted and named.
    assert row.maybe_sent  # type: ignore[attr-defined]
    assert rt.metrics.unknown_outcome.labels("sms")._value.get() == 1
    assert sum("stopped without recording its send" in r.getMessage() for r in caplog.records) == 1


async def test_a_row_given_back_after_a_lapsed_lease_is_counted_once(rt: Runtime) -> None:
    """A row taken after a dead holder's lease is counted and marked once; given back unsent (a stop, a rule) and
    claimed again, it is not counted again, and a row given back in good order is never marked."""
    tenant_id = await add_tenant(rt.db)
    lapsed_id = await _queue(rt, tenant_id, "lapsed")
    orderly_id = await _queue(rt, tenant_id, "orderly")
    lease = timedelta(seconds=rt.settings.lease_seconds)

    async def claimed() -> list[Claimed]:
        now = rt.clock()
        got = await rt.db.run(claim, now, now + lease, {(False, "sms"): 10}, 10, channels={"sms"})
        return got.rows

    async def give_back(rows: list[Claimed]) -> None:
        async with rt.db.read() as conn:
            # the lease the claim wrote
            until = (await conn.execute(select(outbox.c.lease_until).where(outbox.c.id == rows[0].id))).scalar_one()
        outcomes = [Outcome(row, None, None, None) for row in rows]
        await rt.db.run(record, outcomes, rt.clock(), 5, until)

    first = await claimed()
    assert [(r.id, r.lapsed, r.maybe_sent) for r in first] == [(lapsed_id, False, False), (orderly_id, False, False)]
    await give_back([r for r in first if r.id == orderly_id])  # given back in good order; the other one dies
    rt.clock.offset += lease + timedelta(seconds=1)
    second = await claimed()
    assert [(r.id, r.lapsed, r.maybe_sent) for r in second] == [(lapsed_id, True, True), (orderly_id, False, False)]
    await give_back(second)
    third = await claimed()
    assert [(r.id, r.lapsed, r.maybe_sent) for r in third] == [(lapsed_id, False, True), (orderly_id, False, False)]
    assert (await _row(rt, lapsed_id)).last_error is None  # type: ignore[attr-defined]


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


async def _pause(rt: Runtime, on: bool) -> None:
    async with rt.db.write() as conn:
        await conn.run_sync(write_flag, PAUSED, "1" if on else "0", rt.clock())


async def test_the_pause_switch_holds_proactive_messages_but_not_answers(rt: Runtime) -> None:
    daytime(rt)
    tenant_id = await add_tenant(rt.db)
    proactive = await _queue(rt, tenant_id, "k1", proactive=True)
    answer = await _queue(rt, tenant_id, "k2")
    await _pause(rt, True)
    await drain(rt.sender)
    assert (await _row(rt, answer)).state == "sent"  # type: ignore[attr-defined]
    paused = await _row(rt, proactive)
    assert (paused.state, paused.last_error, paused.attempts) == ("waiting", "paused", 0)  # type: ignore[attr-defined]
    async with rt.db.read() as conn:
        statuses = (await conn.execute(select(messages.c.status).order_by(messages.c.id))).scalars().all()
    assert statuses == ["waiting", "sent"]  # the message says so too
    await _pause(rt, False)
    await rt.sender.drain_once()  # the first claim after the resume puts the row back and takes it
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


@pytest.mark.parametrize(
    ("text", "goes"),
    [
        ("Jeg ringer til dig i morgen kl. 10.", True),
        ("Du skylder 7.100 kr. Betal inden fredag.", False),  # an amount
        ("Vi kan tale om din restance i morgen.", False),  # a debt word
    ],
)
async def test_an_advisers_telegram_reply_falls_back_to_sms_only_within_the_sms_rule(
    rt: Runtime, text: str, goes: bool
) -> None:
    """On Telegram an adviser may name an amount; when the chat is blocked, the same words never go by SMS: the
    row fails with its reason for the case page, instead of the amount reaching whoever reads the phone."""
    tenant_id = await add_tenant(rt.db, chat_id=4242)
    async with rt.db.write() as conn:
        await conn.run_sync(
            lambda sync: enqueue(
                Scene.of(sync),
                now=rt.clock(),
                channel="telegram",
                template="case.reply",
                values={"text": text},
                language="da",
                idempotency_key="reply-1",
                tenant_id=tenant_id,
                author="staff:1",
            )
        )
    telegram = rt.channels["telegram"]
    assert isinstance(telegram, FailingSandbox)
    telegram.fail_next.append(SendResult("blocked", detail="Forbidden"))
    await drain(rt.sender)
    await drain(rt.sender)
    assert [m.text for m in _sms(rt).sent] == ([text] if goes else [])
    async with rt.db.read() as conn:
        row = (await conn.execute(select(outbox.c.state, outbox.c.channel, outbox.c.last_error))).one()
    assert (row.state, row.channel, row.last_error) == (
        ("sent", "sms", None) if goes else ("failed", "sms", "sms rule")
    )


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


async def test_the_deployments_telegram_limiter_sends_one_message_a_second_to_a_chat_and_holds_up_no_other(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Telegram's one message a second a chat, at the rates a deployment runs with (the tests' settings lift the
    per-chat rate: they are about what is said, not when), on a clock the limiter's waits move on."""
    now = [0.0]
    real_sleep = asyncio.sleep

    async def fake_sleep(seconds: float) -> None:
        now[0] += seconds
        await real_sleep(0)

    defaults = Settings.model_fields
    limiter = RateLimiter(
        defaults["telegram_rate"].default, per_key_rate=defaults["telegram_chat_rate"].default, clock=lambda: now[0]
    )
    stamps: dict[str, list[float]] = {"A": [], "B": []}

    async def send(chat: str) -> None:
        stamps[chat].append(await limiter.acquire(chat))

    monkeypatch.setattr(asyncio, "sleep", fake_sleep)
    await asyncio.gather(*(send(chat) for _ in range(3) for chat in ("A", "B")))
    for chat, times in stamps.items():
        assert len(times) == 3, chat
        assert all(later - earlier >= 1.0 for earlier, later in itertools.pairwise(times)), (chat, times)
    assert stamps["B"][0] < 0.5  # the second chat's first message did not wait for the first chat's


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


async def _queue_values(
    rt: Runtime, tenant_id: int, key: str, template: str, values: dict[str, Value], *, channel: str = "sms"
) -> int:
    async with rt.db.write() as conn:
        done = await conn.run_sync(
            lambda sync, **kw: enqueue(Scene.of(sync), **kw),
            now=rt.clock(),
            channel=channel,
            template=template,
            values=values,
            language="da",
            idempotency_key=key,
            tenant_id=tenant_id,
        )
    return done.outbox_id


async def _message_text(rt: Runtime, outbox_id: int) -> str | None:
    async with rt.db.read() as conn:
        query = (
            select(messages.c.text).join(outbox, outbox.c.message_id == messages.c.id).where(outbox.c.id == outbox_id)
        )
        return (await conn.execute(query)).scalar_one()  # type: ignore[no-any-return]


async def test_the_sender_gives_up_after_the_last_attempt(database_url: str, caplog: pytest.LogCaptureFixture) -> None:
    """A row given up says so: a warning naming it, and keephome_outbox_failed (a retry is no failure)."""
    settings = make_settings(database_url, max_attempts=3)
    async with started_runtime(settings, clock=Clock()) as rt:
        tenant_id = await add_tenant(rt.db)
        oid = await _queue(rt, tenant_id, "k1")
        _sms(rt).fail_next.extend(SendResult("transient", detail="503") for _ in range(10))
        for _ in range(6):
            await drain(rt.sender)
            rt.clock.offset += timedelta(hours=2)  # past any backoff
        row = await _row(rt, oid)
        assert (row.state, row.attempts) == ("failed", 3)  # type: ignore[attr-defined]
        assert len(_sms(rt).fail_next) == 10 - 3  # exactly three tries reached the provider
        assert _sms(rt).sent == []
        async with rt.db.read() as conn:
            assert (await conn.execute(select(messages.c.status))).scalar_one() == "failed"
        assert (
            rt.metrics.registry.get_sample_value(
                "keephome_outbox_failed_total", {"channel": "sms", "reason": "gave_up"}
            )
            == 1.0
        )
        warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING" and "failed for good" in r.message]
        assert len(warned) == 1 and f"outbox {oid} (sms)" in warned[0]


async def test_a_telegram_row_that_uses_up_its_attempts_goes_by_sms(database_url: str) -> None:
    """Telegram unreachable through every attempt (an outage): the tenant has a phone, so the message goes by SMS
    with attempts of its own, instead of failing."""
    settings = make_settings(database_url, max_attempts=2)
    async with started_runtime(settings, clock=Clock()) as rt:
        tenant_id = await add_tenant(rt.db, chat_id=4242)
        oid = await _queue(rt, tenant_id, "k1", channel="telegram")
        telegram = rt.channels["telegram"]
        assert isinstance(telegram, FailingSandbox)
        telegram.fail_next.extend(SendResult("transient", detail="timeout") for _ in range(5))
        _sms(rt).fail_next.append(SendResult("transient", detail="503"))  # the SMS gets its own retry
        for _ in range(5):
            await drain(rt.sender)
            rt.clock.offset += timedelta(hours=2)
        row = await _row(rt, oid)
        assert (row.state, row.channel, row.attempts) == ("sent", "sms", 2)  # type: ignore[attr-defined]
        assert len(telegram.fail_next) == 5 - 2 and len(_sms(rt).sent) == 1
        assert (
            rt.metrics.registry.get_sample_value(
                "keephome_outbox_failed_total", {"channel": "telegram", "reason": "gave_up"}
            )
            is None
        )


async def test_telegrams_retry_after_is_waited_out_exactly(sqlite_url: str) -> None:
    standin = TelegramStandIn()
    await standin.start()
    settings = make_settings(
        sqlite_url, telegram_token="123:ABC", telegram_api_url=standin.api_url, telegram_secret="s3cret"
    )
    clock = FrozenClock(datetime(2026, 3, 3, 10, 0, tzinfo=UTC))
    try:
        async with started_runtime(settings, clock=clock, telegram=TelegramChannel(settings)) as rt:
            tenant_id = await add_tenant(rt.db, chat_id=4242)
            oid = await _queue(rt, tenant_id, "k1", channel="telegram")
            standin.fail_next.append(7)  # flood control: retry after 7 s
            await drain(rt.sender)
            row = await _row(rt, oid)
            assert row.next_attempt_at == clock() + timedelta(seconds=7)  # type: ignore[attr-defined]
            clock.offset += timedelta(seconds=6.9)
            assert await drain(rt.sender) == 0
            clock.offset += timedelta(seconds=0.1)
            assert await drain(rt.sender) == 1
            assert len(standin.calls_to("sendMessage")) == 2
            assert (await _row(rt, oid)).state == "sent"  # type: ignore[attr-defined]
    finally:
        await standin.stop()


async def test_a_link_code_is_not_kept_once_sent(rt: Runtime) -> None:
    tenant_id = await add_tenant(rt.db)
    values: dict[str, Value] = {"code": "K7Q-29XM", "link": "https://t.me/keephome_bot?start=tok123"}
    oid = await _queue_values(rt, tenant_id, "k1", "link.code", values)
    await drain(rt.sender)
    [sent] = _sms(rt).sent
    assert "K7Q-29XM" in sent.text  # the tenant got the code ...
    row = await _row(rt, oid)
    assert row.state == "sent" and row.values == {}  # type: ignore[attr-defined]
    assert await _message_text(rt, oid) == "[link code sent]"  # ... and the database keeps no usable copy


async def test_a_link_code_is_kept_for_a_retry_and_forgotten_when_it_fails_for_good(rt: Runtime) -> None:
    tenant_id = await add_tenant(rt.db)
    oid = await _queue_values(rt, tenant_id, "k1", "link.code", {"code": "K7Q-29XM"})
    _sms(rt).fail_next.append(SendResult("transient", detail="503"))
    await drain(rt.sender)
    assert (await _row(rt, oid)).values == {"code": "K7Q-29XM"}  # type: ignore[attr-defined]
    _sms(rt).fail_next.append(SendResult("permanent", error_code="21211", detail="invalid number"))
    rt.clock.offset += timedelta(hours=2)
    await drain(rt.sender)
    row = await _row(rt, oid)
    assert row.state == "failed" and row.values == {}  # type: ignore[attr-defined]
    assert await _message_text(rt, oid) is None


async def test_other_templates_keep_their_values_and_text(rt: Runtime) -> None:
    tenant_id = await add_tenant(rt.db)
    oid = await _queue_values(rt, tenant_id, "k1", "payment_check.question", {"first_name": "Amira", "trigger": ""})
    await drain(rt.sender)
    assert (await _row(rt, oid)).values == {"first_name": "Amira", "trigger": ""}  # type: ignore[attr-defined]
    assert "Amira" in (await _message_text(rt, oid) or "")


async def _sent_templates(rt: Runtime) -> list[str]:
    async with rt.db.read() as conn:
        query = select(messages.c.template).where(messages.c.status == "sent").order_by(messages.c.id)
        return [str(t) for t in (await conn.execute(query)).scalars()]


async def test_nothing_proactive_follows_a_stop_sent_while_a_conversation_waits(database_url: str) -> None:
    tz = ZoneInfo("Europe/Copenhagen")
    start = datetime(2026, 3, 3, 11, 0, tzinfo=tz)  # two hours past the plan hour, the day after rent was due
    clock = FrozenClock(start.astimezone(UTC))
    async with started_runtime(make_settings(database_url), clock=clock) as rt:
        tenant_id = await add_tenant(rt.db, balance_ore=500_000, balance_as_of=start.date())
        jobs = job_services(rt)
        await plan_today(jobs)
        await drain(rt.sender)
        assert await _sent_templates(rt) == ["payment_check.question"]  # the conversation now waits
        clock.offset += timedelta(hours=24, minutes=1)
        assert await expire_job(jobs) == 1  # the nudge is queued ...
        async with rt.db.read() as conn:
            nudge = (await conn.execute(select(outbox.c.id).where(outbox.c.state == "pending"))).scalar_one()
        await rt.inbox.submit(InboundMessage(channel="sms", provider_id="SM1", sender="+4520123456", text="STOP"))
        await process_all(rt.processor)  # ... and the tenant opts out before it leaves
        await drain(rt.sender)
        for _ in range(3):  # later days: the timers and the morning plan find nothing to say
            clock.offset += timedelta(days=1)
            await expire_job(jobs)
            await plan_today(jobs)
            await drain(rt.sender)
        assert await _sent_templates(rt) == ["payment_check.question", "keyword.opted_out"]
        assert (await _row(rt, nudge)).state == "held"  # type: ignore[attr-defined]
        assert len(_sms(rt).sent) == 2
        async with rt.db.read() as conn:
            assert (await conn.execute(select(tenants.c.status).where(tenants.c.id == tenant_id))).scalar_one() == (
                "stopped"
            )


class _SlowNumbers(FailingSandbox):
    """An SMS sandbox that holds back every send to some numbers until the test lets them through."""

    def __init__(self, *slow: str) -> None:
        super().__init__("sms")
        self.slow = slow
        self.let_through = asyncio.Event()

    async def send(self, message: OutgoingMessage) -> SendResult:
        if message.address in self.slow:
            await self.let_through.wait()
        return await super().send(message)


async def test_slow_answers_do_not_hold_up_the_rest_of_the_campaign(sqlite_url: str) -> None:
    # One slow number in each of the two workers' first batches: neither may wait for it before its next batch.
    channel = _SlowNumbers("+4520000000", "+4520000010")
    async with started_runtime(make_settings(sqlite_url, outbox_batch=10), clock=Clock(), sms=channel) as rt:
        ids = []
        for i in range(30):
            tenant_id = await add_tenant(rt.db, f"T-{i}", phone=f"+4520{i:06d}")
            ids.append(await _queue(rt, tenant_id, f"k{i}"))
        await rt.sender.start()
        try:
            for _ in range(250):  # everyone but the slow numbers, in three batches of ten
                if len(channel.sent) == 28:
                    break
                await asyncio.sleep(0.02)
            assert len(channel.sent) == 28
            assert (await _row(rt, ids[0])).state == "pending"  # type: ignore[attr-defined]
            channel.let_through.set()
            for _ in range(250):
                if [(await _row(rt, oid)).state for oid in (ids[0], ids[10])] == ["sent", "sent"]:  # type: ignore[attr-defined]
                    break
                await asyncio.sleep(0.02)
        finally:
            await rt.sender.stop()
        assert [(await _row(rt, oid)).state for oid in ids] == ["sent"] * 30  # type: ignore[attr-defined]
        assert len(channel.sent) == 30


async def test_a_clock_that_jumps_past_the_lease_during_a_send_sends_nothing_twice(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The system clock moved ahead (a resumed virtual machine, an NTP step) while a send was under way: the row's
    lease looks over, and the sender's next claim takes it again. The send under way is left to finish and record
    it; the same process never sends it a second time, and says what happened."""
    channel = _SlowNumbers("+4520000000")
    async with started_runtime(make_settings(sqlite_url), clock=Clock(), sms=channel) as rt:
        oid = await _queue(rt, await add_tenant(rt.db, "T-0", phone="+4520000000"), "jump")
        first = asyncio.create_task(rt.sender.drain_once())
        for _ in range(250):
            if rt.sender._sending:  # the send is under way at the provider
                break
            await asyncio.sleep(0.01)
        rt.clock.offset += timedelta(seconds=rt.settings.lease_seconds + 1)
        with caplog.at_level("WARNING", logger="bot.outbox.sender"):
            assert await rt.sender.drain_once() == 0
        channel.let_through.set()
        assert await first == 1
        assert await drain(rt.sender) == 0
        assert len(channel.sent) == 1
        row = await _row(rt, oid)
        assert row.state == "sent"  # type: ignore[attr-defined]
        assert not row.maybe_sent  # type: ignore[attr-defined]  # sent once: the console must not say twice
        assert any("claimed again while its send" in r.getMessage() for r in caplog.records)


async def test_a_worker_woken_for_rows_another_just_claimed_does_not_claim_again(rt: Runtime) -> None:
    tenant_id = await add_tenant(rt.db)
    for n in range(3):
        await _queue(rt, tenant_id, f"woken-{n}")
    claims = 0

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        nonlocal claims
        claims += "FROM settings_flags" in statement  # each claim reads the pause switch once

    event.listen(Engine, "before_cursor_execute", count)
    try:
        # Both workers woken by the same enqueue: the one that waited for its turn finds the rows taken.
        handled = await asyncio.gather(rt.sender.drain_once(), rt.sender.drain_once())
        assert sorted(handled) == [0, 3] and claims == 1
        # A row enqueued afterwards is claimed by the next round, as ever.
        await _queue(rt, tenant_id, "woken-later")
        assert await rt.sender.drain_once() == 1 and claims == 2
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    assert len(_sms(rt).sent) == 4


async def test_a_claim_leases_only_the_kinds_that_have_a_row_due(rt: Runtime) -> None:
    tenant_id = await add_tenant(rt.db)
    for n in range(2):
        await _queue(rt, tenant_id, f"answer-{n}")
    leases: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.startswith("UPDATE outbox SET attempts"):
            leases.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        # Two answers by SMS and nothing else: one lease, not one per kind (answers and proactive, per channel).
        assert await rt.sender.drain_once() == 2
        assert len(leases) == 1
        assert await rt.sender.drain_once() == 0  # nothing due: no lease at all
        assert len(leases) == 1
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    assert len(_sms(rt).sent) == 2


def _lingering_sender(rt: Runtime, linger: float) -> Sender:
    """One worker, as the runtime's sender but for how long it waits after a small batch."""
    return Sender(
        rt.db,
        rt.channels,
        rt.renderer,
        rt.clock,
        rt.metrics,
        rates={"sms": RateLimiter(1000.0)},
        lease=timedelta(seconds=60),
        workers=1,
        linger=linger,
    )


async def _until_sent(rt: Runtime, count: int) -> None:
    for _ in range(250):
        if len(_sms(rt).sent) >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{len(_sms(rt).sent)} of {count} sent")


async def test_after_a_small_batch_a_worker_waits_before_it_claims_again(rt: Runtime) -> None:
    tenant_id = await add_tenant(rt.db)
    sender = _lingering_sender(rt, linger=30.0)
    await _queue(rt, tenant_id, "first")
    await sender.start(poll=0.05)
    try:
        await _until_sent(rt, 1)
        later = await _queue(rt, tenant_id, "later")
        sender.wake()
        await asyncio.sleep(0.5)  # ten polls: the worker lingers after its batch of one
        assert len(_sms(rt).sent) == 1
    finally:
        await asyncio.wait_for(sender.stop(), 5)  # the wait ends with the sender, the row stays for the next
    assert (await _row(rt, later)).state == "pending"  # type: ignore[attr-defined]


async def test_after_a_full_batch_a_worker_claims_again_at_once(rt: Runtime) -> None:
    tenant_id = await add_tenant(rt.db)
    sender = _lingering_sender(rt, linger=30.0)
    for n in range(LINGER_ROWS):
        await _queue(rt, tenant_id, f"full-{n}")
    await sender.start(poll=0.05)
    try:
        await _until_sent(rt, LINGER_ROWS)
        await _queue(rt, tenant_id, "next")
        sender.wake()
        await _until_sent(rt, LINGER_ROWS + 1)  # within 5 s: no wait of 30 after a batch as large as that
    finally:
        await sender.stop()


async def test_a_database_away_for_a_moment_at_the_record_sends_nothing_twice(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The connection is cut after the provider took the messages and before their outcomes are written: the
    sender keeps what it knows and writes it once the database answers, so no row is sent again at its lease's end."""
    from bot.outbox import sender as sender_module

    monkeypatch.setattr(sender_module, "RECORD_RETRY_SECONDS", 0.01)
    tenant_id = await add_tenant(rt.db)
    oids = [await _queue(rt, tenant_id, f"k{i}") for i in range(3)]
    real_run = rt.db.run
    cuts = 2

    async def cut(fn: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal cuts
        if fn is sender_module.record and cuts:
            cuts -= 1
            raise ConnectionResetError("the connection was cut")
        return await real_run(fn, *args, **kwargs)

    monkeypatch.setattr(rt.db, "run", cut)
    await drain(rt.sender)
    rt.clock.offset += timedelta(hours=1)  # long past every lease
    await drain(rt.sender)
    assert len(_sms(rt).sent) == 3  # each once
    assert [(await _row(rt, oid)).state for oid in oids] == ["sent"] * 3  # type: ignore[attr-defined]
    assert sum("trying again" in r.getMessage() for r in caplog.records) == 2


async def test_outcomes_the_database_took_too_late_are_recorded_when_claimed_again_never_sent_twice(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The provider took the messages, then the database stayed away until past the rows' lease (SQLite's lock
    held by another program, PostgreSQL down): the sender keeps what was sent, and when the rows come round again it
    writes that they went instead of sending them a second time; the tenant gets each once, and no copy is left to
    count as "may have it twice"."""
    from bot.outbox import sender as sender_module

    monkeypatch.setattr(sender_module, "RECORD_RETRY_SECONDS", 0.01)
    tenant_id = await add_tenant(rt.db)
    oids = [await _queue(rt, tenant_id, f"k{i}") for i in range(3)]
    real_run = rt.db.run
    away = 1

    async def locked(fn: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal away
        if fn is sender_module.record and away:
            away -= 1
            rt.clock.offset += timedelta(seconds=rt.settings.lease_seconds)  # away until the lease ends
            raise ConnectionResetError("the database is away")
        return await real_run(fn, *args, **kwargs)

    monkeypatch.setattr(rt.db, "run", locked)
    await drain(rt.sender)
    assert len(_sms(rt).sent) == 3
    rt.clock.offset += timedelta(hours=1)  # long past every lease: the rows are claimed again
    await drain(rt.sender)
    assert len(_sms(rt).sent) == 3  # each once
    rows = [await _row(rt, oid) for oid in oids]
    assert [(r.state, r.maybe_sent) for r in rows] == [("sent", False)] * 3  # type: ignore[attr-defined]
    async with rt.db.read() as conn:
        statuses = (await conn.execute(select(messages.c.status).where(messages.c.direction == "out"))).scalars()
        assert sorted(statuses) == ["sent"] * 3
    assert sum("are kept and recorded when the database answers again" in r.getMessage() for r in caplog.records) == 1
