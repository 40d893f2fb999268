"""A court or termination date that arrives through the API opens the urgent case at once.

The morning's planning would find it tomorrow; an adviser should know today. So the reminder policy's court
rule (`scheduler.policy.plan`) runs right after the write, for the tenants whose rows carry such a date, and
what it plans is recorded exactly as a planning run records it (`bot.reminders.plan`): the key of the court
reminder (a repeat of the same date does nothing), the outreach case with its staff notices, and the court
conversation. Its first message waits for the send window — quiet hours, and never a second proactive message
on one day. A tenant already reminded today gets the case now; the court message itself then comes with the
next planning run, which finds the case open and refreshes it (staff are told once per case).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from bot.host.notices import urgent_case_recipients
from bot.reminders.plan import open_outreach_case, policy_settings, record_planned, reminder_key
from bot.reminders.reads import load_snapshots, planned_keys, planned_on
from bot.reminders.send_window import proactive_not_before_each
from bot.settings import Settings
from bot.store.db import Database
from bot.store.scene import Scene
from scheduler.model import PlannedReminder, Trigger
from scheduler.policy import plan

__all__ = ["open_urgent_cases"]


def _open(conn: Connection, court: Sequence[PlannedReminder], settings: Settings, now: datetime, day: date) -> int:
    ids = [r.tenant_id for r in court]
    known = planned_keys(conn, ids)
    fresh = [r for r in court if reminder_key(r) not in known]
    reminded = planned_on(conn, ids, day)
    opened = 0
    scene = Scene.of(conn)
    reminded_today = [r for r in fresh if r.tenant_id in reminded]
    recipients = urgent_case_recipients(conn) if reminded_today else None
    for r in reminded_today:
        open_outreach_case(scene, r, settings, now, day, recipients)
        opened += 1
    waiting = [r for r in fresh if r.tenant_id not in reminded]
    windows = proactive_not_before_each(conn, [r.tenant_id for r in waiting], now, settings)
    by_window: defaultdict[datetime, list[PlannedReminder]] = defaultdict(list)
    for r in waiting:
        by_window[windows[r.tenant_id]].append(r)
    for send_after, group in by_window.items():
        opened += len(record_planned(conn, group, settings, now, day, send_after))
    return opened


async def open_urgent_cases(db: Database, tenant_ids: Sequence[int], now: datetime, settings: Settings) -> int:
    """Run the court rule for these tenants now; returns how many urgent outreaches it started."""
    if not tenant_ids:
        return 0
    tz = ZoneInfo(settings.timezone)
    day = now.astimezone(tz).date()
    wanted = set(tenant_ids)
    async with db.read() as conn:
        snapshots = [s for s in await conn.run_sync(load_snapshots, None, tz) if s.tenant_id in wanted]
    court = [r for r in plan(snapshots, day, policy_settings(settings)).reminders if r.trigger is Trigger.COURT]
    if not court:
        return 0
    return await db.run(_open, court, settings, now, day)
