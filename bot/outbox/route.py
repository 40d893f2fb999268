"""Channel choice, in one place: where a tenant is reached, where one queued message goes now, and how a message
none of the configured channels reaches is reported (`outlook`: on channel "none", waiting)."""

from __future__ import annotations

from collections.abc import Collection
from typing import NamedTuple

from bot.settings import Settings

__all__ = [
    "CHANNELS",
    "NONE",
    "Outlook",
    "asks_on_telegram",
    "best_channel",
    "configured_channels",
    "outlook",
    "route",
    "waits_for_channel",
]

# Every channel keephome can send on.
CHANNELS = frozenset({"sms", "telegram"})
# The channel a message is reported on while none of the channels the service sends on reaches its tenant.
NONE = "none"
# A message's statuses while it has not gone out (`bot.store.schema.STATUS_RANK`).
_NOT_GONE_OUT = ("queued", "waiting")


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


def waits_for_channel(
    active: bool, preferred: str, phone: str | None, chat_id: int | None, blocked: bool, available: Collection[str]
) -> bool:
    """Whether a proactive message to this tenant waits for a channel: the tenant is active and has an address on
    a channel keephome has, but none of the `available` channels reaches it. The sender sets such a message aside
    instead of sending or failing it (`bot.outbox.claim`); a tenant with no address at all is the send's to hold."""
    return (
        active
        and route(preferred, phone, chat_id, blocked, available) is None
        and route(preferred, phone, chat_id, blocked) is not None
    )


class Outlook(NamedTuple):
    """A proactive message to a tenant as keephome reports it: the channel it goes (or went) out on, and its
    status (`queued`, `waiting`, `sent`, `delivered`, `failed`, `held`, `dropped`, …)."""

    channel: str
    status: str


def outlook(
    status: str,
    queued_on: str,
    *,
    active: bool,
    phone: str | None,
    chat_id: int | None,
    blocked: bool,
    available: Collection[str],
) -> Outlook:
    """What `keephome remind` and the API report for a proactive message (a reminder's question) to this tenant.

    One that went out keeps the channel and status recorded. One that has not (`queued`, `waiting`) goes out on
    the channel `route` picks among the `available` channels, those the service sends on. When none of them
    reaches the tenant (`waits_for_channel`) it is on channel "none" and `waiting`: not sent and not failed, the
    sender sets it aside (outbox state `waiting`, reason `no channel`, the `keephome_outbox_waiting` gauge's
    `no_channel`) and takes it up again when a sender starts with a channel that reaches the tenant; the send
    window then checks it once more (it goes if the reminder is still due then, else it is dropped, with why).
    """
    if status not in _NOT_GONE_OUT:
        return Outlook(queued_on, status)
    goes = route(queued_on, phone, chat_id, blocked, available)
    if goes is not None:  # the usual answer, from one look (the plan asks this for every tenant it reminds)
        return Outlook(goes[0], status)
    if waits_for_channel(active, queued_on, phone, chat_id, blocked, available):
        return Outlook(NONE, "waiting")
    return Outlook(queued_on, status)
