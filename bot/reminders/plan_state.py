"""What became of the daily plan, for the admin page and /metrics: when the last day was planned, and how many
tenants it left out because their balance data was too old to remind from.

The plan job records both in `settings_flags` with the day (`record_plan`), so the page reads them in any process
and the process that takes the scheduler role over reports them from its first look (`bot.reminders.jobs`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select

from bot.metrics import Metrics
from bot.store.flags import LAST_PLAN_DAY, LAST_PLAN_STALE, write_flag
from bot.store.schema import settings_flags

__all__ = ["LATE_AFTER", "PlanRecord", "PlanState", "last_plan", "plan_state", "record_plan", "report_plan"]

# A plan made this long after the plan hour is late (the catch-up looks every 15 minutes: one look may pass).
LATE_AFTER = timedelta(minutes=20)


@dataclass(frozen=True, slots=True)
class PlanRecord:
    """The last planned day, when it was planned and how many tenants it left out for stale balance data."""

    day: date
    at: datetime
    stale: int


@dataclass(frozen=True, slots=True)
class PlanState:
    """Today's plan as the admin page says it: `state` is `not_yet` (before the plan hour), `missing` (past it and
    not planned), `late` or `on_time`; `record` is the last plan, if any."""

    state: str
    plan_at: datetime
    record: PlanRecord | None


def record_plan(conn: Connection, day: date, stale: int, at: datetime) -> PlanRecord:
    """Store the day as planned, with the tenants left out for stale balance data (in the caller's transaction);
    the record as `last_plan` will read it."""
    write_flag(conn, LAST_PLAN_DAY, day.isoformat(), at)
    write_flag(conn, LAST_PLAN_STALE, str(stale), at)
    return PlanRecord(day, at, stale)


def last_plan(conn: Connection) -> PlanRecord | None:
    """The last plan recorded, or None when no day was ever planned."""
    rows = conn.execute(
        select(settings_flags.c.name, settings_flags.c.value, settings_flags.c.updated_at).where(
            settings_flags.c.name.in_((LAST_PLAN_DAY, LAST_PLAN_STALE))
        )
    ).all()
    found = {row.name: row for row in rows}
    day = found.get(LAST_PLAN_DAY)
    if day is None:
        return None
    stale = found.get(LAST_PLAN_STALE)
    return PlanRecord(date.fromisoformat(day.value), day.updated_at, int(stale.value) if stale is not None else 0)


def plan_state(record: PlanRecord | None, now: datetime, timezone: str, plan_hour: int) -> PlanState:
    """Whether today's plan is still to come, missing, late or made on time."""
    tz = ZoneInfo(timezone)
    today = now.astimezone(tz).date()
    plan_at = datetime.combine(today, time(plan_hour), tzinfo=tz)
    if record is not None and record.day == today:
        return PlanState("late" if record.at > plan_at + LATE_AFTER else "on_time", plan_at, record)
    return PlanState("not_yet" if now < plan_at else "missing", plan_at, record)


def report_plan(metrics: Metrics, record: PlanRecord | None) -> None:
    """Show the last plan on /metrics (the scheduler's holder, at each plan and each catch-up look)."""
    metrics.plan_planned_at.set(record.at.timestamp() if record is not None else 0)
    metrics.plan_stale.set(record.stale if record is not None else 0)
