"""The durable outbox: rows written with the state change that caused them, and the sender that drains them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.channels.base import Channel, OutgoingMessage, SendResult
from bot.db import Database
from bot.metrics import Metrics
from bot.ratelimit import RateLimiter
from bot.schema import messages, outbox, settings_flags, tenants
from bot.texts import Renderer
from conversations.model import Choice
from conversations.values import decode_values, encode_values

__all__ = ["Enqueued", "Sender", "backoff", "enqueue"]

log = logging.getLogger(__name__)

# Delivery status only moves forward; a late "sent" never overwrites "delivered".
STATUS_RANK = {
    "queued": 0,
    "sending": 1,
    "sent": 2,
    "undelivered": 3,
    "failed": 3,
    "delivered": 4,
    "read": 5,
    "received": 0,
    "held": 3,
}


@dataclass(frozen=True)
class Enqueued:
    message_id: int
    outbox_id: int


async def enqueue(
    conn: AsyncConnection,
    *,
    now: datetime,
    channel: str,
    template: str,
    values: Mapping[str, Any],
    language: str,
    idempotency_key: str,
    tenant_id: int | None = None,
    address: str | None = None,
    conversation_id: int | None = None,
    case_id: int | None = None,
    author: str = "bot",
    proactive: bool = False,
    not_before: datetime | None = None,
    text: str | None = None,
    choices: Sequence[tuple[str, str]] = (),
) -> Enqueued:
    """Write a message and its outbox row inside the caller's transaction."""
    message_id = (
        await conn.execute(
            messages.insert()
            .values(
                tenant_id=tenant_id,
                conversation_id=conversation_id,
                case_id=case_id,
                direction="out",
                channel=channel,
                text=text,
                template=template,
                author=author,
                status="queued",
                status_rank=0,
                proactive=proactive,
                created_at=now,
                updated_at=now,
            )
            .returning(messages.c.id)
        )
    ).scalar_one()
    start = not_before or now
    outbox_id = (
        await conn.execute(
            outbox.insert()
            .values(
                message_id=message_id,
                tenant_id=tenant_id,
                address=address,
                channel=channel,
                template=template,
                values=encode_values(dict(values)),
                choices=[list(c) for c in choices] or None,
                language=language,
                proactive=proactive,
                not_before=start,
                attempts=0,
                next_attempt_at=start,
                idempotency_key=idempotency_key,
                state="pending",
                created_at=now,
            )
            .returning(outbox.c.id)
        )
    ).scalar_one()
    return Enqueued(message_id, outbox_id)


def backoff(attempt: int, base: float = 5.0, cap: float = 3600.0, rng: random.Random | None = None) -> float:
    """Exponential backoff with full jitter, in seconds."""
    r = rng or random
    return float(r.uniform(base / 2, min(cap, base * 2 ** max(0, attempt - 1))))


@dataclass(frozen=True)
class _Claimed:
    id: int
    message_id: int
    tenant_id: int | None
    address: str | None
    channel: str
    template: str
    values: dict[str, Any]
    choices: list[list[str]] | None
    language: str
    proactive: bool
    attempts: int


class Sender:
    """Claims due rows with a lease, sends after commit, records the outcome."""

    def __init__(
        self,
        db: Database,
        channels: Mapping[str, Channel],
        renderer: Renderer,
        clock: Callable[[], datetime],
        metrics: Metrics,
        *,
        rates: Mapping[str, RateLimiter],
        lease: timedelta,
        batch: int = 50,
        max_attempts: int = 8,
        paused: Callable[[], bool] = lambda: False,
        status_callback: str | None = None,
        concurrency: int = 32,
        send_timeout: float = 15.0,
    ) -> None:
        self._db = db
        self._channels = channels
        self._renderer = renderer
        self._clock = clock
        self._metrics = metrics
        self._rates = rates
        self._lease = lease
        self._batch = batch
        self._max_attempts = max_attempts
        self._paused = paused
        self._status_callback = status_callback
        self._sem = asyncio.Semaphore(concurrency)
        self._send_timeout = send_timeout
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """Something was enqueued: look now instead of at the next poll."""
        self._wake.set()

    async def start(self, poll: float = 1.0) -> None:
        """Run the drain loop in the background."""
        if self._task is None:
            self._task = asyncio.create_task(self._loop(poll), name="outbox-sender")

    async def stop(self) -> None:
        """Stop the drain loop (a row being sent keeps its lease and is retried later)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self, poll: float) -> None:
        while True:
            try:
                sent = await self.drain_once()
            except Exception:
                log.exception("outbox drain failed")
                sent = 0
            if sent == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), poll)
                self._wake.clear()

    async def drain_once(self) -> int:
        """Claim one batch, send it, record every outcome in one transaction; returns rows handled."""
        rows = await self._claim()
        if not rows:
            return 0
        outcomes = await asyncio.gather(*(self._send_one(row) for row in rows))
        async with self._db.write() as conn:
            for outcome in outcomes:
                await self._record(conn, *outcome)
        return len(rows)

    async def drain(self, max_rounds: int = 1000) -> int:
        """Send everything that is due now (tests and the CLI)."""
        total = 0
        for _ in range(max_rounds):
            n = await self.drain_once()
            if n == 0:
                break
            total += n
        return total

    async def _claim(self) -> list[_Claimed]:
        now = self._clock()
        due = and_(
            outbox.c.state == "pending",
            outbox.c.next_attempt_at <= now,
            or_(outbox.c.lease_until.is_(None), outbox.c.lease_until < now),
        )
        if await self._is_paused():
            due = and_(due, outbox.c.proactive.is_(False))
        ids = select(outbox.c.id).where(due).order_by(outbox.c.id).limit(self._batch)
        if not self._db.is_sqlite:
            ids = ids.with_for_update(skip_locked=True)
        stmt = (
            update(outbox)
            .where(outbox.c.id.in_(ids.scalar_subquery()))
            .values(lease_until=now + self._lease, attempts=outbox.c.attempts + 1)
            .returning(
                outbox.c.id,
                outbox.c.message_id,
                outbox.c.tenant_id,
                outbox.c.address,
                outbox.c.channel,
                outbox.c.template,
                outbox.c["values"],
                outbox.c.choices,
                outbox.c.language,
                outbox.c.proactive,
                outbox.c.attempts,
            )
        )
        async with self._db.write() as conn:
            result = await conn.execute(stmt)
            rows = [_Claimed(*r) for r in result.all()]
        rows.sort(key=lambda r: r.id)
        return rows

    async def _is_paused(self) -> bool:
        """The pause switch: the setting, this process's flag, or the flag another process stored."""
        if self._paused():
            return True
        async with self._db.read() as conn:
            stored = (
                await conn.execute(select(settings_flags.c.value).where(settings_flags.c.name == "paused"))
            ).scalar_one_or_none()
        return stored == "1"

    async def _send_one(self, row: _Claimed) -> tuple[_Claimed, str | None, str | None, SendResult]:
        async with self._sem:
            target = await self._target(row)
            if target is None:
                return row, None, None, SendResult("permanent", detail="held")
            channel_name, address = target
            channel = self._channels.get(channel_name)
            if channel is None:
                return row, channel_name, None, SendResult("permanent", detail="channel off")
            choices = [Choice(key, label) for key, label in row.choices or ()]
            rendered = self._renderer.render(
                row.template, decode_values(row.values), row.language, channel_name, choices
            )
            callback = self._status_callback if channel_name == "sms" else None
            msg = OutgoingMessage(row.id, address, rendered.text, rendered.buttons, callback)
            limiter = self._rates.get(channel_name)
            if limiter is not None:
                await limiter.acquire(address if channel_name == "telegram" else None)
            started = time.perf_counter()
            try:
                result = await asyncio.wait_for(channel.send(msg), self._send_timeout)
            except TimeoutError:
                result = SendResult("transient", detail="timeout")
            self._metrics.send_latency.labels(channel_name).observe(time.perf_counter() - started)
            self._metrics.outbound.labels(channel_name, result.outcome).inc()
            return row, channel_name, rendered.text, result

    async def _target(self, row: _Claimed) -> tuple[str, str] | None:
        """Where this row goes now: the tenant's state may have changed since it was written."""
        if row.tenant_id is None:
            return (row.channel, row.address) if row.address else None
        async with self._db.read() as conn:
            t = (
                await conn.execute(
                    select(
                        tenants.c.status,
                        tenants.c.phone,
                        tenants.c.telegram_chat_id,
                        tenants.c.telegram_blocked,
                    ).where(tenants.c.id == row.tenant_id)
                )
            ).one_or_none()
        if t is None or t.status == "erased":
            return None
        if t.status != "active" and (row.proactive or not row.template.startswith("keyword.")):
            return None
        if row.channel == "telegram" and t.telegram_chat_id is not None and not t.telegram_blocked:
            return "telegram", str(t.telegram_chat_id)
        if t.phone:
            return "sms", t.phone
        return None

    async def _record(
        self,
        conn: AsyncConnection,
        row: _Claimed,
        channel: str | None,
        text: str | None,
        result: SendResult,
    ) -> None:
        now = self._clock()
        match result.outcome:
            case "sent":
                await self._finish(conn, row, "sent", channel, result, text)
            case "permanent" if result.detail == "held":
                await self._finish(conn, row, "held", channel, result, text)
            case "transient" if row.attempts < self._max_attempts:
                delay = result.retry_after or backoff(row.attempts)
                await conn.execute(
                    update(outbox)
                    .where(outbox.c.id == row.id)
                    .values(
                        lease_until=None,
                        next_attempt_at=now + timedelta(seconds=delay),
                        last_error=(result.error_code or result.detail)[:200],
                    )
                )
            case "blocked" if channel == "telegram":
                # The tenant blocked the bot: remember it and send this one by SMS, re-rendered by SMS rules.
                if row.tenant_id is not None:
                    await conn.execute(
                        update(tenants).where(tenants.c.id == row.tenant_id).values(telegram_blocked=True)
                    )
                await conn.execute(
                    update(outbox)
                    .where(outbox.c.id == row.id)
                    .values(channel="sms", lease_until=None, next_attempt_at=now, last_error="blocked")
                )
            case "opted_out":
                if row.tenant_id is not None:
                    await conn.execute(
                        update(tenants).where(tenants.c.id == row.tenant_id).values(status="stopped", updated_at=now)
                    )
                await self._finish(conn, row, "failed", channel, result, text)
            case _:
                await self._finish(conn, row, "failed", channel, result, text)

    async def _finish(
        self,
        conn: AsyncConnection,
        row: _Claimed,
        state: str,
        channel: str | None,
        result: SendResult,
        text: str | None,
    ) -> None:
        now = self._clock()
        error = (result.error_code or result.detail)[:200] or None
        await conn.execute(
            update(outbox).where(outbox.c.id == row.id).values(state=state, lease_until=None, last_error=error)
        )
        facts: dict[str, Any] = {"updated_at": now, "error_code": result.error_code}
        if channel is not None:
            facts["channel"] = channel
        if text is not None:
            facts["text"] = text
        if result.provider_id:
            facts["provider_id"] = result.provider_id
        await conn.execute(update(messages).where(messages.c.id == row.message_id).values(**facts))
        status = {"sent": "sent", "held": "held"}.get(state, "failed")
        rank = STATUS_RANK.get(status, 3)
        # A status callback may have arrived first: never move the delivery status back.
        await conn.execute(
            update(messages)
            .where(messages.c.id == row.message_id, messages.c.status_rank < rank)
            .values(status=status, status_rank=rank)
        )
