"""A STOP said from a number before any tenant had it holds when an import or the API gives the number to a tenant.

The inbound path keeps it on the number's row in `unknown_senders` (bot/inbound/strangers.py, `stop_or_start`): a keyed
hash of the number, never the number. The import reads it for each tenant it creates or gives another number, stores
that tenant stopped through the one writer of status, and consumes the mark (bot/tenants/upsert.py).
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import exists, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.address_hash import stranger_key
from bot.store.schema import unknown_senders

__all__ = ["NUMBER_CHANNEL", "StopsUnchecked", "any_kept", "consume", "kept_for"]

# The channel whose address is a phone number: its strangers' STOPs are kept for the number.
NUMBER_CHANNEL = "sms"

_KEPT = unknown_senders.c.stopped_at.is_not(None)


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
    keys = {stranger_key(secret, NUMBER_CHANNEL, phone): phone for phone in phones}
    if not keys:
        return {}
    query = select(unknown_senders.c.address_hash).where(unknown_senders.c.address_hash.in_(list(keys)), _KEPT)
    return {keys[key]: key for key in (await conn.execute(query)).scalars()}


async def consume(conn: AsyncConnection, keys: Collection[str]) -> None:
    """The tenant now holding each number is stopped: the STOP lives on in their status, no longer on the row."""
    if keys:
        stmt = update(unknown_senders).where(unknown_senders.c.address_hash.in_(list(keys))).values(stopped_at=None)
        await conn.execute(stmt)
