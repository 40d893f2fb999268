"""Bot-API-shaped Updates, test tenants, and a harness: webhook, runtime and stand-in Telegram together."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.app import create_app
from bot.channels.telegram import TelegramChannel
from bot.runtime import Clock, Runtime
from bot.store.schema import rent_positions, tenants
from bot.tenants import linking
from tests.conftest import make_settings, started_runtime
from tests.support.drive import drain, process_all
from tests.support.telegram_standin import BOT_USER, TelegramStandIn

__all__ = [
    "CHAT",
    "Harness",
    "callback_update",
    "contact_update",
    "edited_update",
    "harness",
    "insert_tenant",
    "message_update",
    "photo_update",
    "sticker_update",
    "text_update",
]

CHAT = 777001
SECRET_HEADER = {"X-Telegram-Bot-Api-Secret-Token": "s3cret"}

# Updates shaped as the Bot API documents them (https://core.telegram.org/bots/api#update).
_DATE = 1767261600


def _user(user_id: int, language: str | None = "da") -> dict[str, Any]:
    user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": "Tenant"}
    return user if language is None else {**user, "language_code": language}


def _chat(chat_id: int, kind: str = "private") -> dict[str, Any]:
    if kind == "private":
        return {"id": chat_id, "type": "private", "first_name": "Tenant"}
    return {"id": chat_id, "type": kind, "title": "Opgang 4"}


def message_update(
    update_id: int,
    chat_id: int,
    message_id: int,
    *,
    chat_type: str = "private",
    language: str | None = "da",
    **content: Any,
) -> dict[str, Any]:
    """An update carrying a new message with the given content (text=..., sticker=..., contact=...), from a person
    whose Telegram app is in `language` (None: the update says nothing of it)."""
    message = {
        "message_id": message_id,
        "from": _user(chat_id if chat_type == "private" else 555, language),
        "chat": _chat(chat_id, chat_type),
        "date": _DATE,
        **content,
    }
    return {"update_id": update_id, "message": message}


def text_update(update_id: int, chat_id: int, message_id: int, text: str, **kw: Any) -> dict[str, Any]:
    """A text message; `/start ...` gets the bot_command entity Telegram adds."""
    content: dict[str, Any] = {"text": text}
    if text.startswith("/"):
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return message_update(update_id, chat_id, message_id, **content, **kw)


def edited_update(update_id: int, chat_id: int, message_id: int, text: str) -> dict[str, Any]:
    """An edit of an earlier message."""
    update = text_update(update_id, chat_id, message_id, text)
    update["edited_message"] = {**update.pop("message"), "edit_date": _DATE + 60}
    return update


def sticker_update(update_id: int, chat_id: int, message_id: int) -> dict[str, Any]:
    """A sticker."""
    sticker = {
        "file_id": "CAACAgIAAxkBAAE",
        "file_unique_id": "AgADsw",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "emoji": "👍",
    }
    return message_update(update_id, chat_id, message_id, sticker=sticker)


def photo_update(update_id: int, chat_id: int, message_id: int) -> dict[str, Any]:
    """A photo with a caption."""
    size = {"file_id": "AgACAgQAAxkBAAI", "file_unique_id": "AQADx", "width": 90, "height": 67}
    return message_update(update_id, chat_id, message_id, photo=[size], caption="kvittering")


def contact_update(update_id: int, chat_id: int, message_id: int, phone: str, user_id: int | None) -> dict[str, Any]:
    """A shared contact card; `user_id` is whose Telegram account the number belongs to."""
    contact: dict[str, Any] = {"phone_number": phone, "first_name": "Tenant"}
    if user_id is not None:
        contact["user_id"] = user_id
    return message_update(update_id, chat_id, message_id, contact=contact)


def callback_update(update_id: int, chat_id: int, message_id: int, query_id: str, data: str) -> dict[str, Any]:
    """A press on an inline button under one of the bot's messages."""
    message = {
        "message_id": message_id,
        "from": {k: BOT_USER[k] for k in ("id", "is_bot", "first_name", "username")},
        "chat": _chat(chat_id),
        "date": _DATE,
        "text": "Spørgsmål",
    }
    query = {"id": query_id, "from": _user(chat_id), "chat_instance": "-42", "data": data, "message": message}
    return {"update_id": update_id, "callback_query": query}


async def insert_tenant(
    conn: AsyncConnection,
    ref: str,
    phone: str,
    now: datetime,
    *,
    chat_id: int | None = None,
    language: str = "da",
) -> int:
    """A tenant with a paid-up rent position; returns its id."""
    tenant_id = (
        await conn.execute(
            tenants.insert()
            .values(
                tenant_ref=ref,
                name="Testlejer A",
                phone=phone,
                language=language,
                channel_preference="auto",
                telegram_chat_id=chat_id,
                telegram_blocked=False,
                status="active",
                created_at=now,
                updated_at=now,
            )
            .returning(tenants.c.id)
        )
    ).scalar_one()
    await conn.execute(
        rent_positions.insert().values(
            tenant_id=tenant_id, due_day=1, balance_ore=0, balance_as_of=now.date(), updated_at=now
        )
    )
    return int(tenant_id)


@dataclass
class Harness:
    """The webhook, the runtime behind it and the stand-in Telegram it talks to."""

    client: httpx.AsyncClient
    rt: Runtime
    clock: Clock
    api: TelegramStandIn
    ids: itertools.count[int]

    async def send(self, make: Callable[..., dict[str, Any]], *args: Any, chat: int = CHAT) -> list[str]:
        """Post one update from `chat`, process it, send replies; returns the texts the chat received."""
        n = next(self.ids)
        seen = len(self.api.delivered)
        response = await self.client.post("/webhooks/telegram", json=make(n, chat, n, *args), headers=SECRET_HEADER)
        assert response.status_code == 200, response.text
        await process_all(self.rt.processor)
        await drain(self.rt.sender)
        return [m["text"] for m in self.api.delivered[seen:] if m["chat"]["id"] == chat]

    async def tenant(self, ref: str = "T-1", phone: str = "+4520304050", **kw: Any) -> int:
        """Insert a tenant; returns its id."""
        async with self.rt.db.write() as conn:
            return await insert_tenant(conn, ref, phone, self.clock(), **kw)

    async def tenant_row(self, tenant_id: int) -> Any:
        """The tenant's row as it is now."""
        async with self.rt.db.read() as conn:
            return (await conn.execute(select(tenants).where(tenants.c.id == tenant_id))).one()

    async def chat_of(self, tenant_id: int) -> int | None:
        """The chat linked to the tenant, if any."""
        value = (await self.tenant_row(tenant_id)).telegram_chat_id
        return None if value is None else int(value)

    async def code(self, tenant_id: int) -> str:
        """A fresh link code for the tenant."""
        async with self.rt.db.write() as conn:
            return await conn.run_sync(linking.create_code, tenant_id, self.clock(), self.rt.settings.link_code_minutes)


@asynccontextmanager
async def harness(database_url: str, **overrides: Any) -> AsyncIterator[Harness]:
    """A runtime with the real TelegramChannel against a stand-in; SMS stays the sandbox."""
    api = TelegramStandIn()
    await api.start()
    values: dict[str, Any] = {
        "telegram_token": "123:ABC",
        "telegram_api_url": api.api_url,
        "telegram_secret": "s3cret",
    }
    settings = make_settings(database_url, **{**values, **overrides})
    clock = Clock()
    try:
        async with started_runtime(settings, clock=clock, telegram=TelegramChannel(settings)) as rt:
            transport = httpx.ASGITransport(app=create_app(rt))
            async with httpx.AsyncClient(transport=transport, base_url="https://keephome.example.org") as client:
                yield Harness(client, rt, clock, api, itertools.count(1))
    finally:
        await api.stop()
