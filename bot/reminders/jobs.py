"""The periodic jobs: plan today's reminders, catch up on a missed day, expire waiting conversations.

The jobs are static and in memory; everything durable (what was planned, when) lives in the tables, so
a restart or a second process never repeats work.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from bot.reminders.plan import PlanOutcome, plan_reminders
from bot.reminders.timers import expire_waiting
from bot.store.retention import purge
from bot.store.schema import settings_flags

if TYPE_CHECKING:
    from bot.runtime import Runtime

__all__ = ["LAST_PLAN_DAY", "catch_up", "expire_job", "plan_today", "purge_job", "start_scheduler", "stop_scheduler"]

log = logging.getLogger(__name__)

LAST_PLAN_DAY = "last_plan_day"
# A daily run that starts late (a busy loop, a slow start) still runs within this many seconds.
PLAN_GRACE_SECONDS = 6 * 3600


async def _flag(rt: Runtime, name: str) -> str | None:
    async with rt.db.read() as conn:
        value = (await conn.execute(select(settings_flags.c.value).where(settings_flags.c.name == name))).scalar()
    return None if value is None else str(value)


async def _set_flag(rt: Runtime, name: str, value: str, now: datetime) -> None:
    insert = sqlite.insert if rt.db.is_sqlite else postgresql.insert
    stmt = insert(settings_flags).values(name=name, value=value, updated_at=now)
    stmt = stmt.on_conflict_do_update(index_elements=["name"], set_={"value": value, "updated_at": now})
    async with rt.db.write() as conn:
        await conn.execute(stmt)


async def plan_today(rt: Runtime) -> PlanOutcome:
    """Plan today's reminders now, record the day as done and wake the sender."""
    now = rt.clock()
    outcome = await plan_reminders(rt.db, rt.settings, now)
    await _set_flag(rt, LAST_PLAN_DAY, outcome.day.isoformat(), now)
    rt.sender.wake()
    return outcome


async def catch_up(rt: Runtime) -> bool:
    """Plan today if it is past the plan hour and today's run has not happened (e.g. after downtime)."""
    local = rt.clock().astimezone(ZoneInfo(rt.settings.timezone))
    if local.hour < rt.settings.plan_hour:
        return False
    if await _flag(rt, LAST_PLAN_DAY) == local.date().isoformat():
        return False
    log.info("today's reminders were not planned yet: planning now")
    await plan_today(rt)
    return True


async def expire_job(rt: Runtime) -> int:
    """Nudge or end the conversations whose wait ran out."""
    handled = await expire_waiting(rt.db, rt.clock(), rt.settings)
    if handled:
        rt.sender.wake()
    return handled


async def purge_job(rt: Runtime) -> dict[str, int]:
    """Delete what has outlived KEEPHOME_RETENTION_DAYS."""
    removed = await purge(rt.db, rt.clock(), rt.settings.retention_days)
    log.info("retention purge: %s", removed)
    return removed


def start_scheduler(rt: Runtime) -> AsyncIOScheduler:
    """Start the jobs in the running event loop; `stop_scheduler` (also run by rt.stop) ends them."""
    tz = ZoneInfo(rt.settings.timezone)
    scheduler = AsyncIOScheduler(timezone=tz)
    scheduler.add_job(
        plan_today,
        CronTrigger(hour=rt.settings.plan_hour, minute=0, timezone=tz),
        args=[rt],
        id="plan_reminders",
        misfire_grace_time=PLAN_GRACE_SECONDS,
        coalesce=True,
        max_instances=1,
    )
    scheduler.add_job(
        expire_job,
        IntervalTrigger(minutes=1, timezone=tz),
        args=[rt],
        id="expire_waiting",
        misfire_grace_time=60,
        coalesce=True,
        max_instances=1,
    )
    scheduler.add_job(
        purge_job,
        CronTrigger(hour=3, minute=30, timezone=tz),
        args=[rt],
        id="purge_retention",
        misfire_grace_time=PLAN_GRACE_SECONDS,
        coalesce=True,
        max_instances=1,
    )
    # No trigger: runs once, right after start.
    scheduler.add_job(catch_up, args=[rt], id="catch_up", misfire_grace_time=PLAN_GRACE_SECONDS)
    scheduler.start()
    rt.extra_stop.append(lambda: stop_scheduler(scheduler))
    return scheduler


def stop_scheduler(scheduler: AsyncIOScheduler) -> None:
    """Stop the jobs without waiting for a running one (its work is idempotent)."""
    if scheduler.running:
        scheduler.shutdown(wait=False)
