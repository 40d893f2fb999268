"""An in-process channel for the demo and the tests: it records what was sent, and how button presses were answered."""

from __future__ import annotations

import asyncio
import itertools
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.channels.base import OutgoingMessage, SendResult

__all__ = ["Report", "SandboxChannel", "SentMessage"]

log = logging.getLogger(__name__)

# Reports a sent message's delivery, as a carrier's status callback would; False while the message is not known
# yet (the sender records a send after the channel returns).
Report = Callable[[str], Awaitable[bool]]


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
    """Records every message; with `report`, says each one was delivered, as a carrier does (the demo's SMS)."""

    def __init__(self, name: str, *, report: Report | None = None, report_after: float = 0.5) -> None:
        self.name = name
        self.sent: list[SentMessage] = []
        # The same messages by provider id: what a simulated phone received, in this process's memory only (the
        # database keeps a placeholder for a one-time code, never the code: bot/outbox/record.py).
        self._by_id: dict[str, SentMessage] = {}
        self._ids = itertools.count(1)
        # Provider ids are unique in the database: a restarted demo counts from one again, under a new prefix.
        self._run = secrets.token_hex(4)
        self._report = report
        self._report_after = report_after
        self._reports: set[asyncio.Task[None]] = set()
        # Each answered button press (answerCallbackQuery) by its query id: the toast's text, or None for an answer
        # that only stops the spinner. In memory only, as a toast on a phone is there for a moment.
        self.answers: dict[str, str | None] = {}

    async def start(self) -> None:
        """Nothing to open."""

    async def stop(self) -> None:
        """Stop reporting deliveries."""
        for task in list(self._reports):
            task.cancel()
        await asyncio.gather(*self._reports, return_exceptions=True)

    async def send(self, message: OutgoingMessage) -> SendResult:
        """Record the message as delivered to the simulated phone."""
        provider_id = f"sbx-{self.name}-{self._run}-{next(self._ids)}"
        sent = SentMessage(message.address, message.text, message.buttons, provider_id, message.outbox_id)
        self.sent.append(sent)
        self._by_id[provider_id] = sent
        if self._report is not None:
            task = asyncio.create_task(self._delivered(provider_id))
            self._reports.add(task)
            task.add_done_callback(self._reports.discard)
        return SendResult("sent", provider_id=provider_id)

    async def _delivered(self, provider_id: str) -> None:
        """Report the delivery once the send is recorded; a send never recorded is given up after ten tries."""
        assert self._report is not None
        for _ in range(10):
            await asyncio.sleep(self._report_after)
            try:
                if await self._report(provider_id):
                    return
            except Exception:
                log.exception("sandbox %s: the delivery of %s could not be reported", self.name, provider_id)
                return

    def delivered(self, provider_id: str | None) -> SentMessage | None:
        """The message this channel sent under `provider_id`, or None (not sent by this process: a restart forgets)."""
        return self._by_id.get(provider_id) if provider_id else None

    def answer_press(self, query_id: str, text: str | None) -> None:
        """Record a button press's answer, as Telegram's answerCallbackQuery takes it: a toast when `text`."""
        self.answers[query_id] = text

    def to(self, address: str) -> list[SentMessage]:
        """Messages sent to one address, oldest first."""
        return [m for m in self.sent if m.address == address]
