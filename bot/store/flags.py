"""Named flags every process shares, in table `settings_flags`: the pause switch, the last planned day."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select

from bot.store.dialect import insert_for
from bot.store.schema import settings_flags

__all__ = ["LAST_PLAN_DAY", "PAUSED", "read_flag", "write_flag"]

# The console's global pause switch: "1" stops all proactive sending, "0" lets it go on.
PAUSED = "paused"
# The local day (YYYY-MM-DD) whose reminders were last planned.
LAST_PLAN_DAY = "last_plan_day"


def read_flag(conn: Connection, name: str) -> str | None:
    """The flag's stored value, or None when it was never written."""
    value = conn.execute(select(settings_flags.c.value).where(settings_flags.c.name == name)).scalar()
    return None if value is None else str(value)


def write_flag(conn: Connection, name: str, value: str, at: datetime) -> None:
    """Store the flag's value inside the caller's transaction (created or replaced)."""
    stmt = insert_for(conn, settings_flags).values(name=name, value=value, updated_at=at)
    conn.execute(stmt.on_conflict_do_update(index_elements=["name"], set_={"value": value, "updated_at": at}))
