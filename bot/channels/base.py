"""The one small type every channel implements."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal, Protocol

__all__ = [
    "CHANNEL_KEYS",
    "DROP_KEYBOARD",
    "SHARE_PHONE",
    "Channel",
    "OutgoingMessage",
    "SendResult",
    "button_data",
    "parse_button_data",
]

# A button carries `<outbox id>.<choice index>`: short (Telegram allows 64 bytes) and opaque.
_BUTTON_DATA = re.compile(r"^(\d{1,18})\.(\d{1,3})$")

# Two choice keys the channel acts on itself, never an answer to a conversation. SHARE_PHONE: on Telegram, the
# keyboard button that shares the person's own phone number (request_contact; the only contact that proves a
# number, bot/inbound/unlinked.py), offered while a chat is not linked. DROP_KEYBOARD: that button goes away again
# (the chat is linked, or sharing cannot help). Either stands alone in a message's choices; SMS shows neither.
SHARE_PHONE = "@share_phone"
DROP_KEYBOARD = "@drop_keyboard"
CHANNEL_KEYS = (SHARE_PHONE, DROP_KEYBOARD)


def button_data(outbox_id: int, index: int) -> str:
    """The callback data of the `index`-th button of an outbox row."""
    return f"{outbox_id}.{index}"


def parse_button_data(data: str) -> tuple[int, int] | None:
    """The outbox id and choice index a button's data names, or None for anything else (a forged button)."""
    found = _BUTTON_DATA.match(data)
    return (int(found[1]), int(found[2])) if found else None


@dataclass(frozen=True)
class OutgoingMessage:
    """A rendered message ready for one channel."""

    outbox_id: int
    address: str  # E.164 phone for SMS, chat id for Telegram
    text: str
    buttons: tuple[tuple[str, str], ...] = ()  # (label, callback data)
    status_callback: str | None = None


@dataclass(frozen=True)
class SendResult:
    """What a provider said about one send."""

    outcome: Literal["sent", "transient", "permanent", "blocked", "opted_out"]
    provider_id: str | None = None
    error_code: str | None = None
    detail: str = ""
    retry_after: float | None = field(default=None)
    # A transient failure after the request may have reached the provider (no answer in time, the connection lost
    # once it was sent, an answer that cannot be read): the message may be out, and sending it again may deliver
    # it twice. The outbox retries it all the same (at least once) and says so (bot/outbox/record.py).
    maybe_sent: bool = False


class Channel(Protocol):
    """Sends one message; never raises for provider errors, returns a SendResult."""

    name: str

    async def send(self, message: OutgoingMessage) -> SendResult: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...
