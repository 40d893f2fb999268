"""Channel choice, in one place: where a tenant is reached, and where one queued message goes now."""

from __future__ import annotations

__all__ = ["best_channel", "route"]


def best_channel(phone: str | None, chat_id: int | None, blocked: bool) -> str | None:
    """Telegram when the tenant linked a chat that is not blocked, SMS when there is a phone, else none."""
    if chat_id is not None and not blocked:
        return "telegram"
    return "sms" if phone else None


def route(preferred: str, phone: str | None, chat_id: int | None, blocked: bool) -> tuple[str, str] | None:
    """The channel and address a message queued for `preferred` goes to now, or None when it cannot go.

    A Telegram message whose chat is gone or blocked falls back to SMS (and is re-rendered by its rules);
    an SMS stays an SMS.
    """
    if preferred == "telegram" and best_channel(phone, chat_id, blocked) == "telegram":
        return "telegram", str(chat_id)
    return ("sms", phone) if phone else None
