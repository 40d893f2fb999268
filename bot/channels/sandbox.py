"""An in-process channel for the demo and the tests: it records what was sent."""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.channels.base import OutgoingMessage, SendResult

__all__ = ["SandboxChannel", "SentMessage"]


@dataclass(frozen=True)
class SentMessage:
    """What a tenant's simulated phone received."""

    address: str
    text: str
    buttons: tuple[tuple[str, str], ...]
    provider_id: str
    outbox_id: int
    sent_at: datetime = field(default_factory=lambda: datetime.now(UTC))


class SandboxChannel:
    """Records every message."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.sent: list[SentMessage] = []
        self._ids = itertools.count(1)
        # Provider ids are unique in the database: a restarted demo counts from one again, under a new prefix.
        self._run = secrets.token_hex(4)

    async def start(self) -> None:
        """Nothing to open."""

    async def stop(self) -> None:
        """Nothing to close."""

    async def send(self, message: OutgoingMessage) -> SendResult:
        """Record the message as delivered to the simulated phone."""
        provider_id = f"sbx-{self.name}-{self._run}-{next(self._ids)}"
        self.sent.append(SentMessage(message.address, message.text, message.buttons, provider_id, message.outbox_id))
        return SendResult("sent", provider_id=provider_id)

    def to(self, address: str) -> list[SentMessage]:
        """Messages sent to one address, oldest first."""
        return [m for m in self.sent if m.address == address]
