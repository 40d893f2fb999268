"""The one small type every channel implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

__all__ = ["Channel", "OutgoingMessage", "SendResult"]


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


class Channel(Protocol):
    """Sends one message; never raises for provider errors, returns a SendResult."""

    name: str

    async def send(self, message: OutgoingMessage) -> SendResult: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...
