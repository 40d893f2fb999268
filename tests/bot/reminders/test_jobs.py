"""The scheduler runs inside the event loop and plans a day that was missed while the service was down."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.reminders import jobs as jobs_module
from bot.reminders.jobs import catch_up, start_scheduler, stop_scheduler
from bot.runtime import Clock, Runtime
from bot.settings import Settings
from bot.starter import job_services
from bot.store.db import utcnow
from bot.store.flags import LAST_PLAN_DAY
from bot.store.schema import outbox, planned_reminders, settings_flags
from tests.conftest import make_settings, started_runtime
from tests.support.helpers import add_tenant

TZ = ZoneInfo("Europe/Copenhagen")
DAY = date(2026, 3, 3)


def clock_at(local: datetime) -> Clock:
    return Clock(local.astimezone(UTC) - utcnow())


@pytest.fixture
async def late_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """A runtime whose clock reads 3 March 2026 11:00, two hours after the daily plan hour."""
    async with started_runtime(settings, clock=clock_at(datetime(2026, 3, 3, 11, 0, tzinfo=TZ))) as rt:
        await add_tenant(rt.db, "T-1", name="Test Lejer", balance_ore=500_000, balance_as_of=DAY)
        yield rt


async def _planned(rt: Runtime) -> int:
    async with rt.db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(planned_reminders))).scalar_one())


async def test_the_scheduler_starts_in_the_loop_and_catches_up_a_missed_day(late_runtime: Runtime) -> None:
    rt = late_runtime
    scheduler = start_scheduler(job_services(rt))
    assert scheduler.running
    assert {job.id for job in scheduler.get_jobs()} >= {"plan_reminders", "expire_waiting", "purge_retention"}
    plan_job = scheduler.get_job("plan_reminders")
    assert plan_job is not None and plan_job.next_run_time.hour == rt.settings.plan_hour

    async def planned_day() -> str | None:
        async with rt.db.read() as conn:
            stmt = select(settings_flags.c.value).where(settings_flags.c.name == LAST_PLAN_DAY)
            return (await conn.execute(stmt)).scalar()

    # The catch-up job runs right after start, in this loop; the day is recorded once its reminders are.
    for _ in range(200):
        if await planned_day():
            break
        await asyncio.sleep(0.05)
    assert await planned_day() == "2026-03-03"
    assert await _planned(rt) == 1
    await stop_scheduler(scheduler)
    assert not scheduler.running


async def test_a_plan_that_failed_is_made_the_same_day(late_runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """The day's plan fails once (a database locked a moment): the scheduler's catch-up, which looks again every
    CATCH_UP_MINUTES, plans the day at its next look instead of leaving it to tomorrow."""
    jobs = job_services(late_runtime)
    real = jobs_module.plan_reminders
    calls = 0

    async def fails_once(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise OSError("database is locked")
        return await real(*args, **kwargs)

    monkeypatch.setattr(jobs_module, "plan_reminders", fails_once)
    with pytest.raises(OSError):
        await jobs_module.plan_today(jobs)
    assert await _planned(late_runtime) == 0
    scheduler = start_scheduler(jobs)
    try:
        job = scheduler.get_job("catch_up")
        assert job is not None and job.trigger.interval == timedelta(minutes=jobs_module.CATCH_UP_MINUTES)
        for _ in range(200):  # its first look is right after start
            if await _planned(late_runtime):
                break
            await asyncio.sleep(0.05)
        assert await _planned(late_runtime) == 1
    finally:
        await stop_scheduler(scheduler)


async def test_catch_up_runs_once_a_day(late_runtime: Runtime) -> None:
    jobs = job_services(late_runtime)
    assert await catch_up(jobs) is True
    assert await catch_up(jobs) is False
    assert await _planned(late_runtime) == 1


async def test_no_catch_up_before_the_plan_hour(settings: Settings) -> None:
    async with started_runtime(settings, clock=clock_at(datetime(2026, 3, 3, 7, 0, tzinfo=TZ))) as rt:
        await add_tenant(rt.db, "T-1", name="Test Lejer", balance_ore=500_000, balance_as_of=DAY)
        assert await catch_up(job_services(rt)) is False
        assert await _planned(rt) == 0


def _background(settings: Settings, **overrides: object) -> AbstractAsyncContextManager[Runtime]:
    """A runtime as `run` starts it (background tasks on), its clock two hours past the plan hour."""
    clock = clock_at(datetime(2026, 3, 3, 11, 0, tzinfo=TZ))
    return started_runtime(settings.model_copy(update=overrides), clock=clock, background=True)


async def test_only_a_process_told_to_run_the_scheduler_plans(settings: Settings) -> None:
    async with _background(settings, run_scheduler=False) as quiet:
        await add_tenant(quiet.db, "T-1", name="Test Lejer", balance_ore=500_000, balance_as_of=DAY)
        await asyncio.sleep(0.5)
        assert await _planned(quiet) == 0
    async with _background(settings, run_scheduler=True) as planner:
        for _ in range(100):
            if await _planned(planner):
                break
            await asyncio.sleep(0.05)
        assert await _planned(planner) == 1


async def test_two_processes_catching_up_at_once_plan_once(database_url: str) -> None:
    settings = make_settings(database_url)
    clock = clock_at(datetime(2026, 3, 3, 11, 0, tzinfo=TZ))
    async with started_runtime(settings, clock=clock) as first, started_runtime(settings, clock=clock) as second:
        for i in range(20):
            await add_tenant(first.db, f"T-{i}", phone=f"+45201234{i:02d}", balance_ore=500_000, balance_as_of=DAY)
        both = await asyncio.gather(catch_up(job_services(first)), catch_up(job_services(second)))
        # Each saw today not planned, or the second came once the first had planned it (a busy machine): either way
        # one of them planned, and the plan holds each tenant once.
        assert True in both
        assert await _planned(first) == 20
        async with first.db.read() as conn:
            queued = (await conn.execute(select(func.count()).select_from(outbox))).scalar_one()
        assert queued == 20


async def test_a_job_under_way_when_the_scheduler_stops_ends_quietly(
    late_runtime: Runtime, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A stop (the process ends, or loses the scheduler role) cancels the job under way: one line says so, not
    APScheduler's "raised an exception" with the traceback of wherever the cancellation found it."""
    path = sqlite_url.removeprefix("sqlite+aiosqlite:///")
    locker = sqlite3.connect(path, isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")  # another writer holds the database: today's plan waits in its write
    caplog.set_level(logging.INFO)
    scheduler = start_scheduler(job_services(late_runtime))
    try:
        for _ in range(200):  # the catch-up runs right after start, and finds today not planned
            if any("not planned yet" in r.getMessage() for r in caplog.records):
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)
        await stop_scheduler(scheduler)
        await asyncio.sleep(0.1)  # the cancelled job's task ends
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    said = [(r.levelname, r.name, r.getMessage()) for r in caplog.records]
    assert (
        "INFO",
        "bot.reminders.jobs",
        "catch_up was under way when the scheduler stopped; its next run does its work",
    ) in said
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info], said
