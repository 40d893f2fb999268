"""When a tenant last wrote words of crisis: the day the bot answered them with the crisis line.

What exists already records it: the bot's answer (`CRISIS_LINE`, one message row per time the words came, kept with
its time when retention blanks its text). The reminder plan holds rent reminders for some days after it, and the
advisers' queue puts a case the adviser may read first (`scheduler.crisis`).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, func, literal_column, select

from bot.store.schema import CRISIS_LINE, messages

__all__ = ["crisis_days"]

# The index's own predicate (ix_messages_crisis), written into the statement so the partial index serves it.
_CRISIS = messages.c.template == literal_column(f"'{CRISIS_LINE}'")
_LATEST = (
    select(messages.c.tenant_id, func.max(messages.c.created_at))
    .where(_CRISIS, messages.c.tenant_id.is_not(None))
    .group_by(messages.c.tenant_id)
)
# Ids per IN list: well under SQLite's variable limit.
_CHUNK = 500


def crisis_days(conn: Connection, tz: ZoneInfo, tenant_ids: Collection[int] | None = None) -> dict[int, date]:
    """Tenant id -> the local day of their latest words of crisis, for every tenant who wrote any (with
    `tenant_ids`, only theirs)."""
    if tenant_ids is None:
        rows = list(conn.execute(_LATEST))
    else:
        wanted = sorted(tenant_ids)
        rows = []
        for start in range(0, len(wanted), _CHUNK):
            part = wanted[start : start + _CHUNK]
            rows.extend(conn.execute(_LATEST.where(messages.c.tenant_id.in_(part))))
    return {int(tenant_id): at.astimezone(tz).date() for tenant_id, at in rows if at is not None}
