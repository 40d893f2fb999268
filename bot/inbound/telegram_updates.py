"""Telegram Updates as keephome's inbound messages; the webhook and the poller both commit them through here."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from telegram import Bot, Message, Update, User
from telegram.error import TelegramError

from bot.channels.base import Channel
from bot.channels.telegram import TelegramChannel
from bot.inbound.inbox import InboundMessage, Inbox, clean_payload, clean_text
from bot.inbound.senders import is_telegram_id

__all__ = ["KINDS", "MalformedUpdate", "answer_callback", "receive_update", "telegram_bot", "to_inbound"]

log = logging.getLogger(__name__)

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


class MalformedUpdate(ValueError):
    """An Update whose fields are missing or of another type than the Bot API gives them (PTB checks no types)."""


# A callback query's id is a number in a string; the receipt's provider id ("cb:<id>") holds no more than this.
_CALLBACK_ID_LENGTH = 80 - len("cb:")  # inbound.provider_id is String(80)


def telegram_bot(channels: Mapping[str, Channel]) -> Bot | None:
    """The PTB bot of the real Telegram channel; None with the sandbox or without Telegram."""
    channel = channels.get("telegram")
    return channel.bot if isinstance(channel, TelegramChannel) else None


def _start_payload(text: str) -> str | None:
    """The payload of `/start [payload]` (also `/start@bot`), or None for any other text."""
    command, _, rest = text.strip().partition(" ")
    if command.split("@", 1)[0] != "/start":
        return None
    return rest.strip()


# The language of a person's Telegram app (`from.language_code`, an IETF tag such as "en-GB"): its first part.
_LANGUAGE_TAG = re.compile(r"^([A-Za-z]{2,3})(?:-[A-Za-z0-9]{1,8})*$")


def _language_code(user: User | None) -> dict[str, str]:
    """`{"language_code": "en"}` from the sender's app language, or nothing: how to greet a chat no tenant has
    linked yet (keephome knows a linked tenant's language itself)."""
    code = getattr(user, "language_code", None)
    found = _LANGUAGE_TAG.match(code) if isinstance(code, str) and len(code) <= 35 else None
    return {"language_code": found.group(1).lower()} if found else {}


def _message(msg: Message) -> InboundMessage | None:
    chat_id = msg.chat.id
    if not is_telegram_id(chat_id) or not is_telegram_id(msg.message_id):
        raise MalformedUpdate("the chat id and the message id must be integers of at most 64 bits")
    language = _language_code(msg.from_user)
    # A forwarded message is someone else's words (a neighbour's STOP, a relative's code): never the tenant's keyword,
    # Start or code. A Bot API server older than 7.0 (a self-hosted one) says so only by the legacy `forward_date`,
    # which PTB keeps in `api_kwargs`.
    is_forward = msg.forward_origin is not None or "forward_date" in msg.api_kwargs
    forwarded = {"forwarded": True} if is_forward else {}

    def inbound(text: str | None, payload: dict[str, Any] | None = None) -> InboundMessage:
        # Cleaned here, at the edge: a lone surrogate or a NUL would make the message impossible to store.
        cleaned = clean_text(text) if text is not None else None
        kept = clean_payload({**(payload or {}), **forwarded, **language})
        return InboundMessage("telegram", f"{chat_id}:{msg.message_id}", str(chat_id), cleaned, kept)

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
        start = None if forwarded else _start_payload(msg.text)
        return inbound(msg.text) if start is None else inbound(None, {"start": start})
    kind = next((k for k in KINDS if getattr(msg, k, None)), None)
    if kind is None and msg.effective_attachment is None and not msg.caption:
        # A service message (a pin, an auto-delete timer, a wallpaper): the app wrote it, not the person.
        return None
    kind = kind or "other"
    # A photo or a document may carry the tenant's words as its caption ("kvittering"): they are the message.
    caption = getattr(msg, "caption", None)
    return inbound(caption if isinstance(caption, str) and caption.strip() else None, {"kind": kind})


def to_inbound(update: Update) -> InboundMessage | None:
    """What the conversation sees of an Update; None for what keephome ignores. Raises MalformedUpdate for an
    Update whose fields are missing or of the wrong type."""
    try:
        return _to_inbound(update)
    except (AttributeError, TypeError):
        raise MalformedUpdate("a field of the update is missing or of the wrong type") from None


def _to_inbound(update: Update) -> InboundMessage | None:
    if update.callback_query is not None:
        query = update.callback_query
        chat = query.message.chat if query.message is not None else None
        if query.data is None or (chat is not None and chat.type != "private"):
            return None
        sender = chat.id if chat is not None else query.from_user.id
        if not is_telegram_id(sender):
            raise MalformedUpdate("the chat id must be an integer of at most 64 bits")
        if not isinstance(query.id, str) or len(query.id) > _CALLBACK_ID_LENGTH:
            raise MalformedUpdate(f"the callback query id must be a string of at most {_CALLBACK_ID_LENGTH} characters")
        payload = {"callback": clean_text(query.data), **_language_code(query.from_user)}
        return InboundMessage("telegram", f"cb:{clean_text(query.id)}", str(sender), None, payload)
    msg = update.message
    # Edits are not new answers; groups and channels are never linked to a tenant.
    if msg is None or msg.chat.type != "private":
        return None
    if msg.from_user is not None and msg.from_user.is_bot:
        return None
    return _message(msg)


async def answer_callback(bot: Bot, update: Update) -> None:
    """Stop the spinner of a button press nothing will handle; outside any transaction, and a failure only costs the
    spinner."""
    if update.callback_query is None or not isinstance(update.callback_query.id, str):
        return
    try:
        await bot.answer_callback_query(update.callback_query.id)
    except TelegramError as exc:
        log.info("answering callback query failed: %s", type(exc).__name__)


async def receive_update(inbox: Inbox, bot: Bot | None, update: Update) -> str:
    """Commit the update's message; returns "stored", "duplicate", "ignored" or "rejected".

    A stored button press is answered once it is handled (bot/inbound/presses.py: the answer may say what became of
    it), and so is one sent again (a duplicate: the first one's answer is its answer); a press ignored or rejected
    here is answered now, without a text, so its spinner stops all the same.
    A rejected update is one no database can store, or one whose fields are not what the Bot API sends: it is
    confirmed all the same (Telegram would send it again and again otherwise, and a poller would fetch it again)
    and its ids are logged.
    """
    try:
        message = to_inbound(update)
    except MalformedUpdate as exc:
        log.warning("telegram update %s rejected: %s", update.update_id, exc)
        outcome = "rejected"
    else:
        outcome = "ignored" if message is None else await inbox.submit(message)
    if bot is not None and outcome not in ("stored", "duplicate"):
        await answer_callback(bot, update)
    return outcome
