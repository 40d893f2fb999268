"""Channel choice, in one place: where a tenant is reached, and where one queued message goes now."""

from __future__ import annotations

from collections.abc import Collection

from bot.settings import Settings

__all__ = ["CHANNELS", "asks_on_telegram", "best_channel", "configured_channels", "route"]

# Every channel keephome can send on.
CHANNELS = frozenset({"sms", "telegram"})


def configured_channels(settings: Settings) -> frozenset[str]:
    """The channels `keephome run` sends on with these settings (Twilio credentials, a Telegram token)."""
    found = set()
    if settings.sms_enabled:
        found.add("sms")
    if settings.telegram_enabled:
        found.add("telegram")
    return frozenset(found)


def best_channel(phone: str | None, chat_id: int | None, blocked: bool) -> str | None:
    """Telegram when the tenant linked a chat that is not blocked, SMS when there is a phone, else none."""
    if chat_id is not None and not blocked:
        return "telegram"
    return "sms" if phone else None


def asks_on_telegram(status: str, chat_id: int | None, blocked: bool) -> bool:
    """Whether a person can ask this tenant something on Telegram now (a consent question, the text about the
    kommune's help): Telegram is the tenant's channel (`best_channel`) and the tenant is still active — a tenant
    who stopped, reported a wrong number, moved out or was erased is asked nothing."""
    return status == "active" and best_channel(None, chat_id, blocked) == "telegram"


def route(
    preferred: str,
    phone: str | None,
    chat_id: int | None,
    blocked: bool,
    available: Collection[str] = CHANNELS,
) -> tuple[str, str] | None:
    """The channel and address a message queued for `preferred` goes to now, or None when it cannot go.

    A Telegram message whose chat is gone or blocked, or while Telegram is not configured (`available`), falls
    back to SMS (and is re-rendered by its rules); an SMS stays an SMS. None when the tenant has no address on
    a channel that is available: with every channel available, that means the tenant cannot be reached at all.
    """
    if preferred == "telegram" and "telegram" in available and best_channel(phone, chat_id, blocked) == "telegram":
        return "telegram", str(chat_id)
    return ("sms", phone) if phone and "sms" in available else None
