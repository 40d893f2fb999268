"""A STOP said from a number before any tenant had it holds when an import or the API gives the number to a tenant.

The inbound path keeps it on the number's row in `unknown_senders` (bot/inbound/strangers.py, `stop_or_start`): a keyed
hash of the number, never the number. The import reads it for each tenant it creates or gives another number, stores
that tenant stopped through the one writer of status, and consumes the mark (bot/tenants/upsert.py).

On PostgreSQL the inbound path does not wait for an import (it would hold every message behind a long one), so a STOP
and an import that gives its number to a tenant may cross: each read before the other committed. Each side therefore
looks again after its own commit (`stop_holders`): the inbound path for a tenant holding the number by now, the import
and the API for a STOP kept by now of a number they gave; whichever commits last finds the other's write.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime

from sqlalchemy import Connection, exists, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.address_hash import stranger_key
from bot.store.audit import write_entry
from bot.store.schema import tenants, unknown_senders
from bot.tenants.status import set_status

__all__ = [
    "KEPT_FOR_NUMBER",
    "NUMBER_CHANNEL",
    "STOPPABLE",
    "StopsUnchecked",
    "any_kept",
    "kept_for",
    "stop_holders",
    "store_stopped",
]

# The channel whose address is a phone number: its strangers' STOPs are kept for the number.
NUMBER_CHANNEL = "sms"

_KEPT = unknown_senders.c.stopped_at.is_not(None)

# A tenant given a number that said STOP is stored stopped from these; a tenant who moved out or was erased is no one
# to message anyway, and the STOP stays with the number: it holds for the tenancy the number is given to next (the
# person back as a new tenant). No write makes a tenant who moved out reachable again; one that did would have to
# look for their number's STOP first (`stop_holders`), as the write that gives a number does.
STOPPABLE = ("active", "wrong_number")
# Statuses whose holder's own STOP or START is kept for the number, as a stranger's is (bot/inbound/handler.py): a
# number reported wrong is held by no tenant, and a tenant who moved out has no status an opt-out changes.
KEPT_FOR_NUMBER = ("wrong_number", "moved_out")


class StopsUnchecked(Exception):
    """Numbers said STOP before they were tenants', and without KEEPHOME_SECRET_KEY their hashes cannot be matched.

    A problem of the setting, not of a row: its one line names no line of the file."""

    def __init__(self) -> None:
        super().__init__(
            "KEEPHOME_SECRET_KEY is not set, and numbers no tenant had have said STOP: without the key keephome "
            "cannot tell whether a new number in the import is one of them; set it to the key the service runs with"
        )


async def any_kept(conn: AsyncConnection) -> bool:
    """Whether any number's STOP is kept."""
    return bool((await conn.execute(select(exists().where(_KEPT)))).scalar())


async def kept_for(conn: AsyncConnection, secret: str, phones: Collection[str]) -> dict[str, str]:
    """The numbers among `phones` whose STOP is kept, each with the key of its row."""
    return await conn.run_sync(_kept_for, secret, phones)


def _kept_for(conn: Connection, secret: str, phones: Collection[str]) -> dict[str, str]:
    keys = {stranger_key(secret, NUMBER_CHANNEL, phone): phone for phone in phones}
    if not keys:
        return {}
    query = select(unknown_senders.c.address_hash).where(unknown_senders.c.address_hash.in_(list(keys)), _KEPT)
    return {keys[key]: key for key in conn.execute(query).scalars()}


def store_stopped(
    conn: Connection, holders: Mapping[int, str], now: datetime, *, only_from: Collection[str] = STOPPABLE
) -> list[int]:
    """Store each tenant (their id, with the key of their number's row) stopped, as their number's STOP said, each with
    an audit entry about them (their own export says why they hear nothing); the ones whose status changed. The STOP
    then lives on in the status of every one of them stopped by now, no longer on the number's row; it stays with the
    number only for a tenant who cannot take it."""
    if not holders:
        return []
    stopped = [tenant_id for tenant_id in holders if set_status(conn, tenant_id, "stopped", now, only_from=only_from)]
    for tenant_id in stopped:
        write_entry(conn, at=now, actor="system", action="tenant.said_stop_before", target=f"tenant:{tenant_id}")
    now_stopped = select(tenants.c.id).where(tenants.c.id.in_(list(holders)), tenants.c.status == "stopped")
    taken = [holders[tenant_id] for tenant_id in conn.execute(now_stopped).scalars()]
    if taken:
        conn.execute(update(unknown_senders).where(unknown_senders.c.address_hash.in_(taken)).values(stopped_at=None))
    return stopped


# A tenant found holding a number whose STOP is kept, after the write that gave it to them committed: one whose number
# was reported wrong since is not who said STOP (their number's holder is: the STOP stays the number's).
_STOPPABLE_AFTER = ("active",)


def stop_holders(conn: Connection, secret: str, phones: Collection[str], now: datetime) -> list[int]:
    """After a commit, the tenants holding any of `phones` whose STOP is kept by now are stored stopped
    (`store_stopped`): a STOP and the write that gave its number to a tenant crossed. The ones whose status changed."""
    marks = _kept_for(conn, secret, set(phones))
    if not marks:
        return []
    query = select(tenants.c.id, tenants.c.phone).where(tenants.c.phone.in_(list(marks)), tenants.c.status != "erased")
    holders = {int(tenant_id): marks[phone] for tenant_id, phone in conn.execute(query)}
    return store_stopped(conn, holders, now, only_from=_STOPPABLE_AFTER)
