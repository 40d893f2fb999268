"""Which live tenants an inbound message's address belongs to: a number for SMS, a chat id for Telegram. One rule for
the processor, which reads a batch's senders at once, and for the console's list of messages it could not handle."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import Connection, Row, Select, bindparam

from bot.store.schema import tenants

__all__ = ["Addressed", "address_queries", "is_telegram_id", "tenants_by_address"]

_LIVE = tenants.c.status != "erased"


class Addressed(Protocol):
    """An inbound row as far as its sender goes."""

    @property
    def channel(self) -> str: ...

    @property
    def sender(self) -> str: ...


def address_queries(columns: Select[Any]) -> tuple[Select[Any], Select[Any]]:
    """The statements `tenants_by_address` runs, built once from what the caller reads of a tenant: by phone, by
    Telegram chat. One address, one tenant: uq_tenants_phone_live and the unique telegram_chat_id make a second row
    impossible; every row of an address is read so that, should it happen anyway, the caller can refuse to choose."""
    by_phone = columns.add_columns(tenants.c.phone.label("address")).where(
        tenants.c.phone.in_(bindparam("addresses", expanding=True)), _LIVE
    )
    by_chat = columns.add_columns(tenants.c.telegram_chat_id.label("address")).where(
        tenants.c.telegram_chat_id.in_(bindparam("addresses", expanding=True)), _LIVE
    )
    return by_phone, by_chat


def tenants_by_address(
    conn: Connection, rows: Sequence[Addressed], queries: tuple[Select[Any], Select[Any]]
) -> dict[tuple[str, str], list[Row[Any]]]:
    """Every live tenant each row's sender may be: (channel, sender) -> tenants (none, one, or, wrongly, more)."""
    by_phone_query, by_chat_query = queries
    phones = {row.sender for row in rows if row.channel != "telegram"}
    chats = {chat for row in rows if row.channel == "telegram" and (chat := _chat_id(row.sender)) is not None}
    by_phone: dict[Any, list[Row[Any]]] = {}
    by_chat: dict[Any, list[Row[Any]]] = {}
    if phones:
        for tenant in conn.execute(by_phone_query, {"addresses": sorted(phones)}):
            by_phone.setdefault(tenant.address, []).append(tenant)
    if chats:
        for tenant in conn.execute(by_chat_query, {"addresses": sorted(chats)}):
            by_chat.setdefault(tenant.address, []).append(tenant)
    return {
        (row.channel, row.sender): (
            by_chat.get(_chat_id(row.sender), []) if row.channel == "telegram" else by_phone.get(row.sender, [])
        )
        for row in rows
    }


def is_telegram_id(value: object) -> bool:
    """Whether `value` can be a Telegram id (a chat's, a message's): an integer of at most 64 bits, signed (the Bot
    API's words). One past it is no Telegram id, and the database's BIGINT columns cannot hold it: read as a chat,
    it failed every lookup of the batch it came in, and so every round."""
    return isinstance(value, int) and not isinstance(value, bool) and value.bit_length() <= 63


def _chat_id(sender: str) -> int | None:
    try:
        chat = int(sender)
    except ValueError:
        return None
    return chat if is_telegram_id(chat) else None
