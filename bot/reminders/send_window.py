"""When a proactive message may go: outside quiet hours and holidays, and never twice a day to one tenant."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select

from bot.reminders.reads import day_window
from bot.settings import Settings
from bot.store.schema import outbox
from scheduler.quiet import next_allowed_send

__all__ = ["proactive_not_before", "quiet_not_before"]


def quiet_not_before(at: datetime, settings: Settings) -> datetime:
    """The first moment at or after `at` outside quiet hours and (when configured) holidays."""
    return next_allowed_send(
        at, ZoneInfo(settings.timezone), settings.quiet_start, settings.quiet_end, settings.quiet_on_holidays
    )


def proactive_not_before(conn: Connection, tenant_id: int, now: datetime, settings: Settings) -> datetime:
    """When a proactive message to this tenant may go: after quiet hours, and never twice on one day."""
    tz = ZoneInfo(settings.timezone)
    at = quiet_not_before(now, settings)
    start, end = day_window(at.astimezone(tz).date(), tz)
    busy = conn.execute(
        select(outbox.c.id)
        .where(
            outbox.c.tenant_id == tenant_id,
            outbox.c.proactive.is_(True),
            outbox.c.state.not_in(("held", "dropped")),
            outbox.c.not_before >= start,
            outbox.c.not_before < end,
        )
        .limit(1)
    ).first()
    return quiet_not_before(end, settings) if busy is not None else at
