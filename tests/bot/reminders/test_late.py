"""Nothing lost for want of a channel, and nothing sent past its moment: a reminder that cannot go out waits,
queued; when it can go, or when it was planned for a later day than its own, the policy looks at it again."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import func, select

from bot.app import create_app
from bot.channels.base import Channel
from bot.cli.remind import write_table
from bot.reminders.jobs import plan_today
from bot.reminders.plan import plan_reminders
from bot.reminders.reads import load_snapshots
from bot.runtime import Clock, Runtime, build_runtime
from bot.starter import job_services, running
from bot.store.db import utcnow
from bot.store.flags import PAUSED, write_flag
from bot.store.schema import conversations, messages, outbox
from tests.conftest import make_settings, started_runtime
from tests.support.drive import FailingSandbox, drain
from tests.support.helpers import add_tenant, queue_question
from tests.support.schema import migrated

TZ = ZoneInfo("Europe/Copenhagen")
PHONE = "+4520000001"


def _at(local: datetime) -> Clock:
    return Clock(local.astimezone(UTC) - utcnow())


@asynccontextmanager
async def _process(url: str, local: datetime, channels: Mapping[str, Channel]) -> AsyncIterator[Runtime]:
    """`keephome run` as started with these channels (none: nothing configured), its clock at `local`."""
    rt = build_runtime(make_settings(url), channels=dict(channels), clock=_at(local))
    await migrated(rt.db)
    async with running(rt, background=False):
        yield rt


def _move(rt: Runtime, local: datetime) -> None:
    rt.clock.offset = local.astimezone(UTC) - utcnow()


async def _outbox(rt: Runtime) -> list[tuple[str, str | None, int]]:
    async with rt.db.read() as conn:
        rows = await conn.execute(select(outbox.c.state, outbox.c.last_error, outbox.c.attempts).order_by(outbox.c.id))
        return [tuple(r) for r in rows]  # type: ignore[misc]


async def _messages(rt: Runtime) -> list[str]:
    async with rt.db.read() as conn:
        found = await conn.execute(
            select(messages.c.status).where(messages.c.direction == "out").order_by(messages.c.id)
        )
        return list(found.scalars())


async def _count(rt: Runtime, table: Any, *where: Any) -> int:
    async with rt.db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(table).where(*where))).scalar_one())


def _sms(rt: Runtime) -> FailingSandbox:
    channel = rt.channels["sms"]
    assert isinstance(channel, FailingSandbox)
    return channel


# Tuesday 3 March 2026: rent due Sunday 1 March was last on time Monday 2 March, so it is missed today.
MISSED_DAY = datetime(2026, 3, 3, 10, 0, tzinfo=TZ)


async def test_without_a_channel_a_reminder_waits_and_goes_once_one_is_configured(database_url: str) -> None:
    async with _process(database_url, MISSED_DAY, {}) as rt:
        await add_tenant(rt.db, "T-1", name="Test Lejer", phone=PHONE, balance_ore=710_000, balance_as_of=MISSED_DAY)
        outcome = await plan_reminders(rt.db, rt.settings, rt.clock(), channels=rt.channels)
        assert [(r.trigger, r.sends_on) for r in outcome.rows] == [("missed", "none")]
        await drain(rt.sender)
        # Queued as waiting for a channel: neither claimed nor failed, and the message says so.
        assert await _outbox(rt) == [("waiting", "no channel", 0)]
        assert await _messages(rt) == ["waiting"]
        gauge = rt.metrics.registry.get_sample_value("keephome_outbox_waiting", {"reason": "no_channel"})
        assert gauge == 1.0
        # The conversation whose question never went out holds no reminders.
        async with rt.db.read() as conn:
            [snapshot] = await conn.run_sync(load_snapshots, None, ZoneInfo("Europe/Copenhagen"))
        assert snapshot.waiting_conversation is False
        dry = await plan_reminders(rt.db, rt.settings, rt.clock(), dry_run=True)
        assert [(a.tenant_ref, a.trigger, a.state, a.reason) for a in dry.set_aside] == [
            ("T-1", "missed", "waiting", "no channel")
        ]
        transport = httpx.ASGITransport(app=create_app(rt))
        async with httpx.AsyncClient(transport=transport, base_url="https://keephome.example.org") as client:
            health = (await client.get("/healthz")).json()
        assert health["channels"] == "none"
    # Twilio is configured and the service restarts later that day: the reminder still holds, so it goes.
    async with _process(database_url, MISSED_DAY.replace(hour=14), {"sms": FailingSandbox("sms")}) as rt:
        await drain(rt.sender)
        assert [m.address for m in _sms(rt).sent] == [PHONE]
        assert await _outbox(rt) == [("sent", None, 1)]
        assert await _messages(rt) == ["sent"]
        gauge = rt.metrics.registry.get_sample_value("keephome_outbox_waiting", {"reason": "no_channel"})
        assert gauge == 0.0


async def test_a_reminder_waits_when_no_configured_channel_reaches_its_tenant(database_url: str) -> None:
    telegram = FailingSandbox("telegram")
    async with _process(database_url, MISSED_DAY, {"telegram": telegram}) as rt:  # Telegram only, no Twilio
        await add_tenant(rt.db, "T-sms", name="Test Lejer", phone=PHONE, balance_ore=1, balance_as_of=MISSED_DAY)
        await add_tenant(
            rt.db, "T-tg", name="Tg Lejer", phone=None, chat_id=77, balance_ore=1, balance_as_of=MISSED_DAY
        )
        outcome = await plan_reminders(rt.db, rt.settings, rt.clock(), channels=rt.channels)
        assert sorted((r.tenant_ref, r.sends_on) for r in outcome.rows) == [("T-sms", "none"), ("T-tg", "telegram")]
        await drain(rt.sender)
        assert [m.address for m in telegram.sent] == ["77"]
        assert sorted(await _outbox(rt)) == [("sent", None, 1), ("waiting", "no channel", 0)]


# A påkrav received Wednesday 4 March 2026: its deadline is Wednesday 18 March; reminders 7, 3 and 1 days before.
DEMAND = {"balance_ore": 710_000, "demand_sent_on": date(2026, 3, 4)}


async def _deadline_tenant(rt: Runtime, as_of: date) -> int:
    return await add_tenant(rt.db, "T-1", name="Test Lejer", phone=PHONE, balance_as_of=as_of, **DEMAND)


async def test_the_last_reminder_planned_on_a_sunday_goes_on_the_monday_deadline_morning(database_url: str) -> None:
    # A påkrav by Digital Post on Monday 9 March 2026: the deadline is Monday 23 March. The last reminder is due
    # the day before, Sunday 22, when nothing is sent: it goes on Monday morning, still within the deadline.
    sunday = datetime(2026, 3, 22, 10, 0, tzinfo=TZ)
    async with _process(database_url, sunday, {"sms": FailingSandbox("sms")}) as rt:
        position = {"balance_ore": 710_000, "demand_sent_on": date(2026, 3, 9)}
        await add_tenant(rt.db, "T-1", name="Test Lejer", phone=PHONE, balance_as_of=date(2026, 3, 22), **position)
        planned = await plan_reminders(rt.db, rt.settings, rt.clock(), channels=rt.channels)
        assert [(r.trigger, r.computed_from["offset"]) for r in planned.rows] == [("demand", "1")]
        _move(rt, datetime(2026, 3, 23, 9, 5, tzinfo=TZ))
        await drain(rt.sender)
        assert [m.address for m in _sms(rt).sent] == [PHONE]
        assert await _outbox(rt) == [("sent", None, 1)]


async def test_the_last_reminder_before_a_monday_24_december_deadline_goes_on_the_saturday(database_url: str) -> None:
    # A påkrav by Digital Post on Monday 10 December 2029: the deadline is Monday 24 December, after a Sunday; 24,
    # 25 and 26 December are quiet too. Planned on Sunday 23 the last reminder could go only on the 27th, past the
    # deadline: it is planned and sent on Saturday 22 instead, with two days left.
    saturday = datetime(2029, 12, 22, 10, 0, tzinfo=TZ)
    async with _process(database_url, saturday, {"sms": FailingSandbox("sms")}) as rt:
        position = {"balance_ore": 710_000, "demand_sent_on": date(2029, 12, 10)}
        await add_tenant(rt.db, "T-1", name="Test Lejer", phone=PHONE, balance_as_of=date(2029, 12, 22), **position)
        planned = await plan_reminders(rt.db, rt.settings, rt.clock(), channels=rt.channels)
        assert [(r.trigger, r.computed_from["offset"], r.computed_from["days_left"]) for r in planned.rows] == [
            ("demand", "1", "2")
        ]
        await drain(rt.sender)
        assert [m.address for m in _sms(rt).sent] == [PHONE]
        assert await _outbox(rt) == [("sent", None, 1)]


async def test_a_reminder_planned_at_nine_in_the_evening_is_dropped_when_its_stage_has_passed(
    database_url: str,
) -> None:
    evening = datetime(2026, 3, 17, 21, 0, tzinfo=TZ)  # one day before the deadline, in quiet hours
    async with _process(database_url, evening, {"sms": FailingSandbox("sms")}) as rt:
        await _deadline_tenant(rt, date(2026, 3, 17))
        planned = await plan_reminders(rt.db, rt.settings, rt.clock(), channels=rt.channels)
        assert [(r.trigger, r.sends_on) for r in planned.rows] == [("demand", "sms")]
        # The sender first looks the day after the deadline (it was paused, say): its stage has passed.
        _move(rt, datetime(2026, 3, 19, 9, 5, tzinfo=TZ))
        await drain(rt.sender)
        assert _sms(rt).sent == []
        assert await _outbox(rt) == [("dropped", "stage passed", 0)]
        assert await _messages(rt) == ["dropped"]
        # /metrics says what was not sent, and why, of what was due over the last week; after that it is no longer
        # counted.
        dropped = {"state": "dropped", "reason": "stage_passed"}
        assert rt.metrics.registry.get_sample_value("keephome_outbox_not_sent", dropped) == 1.0
        _move(rt, datetime(2026, 3, 24, 9, 5, tzinfo=TZ))
        await drain(rt.sender)
        assert rt.metrics.registry.get_sample_value("keephome_outbox_not_sent", dropped) == 1.0
        _move(rt, datetime(2026, 3, 26, 9, 5, tzinfo=TZ))
        await drain(rt.sender)
        assert rt.metrics.registry.get_sample_value("keephome_outbox_not_sent", dropped) == 0.0
        _move(rt, datetime(2026, 3, 19, 9, 5, tzinfo=TZ))  # back to the morning it was dropped
        # Nothing is left waiting for an answer to it.
        assert await _count(rt, conversations, conversations.c.active.is_(True)) == 0
        assert await _count(rt, conversations, conversations.c.ended_reason == "stage passed") == 1
        dry = await plan_reminders(rt.db, rt.settings, rt.clock(), dry_run=True)
        out = io.StringIO()
        write_table(dry, TZ, out)
    assert [(a.tenant_ref, a.trigger, a.state, a.reason) for a in dry.set_aside] == [
        ("T-1", "demand", "dropped", "stage passed")
    ]
    assert "stage passed" in out.getvalue()


async def test_a_late_reminder_still_goes_while_its_stage_lasts(database_url: str) -> None:
    sunday = datetime(2026, 3, 15, 21, 0, tzinfo=TZ)  # three days before the deadline, planned late
    async with _process(database_url, sunday, {"sms": FailingSandbox("sms")}) as rt:
        await _deadline_tenant(rt, date(2026, 3, 15))
        await plan_reminders(rt.db, rt.settings, rt.clock())
        _move(rt, datetime(2026, 3, 16, 9, 5, tzinfo=TZ))  # two days left, and the last reminder not due yet
        await drain(rt.sender)
        assert [m.address for m in _sms(rt).sent] == [PHONE]
        assert await _outbox(rt) == [("sent", None, 1)]


# Tuesday 3 March: the rent due 1 March is missed. A påkrav for February's rent was received 25 February, so its
# deadline is Wednesday 11 March, and the reminder seven days before it is due on Wednesday 4 March.
LATE_NIGHT = datetime(2026, 3, 3, 21, 0, tzinfo=TZ)
NEXT_MORNING = datetime(2026, 3, 4, 9, 5, tzinfo=TZ)


async def _missed_then_demand(rt: Runtime) -> None:
    await add_tenant(
        rt.db,
        "T-1",
        name="Test Lejer",
        phone=PHONE,
        balance_ore=710_000,
        balance_as_of=date(2026, 3, 4),
        demand_sent_on=date(2026, 2, 25),
    )
    planned = await plan_reminders(rt.db, rt.settings, rt.clock())
    assert [r.trigger for r in planned.rows] == ["missed"]  # goes tomorrow at nine


async def _sent_stages(rt: Runtime) -> list[str | None]:
    async with rt.db.read() as conn:
        found = await conn.execute(
            select(conversations.c.trigger)
            .join(messages, messages.c.conversation_id == conversations.c.id)
            .where(messages.c.status == "sent")
            .order_by(messages.c.id)
        )
        return list(found.scalars())


async def test_the_next_plan_takes_the_current_stage_when_the_sender_looks_first(database_url: str) -> None:
    async with _process(database_url, LATE_NIGHT, {"sms": FailingSandbox("sms")}) as rt:
        await _missed_then_demand(rt)
        _move(rt, NEXT_MORNING)
        await drain(rt.sender)  # the missed reminder would go now, but the påkrav's stage has begun
        assert await _outbox(rt) == [("dropped", "stage passed", 0)]
        await plan_today(job_services(rt))
        await drain(rt.sender)
        assert await _sent_stages(rt) == ["demand"]
        assert len(_sms(rt).sent) == 1


async def test_the_next_plan_takes_the_current_stage_when_it_runs_first(database_url: str) -> None:
    async with _process(database_url, LATE_NIGHT, {"sms": FailingSandbox("sms")}) as rt:
        await _missed_then_demand(rt)
        _move(rt, NEXT_MORNING)
        await plan_today(job_services(rt))  # the morning plan finds the question that never went out, and replaces it
        await drain(rt.sender)
        assert await _outbox(rt) == [("dropped", "superseded", 0), ("sent", None, 1)]
        assert await _sent_stages(rt) == ["demand"]
        assert len(_sms(rt).sent) == 1


async def _paused(rt: Runtime, on: bool) -> None:
    async with rt.db.write() as conn:
        await conn.run_sync(write_flag, PAUSED, "1" if on else "0", rt.clock())


async def _proactive(rt: Runtime, tenant_id: int, key: str) -> None:
    await queue_question(rt.db, rt.clock(), tenant_id, key)


async def _next_attempts(rt: Runtime) -> list[datetime]:
    async with rt.db.read() as conn:
        found = await conn.execute(select(outbox.c.next_attempt_at).order_by(outbox.c.id))
        return [when.replace(tzinfo=UTC) if when.tzinfo is None else when for when in found.scalars()]


async def test_after_a_pause_a_tenant_still_gets_one_proactive_message_that_day(database_url: str) -> None:
    async with started_runtime(make_settings(database_url), clock=_at(MISSED_DAY)) as rt:
        tenant = await add_tenant(rt.db, "T-1", name="Test Lejer", phone=PHONE)
        await _paused(rt, True)
        await _proactive(rt, tenant, "test:first")
        await _proactive(rt, tenant, "test:second")
        await drain(rt.sender)
        assert await _outbox(rt) == [("waiting", "paused", 0)] * 2
        await _paused(rt, False)
        await drain(rt.sender)
        assert [m.address for m in _sms(rt).sent] == [PHONE]
        assert await _outbox(rt) == [("sent", None, 1), ("dropped", "one a day", 0)]
        assert await _messages(rt) == ["sent", "dropped"]


async def test_a_pause_that_ends_in_quiet_hours_sends_in_the_morning(database_url: str) -> None:
    async with started_runtime(make_settings(database_url), clock=_at(MISSED_DAY.replace(hour=19, minute=55))) as rt:
        tenant = await add_tenant(rt.db, "T-1", name="Test Lejer", phone=PHONE)
        await _paused(rt, True)
        await _proactive(rt, tenant, "test:1")
        await drain(rt.sender)
        assert await _outbox(rt) == [("waiting", "paused", 0)]
        _move(rt, MISSED_DAY.replace(hour=20, minute=30))
        await _paused(rt, False)
        await drain(rt.sender)
        assert _sms(rt).sent == []
        assert await _outbox(rt) == [("pending", "quiet hours", 0)]  # no longer "paused": the pause is over
        morning = datetime(2026, 3, 4, 9, 0, tzinfo=TZ)
        assert await _next_attempts(rt) == [morning.astimezone(UTC)]
        _move(rt, morning.replace(minute=5))
        await drain(rt.sender)
        assert [m.address for m in _sms(rt).sent] == [PHONE]
        assert await _outbox(rt) == [("sent", None, 1)]


async def test_rows_put_back_in_the_queue_after_a_pause_no_longer_say_paused(database_url: str) -> None:
    settings = make_settings(database_url, twilio_rate=0.5)  # one SMS every two seconds: a claim takes one row
    async with started_runtime(settings, clock=_at(MISSED_DAY)) as rt:
        await _paused(rt, True)
        for n in (1, 2):
            await _proactive(rt, await add_tenant(rt.db, f"T-{n}", phone=f"+452000000{n}"), f"test:{n}")
        await drain(rt.sender)
        assert await _outbox(rt) == [("waiting", "paused", 0)] * 2
        await _paused(rt, False)
        await rt.sender.drain_once()  # both are back in the queue; the rate lets one go now
        assert await _outbox(rt) == [("sent", None, 1), ("pending", None, 0)]
        assert await _messages(rt) == ["sent", "queued"]
