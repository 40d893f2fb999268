"""Driving a runtime by hand: tests run no background tasks, so they process, send and look at phones here."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.channels.base import OutgoingMessage, SendResult
from bot.channels.sandbox import SandboxChannel
from bot.inbound.inbox import InboundMessage
from bot.inbound.processor import Processor
from bot.outbox.sender import Sender
from bot.runtime import Clock, Runtime
from bot.store.db import utcnow

__all__ = ["FailingSandbox", "FrozenClock", "at_local", "daytime", "drain", "process_all", "sandbox", "say"]


class FrozenClock(Clock):
    """A clock that stands at `at` and moves only when a test moves it (by `offset`)."""

    def __init__(self, at: datetime) -> None:
        super().__init__()
        self.at = at

    def __call__(self) -> datetime:
        return self.at + self.offset


class FailingSandbox(SandboxChannel):
    """A sandbox channel whose next sends a test can make fail: each send takes the first of `fail_next`."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.fail_next: list[SendResult] = []

    async def send(self, message: OutgoingMessage) -> SendResult:
        if self.fail_next:
            return self.fail_next.pop(0)
        return await super().send(message)


async def process_all(processor: Processor) -> int:
    """Process committed inbound rows, batch after batch, until none is pending, and answer their button presses;
    returns how many."""
    total = 0
    while (n := await processor.process_pending()) > 0:
        total += n
    await processor.answered()  # the Telegram presses among them answered, as a test then looks at the Bot API
    return total


async def drain(sender: Sender, max_rounds: int = 1000) -> int:
    """Send everything that is due now, batch after batch; returns how many rows were handled."""
    total = 0
    for _ in range(max_rounds):
        n = await sender.drain_once()
        if n == 0:
            break
        total += n
    return total


def sandbox(rt: Runtime) -> dict[str, SandboxChannel]:
    """The runtime's sandbox channels by name."""
    return {name: channel for name, channel in rt.channels.items() if isinstance(channel, SandboxChannel)}


async def say(rt: Runtime, text: str, sid: str, sender: str, channel: str = "sms") -> list[str]:
    """One message through inbox, processor and sender; the texts that reached the sender."""
    before = len(sandbox(rt)[channel].to(sender))
    await rt.inbox.submit(InboundMessage(channel=channel, provider_id=sid, sender=sender, text=text))
    await process_all(rt.processor)
    await drain(rt.sender)
    return [m.text for m in sandbox(rt)[channel].to(sender)[before:]]


def at_local(rt: Runtime, local: datetime) -> None:
    """The runtime's clock, running on, set to this local (Copenhagen) wall time."""
    rt.clock.offset = local.replace(tzinfo=ZoneInfo("Europe/Copenhagen")).astimezone(UTC) - utcnow()


def daytime(rt: Runtime) -> None:
    """The runtime's clock, running on, set to a Tuesday morning: a proactive message may go (outside quiet hours),
    whatever the hour the test runs at."""
    at_local(rt, datetime(2026, 3, 3, 10, 0))
