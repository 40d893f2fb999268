"""The periodic jobs: plan today's reminders, catch up on a missed day, expire waiting conversations, offer outreach
on cases whose tenant has gone quiet, purge.

The jobs are static and in memory; everything durable (what was planned, when) lives in the tables, so
a restart or a second process never repeats work. They are a role one process holds at a time
(`SchedulerRole`): the starter hands it to the election, which starts the jobs where the role is held and
stops them when it is lost; the process that takes the role over catches up on a plan the holder missed.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.host.outreach import offer_outreach
from bot.metrics import Metrics
from bot.reminders.plan import PlanOutcome, plan_reminders
from bot.reminders.plan_state import last_plan, record_plan, report_plan
from bot.reminders.timers import expire_waiting
from bot.settings import Settings
from bot.store.db import Database
from bot.store.retention import purge

__all__ = [
    "JobServices",
    "SchedulerRole",
    "catch_up",
    "expire_job",
    "outreach_job",
    "plan_today",
    "purge_job",
    "start_scheduler",
    "stop_scheduler",
]

log = logging.getLogger(__name__)

# A daily run that starts late (a busy loop, a slow start) still runs within this many seconds.
PLAN_GRACE_SECONDS = 6 * 3600
# How often the scheduler looks whether today was planned (`catch_up`).
CATCH_UP_MINUTES = 15


@dataclass(frozen=True, slots=True)
class JobServices:
    """What the jobs work with: the database, the settings, the clock, the sender's wake-up call and the metrics the
    plan reports to (none for a plan made by hand)."""

    db: Database
    settings: Settings
    clock: Callable[[], datetime]
    wake_sender: Callable[[], None]
    metrics: Metrics | None = None


async def plan_today(jobs: JobServices) -> PlanOutcome:
    """Plan today's reminders now, record the day as done (with the tenants left out for stale balance data) and
    wake the sender; a plan that fails is counted (`keephome_plan_failed_total`) and raised."""
    now = jobs.clock()
    try:
        outcome = await plan_reminders(jobs.db, jobs.settings, now)
        async with jobs.db.write() as conn:
            record = await conn.run_sync(record_plan, outcome.day, outcome.summary.stale, now)
    except Exception:
        if jobs.metrics is not None:
            jobs.metrics.plan_failed.inc()
        raise
    if jobs.metrics is not None:  # what was just recorded: no read back
        report_plan(jobs.metrics, record)
    jobs.wake_sender()
    return outcome


async def catch_up(jobs: JobServices) -> bool:
    """Plan today if it is past the plan hour and today's run has not happened (e.g. after downtime); either way
    the last plan is shown on /metrics (so a process that took the scheduler role over reports it too)."""
    local = jobs.clock().astimezone(ZoneInfo(jobs.settings.timezone))
    async with jobs.db.read() as conn:
        last = await conn.run_sync(last_plan)
    if jobs.metrics is not None:
        report_plan(jobs.metrics, last)
    if local.hour < jobs.settings.plan_hour:
        return False
    if last is not None and last.day == local.date():
        return False
    log.info("today's reminders were not planned yet: planning now")
    await plan_today(jobs)
    return True


async def expire_job(jobs: JobServices) -> int:
    """Nudge or end the conversations whose wait ran out."""
    handled = await expire_waiting(jobs.db, jobs.clock(), jobs.settings)
    if handled:
        jobs.wake_sender()
    return handled


async def outreach_job(jobs: JobServices) -> int:
    """Offer a phone call on each open case whose tenant has not written for KEEPHOME_NO_ANSWER_DAYS or whose last
    message failed (`bot.host.outreach.offer_outreach`: idempotent, recorded in case_tasks)."""
    offered = await jobs.db.run(offer_outreach, jobs.clock(), jobs.settings.no_answer_days)
    if offered:
        log.info("outreach: %d case(s) offer a phone call", offered)
    return offered


async def purge_job(jobs: JobServices) -> dict[str, int]:
    """Delete what has outlived KEEPHOME_RETENTION_DAYS; blank texts past the message and case retention."""
    settings = jobs.settings
    removed = await purge(
        jobs.db,
        jobs.clock(),
        settings.retention_days,
        message_days=settings.retention_message_days,
        case_days=settings.retention_case_days,
    )
    log.info("retention purge: %s", removed)
    return removed


def _ends_quietly_when_stopped(
    job: Callable[[JobServices], Awaitable[object]],
) -> Callable[[JobServices], Awaitable[object]]:
    """The job as the scheduler runs it: cancelled because the scheduler stops (`stop_scheduler`: the process stops,
    or loses the scheduler role), it ends with one line instead of APScheduler's "raised an exception" and the
    traceback of wherever the cancellation found it. Its work is idempotent: the next run, here or in the process that
    takes the role over, does it."""

    @functools.wraps(job)
    async def run(jobs: JobServices) -> object:
        try:
            return await job(jobs)
        except asyncio.CancelledError:
            log.info("%s was under way when the scheduler stopped; its next run does its work", job.__name__)
            return None

    return run


def start_scheduler(jobs: JobServices) -> AsyncIOScheduler:
    """Start the jobs in the running event loop and return the scheduler; `stop_scheduler` ends them."""
    tz = ZoneInfo(jobs.settings.timezone)
    scheduler = AsyncIOScheduler(timezone=tz)
    scheduler.add_job(
        _ends_quietly_when_stopped(plan_today),
        CronTrigger(hour=jobs.settings.plan_hour, minute=0, timezone=tz),
        args=[jobs],
        id="plan_reminders",
        misfire_grace_time=PLAN_GRACE_SECONDS,
        coalesce=True,
        max_instances=1,
    )
    scheduler.add_job(
        _ends_quietly_when_stopped(expire_job),
        IntervalTrigger(minutes=1, timezone=tz),
        args=[jobs],
        id="expire_waiting",
        misfire_grace_time=60,
        coalesce=True,
        max_instances=1,
    )
    scheduler.add_job(
        _ends_quietly_when_stopped(outreach_job),
        IntervalTrigger(minutes=15, timezone=tz),
        args=[jobs],
        id="offer_outreach",
        misfire_grace_time=15 * 60,
        coalesce=True,
        max_instances=1,
    )
    scheduler.add_job(
        _ends_quietly_when_stopped(purge_job),
        CronTrigger(hour=3, minute=30, timezone=tz),
        args=[jobs],
        id="purge_retention",
        misfire_grace_time=PLAN_GRACE_SECONDS,
        coalesce=True,
        max_instances=1,
    )
    # Right after start, then every CATCH_UP_MINUTES: a day not planned yet (downtime, or a plan that failed, say on
    # a database locked for a moment) is planned the same day, not lost; a day planned already costs one read.
    scheduler.add_job(
        _ends_quietly_when_stopped(catch_up),
        IntervalTrigger(minutes=CATCH_UP_MINUTES, timezone=tz),
        args=[jobs],
        id="catch_up",
        next_run_time=datetime.now(tz),
        misfire_grace_time=CATCH_UP_MINUTES * 60,
        coalesce=True,
        max_instances=1,
    )
    scheduler.start()
    return scheduler


async def stop_scheduler(scheduler: AsyncIOScheduler) -> None:
    """Stop the jobs; a running one is cancelled, not waited for (its work is idempotent), and ends quietly."""
    if scheduler.running:
        scheduler.shutdown(wait=False)
        await asyncio.sleep(0)  # AsyncIOScheduler shuts down on the loop's next turn


class SchedulerRole:
    """The jobs as an elected role: started when this process takes the scheduler role, stopped when it loses it."""

    def __init__(self, jobs: JobServices) -> None:
        self._jobs = jobs
        self._scheduler: AsyncIOScheduler | None = None

    @property
    def running(self) -> bool:
        """Whether the jobs run in this process now."""
        return self._scheduler is not None

    async def start(self, tenure: object = None) -> None:
        """Start the jobs (the catch-up job among them runs at once)."""
        if self._scheduler is None:
            self._scheduler = start_scheduler(self._jobs)

    async def stop(self) -> None:
        """Stop the jobs; a job under way is cancelled (its work is idempotent: the next holder does it)."""
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None:
            await stop_scheduler(scheduler)
        if self._jobs.metrics is not None:
            # The plan is the next holder's to report: an alert follows the process that plans.
            report_plan(self._jobs.metrics, None)
