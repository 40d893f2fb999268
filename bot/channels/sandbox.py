"""An in-process channel for the demo and the tests: it records what was sent."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.channels.base import OutgoingMessage, SendResult

__all__ = ["SandboxChannel", "SentMessage"]


@dataclass(frozen=True)
class SentMessage:
    """What a tenant's simulated phone received."""

    seq: int
    address: str
    text: str
    buttons: tuple[tuple[str, str], ...]
    provider_id: str
    outbox_id: int
    sent_at: datetime = field(default_factory=lambda: datetime.now(UTC))


class SandboxChannel:
    """Records every message; `fail_next` lets a test make the next sends fail."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.sent: list[SentMessage] = []
        self.fail_next: list[SendResult] = []
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()

    async def start(self) -> None:
        """Nothing to open."""

    async def stop(self) -> None:
        """Nothing to close."""

    async def send(self, message: OutgoingMessage) -> SendResult:
        """Record the message as delivered to the simulated phone."""
        if self.fail_next:
            return self.fail_next.pop(0)
        seq = next(self._ids)
        provider_id = f"sbx-{self.name}-{seq}"
        self.sent.append(
            SentMessage(seq, message.address, message.text, message.buttons, provider_id, message.outbox_id)
        )
        async with self._changed:
            self._changed.notify_all()
        return SendResult("sent", provider_id=provider_id)

    def to(self, address: str) -> list[SentMessage]:
        """Messages sent to one address, oldest first."""
        return [m for m in self.sent if m.address == address]

    async def wait_for(self, count: int, within: float = 5.0) -> None:
        """Wait until at least `count` messages were sent."""
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(lambda: len(self.sent) >= count)
