"""Named flags every process shares, in table `settings_flags`: the pause switch, the last planned day, the key check.

Nothing keeps a copy of a flag in memory: whoever needs one reads it from here when it needs it, so a switch
flipped through one process holds in every process at once.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, ScalarSelect, bindparam, delete, select

from bot.store.dialect import insert_for
from bot.store.schema import erased_refs, settings_flags, unknown_senders

__all__ = [
    "KEY_CHECK",
    "LAST_PLAN_DAY",
    "LAST_PLAN_STALE",
    "PAUSED",
    "change_key",
    "is_paused",
    "is_the_key",
    "pause_is_on",
    "paused_column",
    "read_flag",
    "write_flag",
]

# The console's global pause switch: "1" stops all proactive sending, "0" lets it go on.
PAUSED = "paused"
# The local day (YYYY-MM-DD) whose reminders were last planned.
LAST_PLAN_DAY = "last_plan_day"
# How many tenants that plan left out because their balance data was too old to remind from.
LAST_PLAN_STALE = "last_plan_stale"
# A keyed check value of KEEPHOME_SECRET_KEY (never the key itself): a command given another key than the one the
# database was used with would read no tombstone and match no stored hash, and so bring erased tenants back.
KEY_CHECK = "key_check"


# Built once: the sender reads the pause switch before every claim.
_READ = select(settings_flags.c.value).where(settings_flags.c.name == bindparam("name"))


def read_flag(conn: Connection, name: str) -> str | None:
    """The flag's stored value, or None when it was never written."""
    value = conn.execute(_READ, {"name": name}).scalar()
    return None if value is None else str(value)


def is_paused(conn: Connection) -> bool:
    """Whether the stored pause switch is on (`KEEPHOME_PAUSED` is the callers' to add)."""
    return pause_is_on(read_flag(conn, PAUSED))


def pause_is_on(value: str | None) -> bool:
    """Whether the pause switch's stored value (None: never written) means on."""
    return value == "1"


def paused_column() -> ScalarSelect[Any]:
    """The pause switch's stored value as a column of a larger statement (the sender's claim reads it so);
    `pause_is_on` says what it means."""
    return select(settings_flags.c.value).where(settings_flags.c.name == PAUSED).scalar_subquery()


def write_flag(conn: Connection, name: str, value: str, at: datetime) -> None:
    """Store the flag's value inside the caller's transaction (created or replaced)."""
    stmt = insert_for(conn, settings_flags).values(name=name, value=value, updated_at=at)
    conn.execute(stmt.on_conflict_do_update(index_elements=["name"], set_={"value": value, "updated_at": at}))


def _check_value(secret_key: str) -> str:
    return hmac.new(secret_key.encode(), b"keephome key check", hashlib.sha256).hexdigest()


def is_the_key(conn: Connection, secret_key: str, at: datetime) -> bool:
    """Whether `secret_key` is the key the database was used with; the first key asked about (a new database, or
    one from before the check) is stored as that key, and of two first asks at once the first to commit is."""
    value = _check_value(secret_key)
    stmt = insert_for(conn, settings_flags).values(name=KEY_CHECK, value=value, updated_at=at)
    conn.execute(stmt.on_conflict_do_nothing(index_elements=["name"]))
    return hmac.compare_digest(read_flag(conn, KEY_CHECK) or "", value)


def change_key(conn: Connection, secret_key: str, at: datetime) -> tuple[int, int]:
    """Make `secret_key` the database's key on purpose: the erased tenants' tombstones and the STOPs kept of numbers no
    tenant had, keyed with the old key and unreadable with the new, are forgotten (an import brings those tenant_refs
    back, and stores a tenant given such a number active). Returns how many of each were."""
    tombstones = conn.execute(delete(erased_refs)).rowcount
    stops = conn.execute(delete(unknown_senders).where(unknown_senders.c.stopped_at.is_not(None))).rowcount
    write_flag(conn, KEY_CHECK, _check_value(secret_key), at)
    return int(tombstones), int(stops)
