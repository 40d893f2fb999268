"""`POST /webhooks/telegram`: check the secret, turn the Update into an inbound message, commit, answer."""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from telegram import Bot, Message, Update
from telegram.error import TelegramError

from bot.inbound.inbox import InboundMessage
from bot.runtime import Runtime

__all__ = ["answer_callback", "parse_update", "receive_update", "routes", "to_inbound"]

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Message kinds without text, in the order Telegram's own clients show them.
KINDS = (
    "sticker",
    "photo",
    "voice",
    "video_note",
    "video",
    "animation",
    "audio",
    "document",
    "location",
    "venue",
    "poll",
    "dice",
)


class UpdateError(ValueError):
    """The body is not a Telegram Update; the message says why."""


def parse_update(data: Any, bot: Bot | None) -> Update:
    """Turn decoded JSON into an Update, or raise UpdateError with a clear reason."""
    if not isinstance(data, dict):
        raise UpdateError("the body must be a JSON object (a Telegram Update)")
    if not isinstance(data.get("update_id"), int) or isinstance(data.get("update_id"), bool):
        raise UpdateError("not a Telegram Update: update_id (an integer) is missing")
    try:
        update = Update.de_json(data, bot)
    except (TypeError, KeyError, ValueError, AttributeError) as exc:
        raise UpdateError(f"not a Telegram Update: {type(exc).__name__} while reading it") from None
    return update


def _start_payload(text: str) -> str | None:
    """The payload of `/start [payload]` (also `/start@bot`), or None for any other text."""
    command, _, rest = text.strip().partition(" ")
    if command.split("@", 1)[0] != "/start":
        return None
    return rest.strip()


def _message(msg: Message) -> InboundMessage:
    chat_id = msg.chat.id

    def inbound(text: str | None, payload: dict[str, Any] | None = None) -> InboundMessage:
        return InboundMessage("telegram", f"{chat_id}:{msg.message_id}", str(chat_id), text, payload or {})

    if msg.contact is not None:
        return inbound(
            None,
            {
                "contact_user_id": msg.contact.user_id,
                "from_id": msg.from_user.id if msg.from_user is not None else None,
                "contact_phone": msg.contact.phone_number,
            },
        )
    if msg.text is not None:
        start = _start_payload(msg.text)
        return inbound(msg.text) if start is None else inbound(None, {"start": start})
    kind = next((k for k in KINDS if getattr(msg, k, None)), "other")
    return inbound(None, {"kind": kind})


def to_inbound(update: Update) -> InboundMessage | None:
    """What the conversation sees of an Update; None for what keephome ignores."""
    if update.callback_query is not None:
        query = update.callback_query
        chat = query.message.chat if query.message is not None else None
        if query.data is None or (chat is not None and chat.type != "private"):
            return None
        sender = chat.id if chat is not None else query.from_user.id
        return InboundMessage("telegram", f"cb:{query.id}", str(sender), None, {"callback": query.data})
    msg = update.message
    # Edits are not new answers; groups and channels are never linked to a tenant.
    if msg is None or msg.chat.type != "private":
        return None
    if msg.from_user is not None and msg.from_user.is_bot:
        return None
    return _message(msg)


async def answer_callback(bot: Bot, update: Update) -> None:
    """Stop the button's spinner; outside any transaction, and a failure only costs the spinner."""
    if update.callback_query is None:
        return
    try:
        await bot.answer_callback_query(update.callback_query.id)
    except TelegramError as exc:
        log.info("answering callback query failed: %s", type(exc).__name__)


async def receive_update(rt: Runtime, update: Update) -> str:
    """Commit the update's message (webhook and polling share this); returns what was done."""
    message = to_inbound(update)
    if message is None:
        return "ignored"
    await rt.inbox.submit(message)
    bot = _bot(rt)
    if bot is not None:
        await answer_callback(bot, update)
    return "stored"


def _bot(rt: Runtime) -> Bot | None:
    from bot.channels.telegram import TelegramChannel

    return rt.telegram.bot if isinstance(rt.telegram, TelegramChannel) else None


def _error(status: int, detail: str) -> Response:
    return JSONResponse({"error": detail}, status_code=status)


async def _webhook(request: Request) -> Response:
    rt: Runtime = request.app.state.rt
    settings = rt.settings
    if not settings.telegram_enabled or settings.telegram_mode != "webhook":
        return _error(404, "Telegram webhook is not enabled")
    given = request.headers.get(SECRET_HEADER, "").encode()
    if not settings.telegram_secret or not hmac.compare_digest(given, settings.telegram_secret.encode()):
        return _error(403, f"missing or wrong {SECRET_HEADER}")
    try:
        data = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        return _error(400, "the body is not valid JSON")
    try:
        update = parse_update(data, _bot(rt))
    except UpdateError as exc:
        return _error(400, str(exc))
    outcome = await receive_update(rt, update)
    log.debug("telegram update %s %s", update.update_id, outcome)
    return JSONResponse({"ok": True, "result": outcome})


def routes() -> list[BaseRoute]:
    """The Telegram webhook route."""
    return [Route("/webhooks/telegram", _webhook, methods=["POST"])]
