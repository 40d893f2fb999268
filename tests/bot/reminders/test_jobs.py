"""The scheduler runs inside the event loop and plans a day that was missed while the service was down."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.reminders.jobs import LAST_PLAN_DAY, catch_up, start_scheduler
from bot.runtime import Clock, Runtime
from bot.settings import Settings
from bot.store.db import utcnow
from bot.store.schema import outbox, planned_reminders, settings_flags
from tests.conftest import start_runtime
from tests.support.helpers import add_tenant

TZ = ZoneInfo("Europe/Copenhagen")
DAY = date(2026, 3, 3)


def clock_at(local: datetime) -> Clock:
    return Clock(local.astimezone(UTC) - utcnow())


@pytest.fixture
async def late_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """A runtime whose clock reads 3 March 2026 11:00, two hours after the daily plan hour."""
    rt = await start_runtime(settings, clock=clock_at(datetime(2026, 3, 3, 11, 0, tzinfo=TZ)))
    await add_tenant(rt.db, "T-1", name="Test Lejer", balance_ore=500_000, balance_as_of=DAY)
    yield rt
    await rt.stop()


async def _planned(rt: Runtime) -> int:
    async with rt.db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(planned_reminders))).scalar_one())


async def test_the_scheduler_starts_in_the_loop_and_catches_up_a_missed_day(late_runtime: Runtime) -> None:
    rt = late_runtime
    scheduler = start_scheduler(rt)
    assert scheduler.running
    assert {job.id for job in scheduler.get_jobs()} >= {"plan_reminders", "expire_waiting", "purge_retention"}
    plan_job = scheduler.get_job("plan_reminders")
    assert plan_job is not None and plan_job.next_run_time.hour == rt.settings.plan_hour
    for _ in range(100):  # the catch-up job runs right after start, in this loop
        if await _planned(rt):
            break
        await asyncio.sleep(0.05)
    assert await _planned(rt) == 1
    async with rt.db.read() as conn:
        flag = (
            await conn.execute(select(settings_flags.c.value).where(settings_flags.c.name == LAST_PLAN_DAY))
        ).scalar()
    assert flag == "2026-03-03"
    await rt.stop()  # runs the scheduler's shutdown, registered by start_scheduler
    assert not scheduler.running


async def test_catch_up_runs_once_a_day(late_runtime: Runtime) -> None:
    assert await catch_up(late_runtime) is True
    assert await catch_up(late_runtime) is False
    assert await _planned(late_runtime) == 1


async def test_no_catch_up_before_the_plan_hour(settings: Settings) -> None:
    rt = await start_runtime(settings, clock=clock_at(datetime(2026, 3, 3, 7, 0, tzinfo=TZ)))
    try:
        await add_tenant(rt.db, "T-1", name="Test Lejer", balance_ore=500_000, balance_as_of=DAY)
        assert await catch_up(rt) is False
        assert await _planned(rt) == 0
    finally:
        await rt.stop()


async def _background_runtime(settings: Settings, **overrides: object) -> Runtime:
    """A runtime as `run` starts it (background tasks on), its clock two hours past the plan hour."""
    from bot.channels.sandbox import SandboxChannel
    from bot.runtime import build_runtime
    from bot.store.migrate import upgrade

    rt = build_runtime(
        settings.model_copy(update=overrides),
        channels={"sms": SandboxChannel("sms"), "telegram": SandboxChannel("telegram")},
        clock=clock_at(datetime(2026, 3, 3, 11, 0, tzinfo=TZ)),
    )
    await upgrade(rt.db)
    await rt.start()
    return rt


async def test_only_a_process_told_to_run_the_scheduler_plans(settings: Settings) -> None:
    quiet = await _background_runtime(settings, run_scheduler=False)
    try:
        await add_tenant(quiet.db, "T-1", name="Test Lejer", balance_ore=500_000, balance_as_of=DAY)
        await asyncio.sleep(0.5)
        assert await _planned(quiet) == 0
    finally:
        await quiet.stop()
    planner = await _background_runtime(settings, run_scheduler=True)
    try:
        for _ in range(100):
            if await _planned(planner):
                break
            await asyncio.sleep(0.05)
        assert await _planned(planner) == 1
    finally:
        await planner.stop()


async def test_two_processes_catching_up_at_once_plan_once(database_url: str) -> None:
    from tests.conftest import make_settings

    settings = make_settings(database_url)
    first = await start_runtime(settings, clock=clock_at(datetime(2026, 3, 3, 11, 0, tzinfo=TZ)))
    second = await start_runtime(settings, clock=clock_at(datetime(2026, 3, 3, 11, 0, tzinfo=TZ)))
    try:
        for i in range(20):
            await add_tenant(first.db, f"T-{i}", phone=f"+45201234{i:02d}", balance_ore=500_000, balance_as_of=DAY)
        assert await asyncio.gather(catch_up(first), catch_up(second)) == [True, True]
        assert await _planned(first) == 20
        async with first.db.read() as conn:
            queued = (await conn.execute(select(func.count()).select_from(outbox))).scalar_one()
        assert queued == 20
    finally:
        await first.stop()
        await second.stop()
