"""When a proactive message may go: outside quiet hours and holidays, and never twice a day to one tenant."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select

from bot.reminders.reads import chunked, day_window
from bot.settings import Settings
from bot.store.schema import outbox
from scheduler.quiet import next_allowed_send

__all__ = ["proactive_not_before", "proactive_not_before_each", "quiet_not_before"]


def quiet_not_before(at: datetime, settings: Settings) -> datetime:
    """The first moment at or after `at` outside quiet hours and (when configured) holidays."""
    return next_allowed_send(
        at, ZoneInfo(settings.timezone), settings.quiet_start, settings.quiet_end, settings.quiet_on_holidays
    )


def proactive_not_before(conn: Connection, tenant_id: int, now: datetime, settings: Settings) -> datetime:
    """When a proactive message to this tenant may go: after quiet hours, and never twice on one day."""
    return proactive_not_before_each(conn, [tenant_id], now, settings)[tenant_id]


def proactive_not_before_each(
    conn: Connection, tenant_ids: Sequence[int], now: datetime, settings: Settings
) -> dict[int, datetime]:
    """`proactive_not_before` of each of these tenants, one statement a chunk of them (an API bulk that opens ten
    thousand urgent cases asked ten thousand times)."""
    tz = ZoneInfo(settings.timezone)
    at = quiet_not_before(now, settings)
    start, end = day_window(at.astimezone(tz).date(), tz)
    busy: set[int] = set()
    for part in chunked(list(dict.fromkeys(tenant_ids))):
        busy.update(
            conn.execute(
                select(outbox.c.tenant_id)
                .distinct()
                .where(
                    outbox.c.tenant_id.in_(part),
                    outbox.c.proactive.is_(True),
                    outbox.c.state.not_in(("held", "dropped")),
                    outbox.c.not_before >= start,
                    outbox.c.not_before < end,
                )
            ).scalars()
        )
    next_day = quiet_not_before(end, settings)
    return {tenant_id: next_day if tenant_id in busy else at for tenant_id in tenant_ids}
