"""Inbound messages are committed before a webhook answers, many per transaction (group commit)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.store.db import Database
from bot.store.dialect import insert_for
from bot.store.schema import inbound

__all__ = ["InboundMessage", "Inbox"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InboundMessage:
    """One message or button press as a provider delivered it."""

    channel: str  # sms or telegram
    provider_id: str  # unique per channel: Twilio MessageSid, Telegram chat:message or cb:<id>
    sender: str  # E.164 phone or Telegram chat id
    text: str | None
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Pending:
    message: InboundMessage
    received_at: datetime
    done: asyncio.Future[None]


class Inbox:
    """Collects submissions while a transaction is in flight and commits them together.

    `submit` returns only after the message is durable, so a webhook that then answers 200 loses
    nothing if the process dies a moment later. Duplicates (same channel and provider id) are no-ops.
    """

    def __init__(
        self,
        db: Database,
        clock: Callable[[], datetime],
        on_commit: Callable[[], None] = lambda: None,
        max_batch: int = 500,
    ) -> None:
        self._db = db
        self._clock = clock
        self._on_commit = on_commit
        self._max_batch = max_batch
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._waiting = 0  # submissions not yet committed; read by the processor's thread

    def has_waiting(self) -> bool:
        """Whether a webhook is waiting for its commit (the processor then gives way)."""
        return self._waiting > 0

    async def start(self) -> None:
        """Start the committing task in the running loop."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="inbox-commit")

    async def stop(self) -> None:
        """Commit what is queued, then stop."""
        if self._task is None:
            return
        await self._queue.join()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def submit(self, message: InboundMessage) -> None:
        """Return once the message is committed (or was already there)."""
        if self._task is None:
            await self.commit([message])
            return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting += 1
        try:
            await self._queue.put(_Pending(message, self._clock(), done))
            await done
        finally:
            self._waiting -= 1

    async def commit(self, batch: list[InboundMessage], received_at: datetime | None = None) -> None:
        """Write a batch in one transaction, ignoring duplicates."""
        now = received_at or self._clock()
        rows = [
            {
                "channel": m.channel,
                "provider_id": m.provider_id,
                "sender": m.sender,
                "text": m.text,
                "payload": m.payload or None,
                "received_at": now,
            }
            for m in batch
        ]
        stmt = insert_for("sqlite" if self._db.is_sqlite else "postgresql", inbound).on_conflict_do_nothing(
            index_elements=["channel", "provider_id"]
        )
        await self._db.run(lambda conn: conn.execute(stmt, rows))
        self._on_commit()

    async def _run(self) -> None:
        while True:
            first = await self._queue.get()
            batch = [first]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self.commit([p.message for p in batch], first.received_at)
            except Exception as exc:  # the webhook answers 500 and the provider retries
                log.exception("inbound commit failed for %d messages", len(batch))
                for p in batch:
                    if not p.done.done():
                        p.done.set_exception(exc)
                    self._queue.task_done()
                continue
            for p in batch:
                if not p.done.done():
                    p.done.set_result(None)
                self._queue.task_done()
