"""The outbox sender: claims due rows with a lease, sends after commit, records every outcome."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, NamedTuple, cast

from jinja2 import TemplateError
from sqlalchemy import Connection, Integer, String, and_, bindparam, case, func, or_, select, update

from bot.channels.base import Channel, OutgoingMessage, SendResult
from bot.metrics import Metrics
from bot.outbox.ratelimit import RateLimiter
from bot.outbox.render import Renderer, TemplateMissing
from bot.outbox.route import route
from bot.store.db import Database
from bot.store.flags import PAUSED, read_flag
from bot.store.schema import STATUS_RANK, messages, outbox, tenants
from bot.tenants.status import set_status
from bot.worker import work_until_cancelled
from conversations.model import Channel as ChannelName
from conversations.model import Choice
from conversations.values import decode_values

__all__ = ["Sender", "backoff"]

log = logging.getLogger(__name__)


class _Claimed(NamedTuple):
    """A leased outbox row with its tenant as they are now (a tuple: a batch builds hundreds of these)."""

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
    # The tenant as it is now: opted out, blocked or re-linked since the row was written.
    status: str | None = None
    phone: str | None = None
    chat_id: int | None = None
    blocked: bool = False


class _Outcome(NamedTuple):
    """What became of one claimed row."""

    row: _Claimed
    channel: str | None
    text: str | None
    result: SendResult


# Answers to the tenant's own keyword (STOP, START, HELP, withdrawal): all a tenant who is not active may receive.
_KEYWORD_ANSWERS = ("keyword.", "help_info.about", "consent.withdrawn", "consent.nothing_to_withdraw")


def backoff(attempt: int, base: float = 5.0, cap: float = 3600.0, rng: random.Random | None = None) -> float:
    """Exponential backoff with full jitter, in seconds."""
    r = rng or random
    return float(r.uniform(base / 2, min(cap, base * 2 ** max(0, attempt - 1))))


def _target(row: _Claimed) -> tuple[str, str] | None:
    """Where this row goes now, or None when a rule holds it back."""
    if row.tenant_id is None:
        return (row.channel, row.address) if row.address else None
    if row.status is None or row.status == "erased":
        return None
    # An opted-out or wrong number gets nothing but the answer to that very keyword (STOP, START, HELP).
    if row.status != "active" and (row.proactive or not row.template.startswith(_KEYWORD_ANSWERS)):
        return None
    return route(row.channel, row.phone, row.chat_id, row.blocked)


def _claim(
    conn: Connection, now: datetime, lease: timedelta, batch: int, paused: bool, is_sqlite: bool
) -> list[_Claimed]:
    """Lease a batch of due rows and read their tenants, in one transaction."""
    stored = read_flag(conn, PAUSED)
    due = and_(
        outbox.c.state == "pending",
        outbox.c.next_attempt_at <= now,
        or_(outbox.c.lease_until.is_(None), outbox.c.lease_until < now),
    )
    if paused or stored == "1":
        due = and_(due, outbox.c.proactive.is_(False))
    ids = select(outbox.c.id).where(due).order_by(outbox.c.id).limit(batch)
    if not is_sqlite:
        ids = ids.with_for_update(skip_locked=True)
    claimed = conn.execute(
        update(outbox)
        .where(outbox.c.id.in_(ids.scalar_subquery()))
        .values(lease_until=now + lease, attempts=outbox.c.attempts + 1)
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
    ).all()
    tenant_ids = {r.tenant_id for r in claimed if r.tenant_id is not None}
    facts = {
        t.id: t
        for t in conn.execute(
            select(
                tenants.c.id, tenants.c.status, tenants.c.phone, tenants.c.telegram_chat_id, tenants.c.telegram_blocked
            ).where(tenants.c.id.in_(tenant_ids))
        )
    }
    rows = []
    for r in claimed:
        t = facts.get(r.tenant_id)
        extra = (t.status, t.phone, t.telegram_chat_id, bool(t.telegram_blocked)) if t is not None else ()
        rows.append(_Claimed(*r, *extra))
    rows.sort(key=lambda r: r.id)
    return rows


# Built once; a batch's outcomes are written with a few executemany calls.
_FINISH_OUTBOX = (
    update(outbox)
    .where(outbox.c.id == bindparam("row_id"))
    .values(state=bindparam("new_state"), lease_until=None, last_error=bindparam("error"))
)
# A status callback may have arrived first: the delivery status never moves back.
_ahead = messages.c.status_rank < bindparam("rank", type_=Integer)
_FINISH_MESSAGE = (
    update(messages)
    .where(messages.c.id == bindparam("message_id_"))
    .values(
        updated_at=bindparam("now"),
        error_code=bindparam("code"),
        channel=func.coalesce(bindparam("sent_on", type_=String), messages.c.channel),
        text=func.coalesce(bindparam("sent_text", type_=String), messages.c.text),
        provider_id=func.coalesce(bindparam("sid", type_=String), messages.c.provider_id),
        status=case((_ahead, bindparam("new_status", type_=String)), else_=messages.c.status),
        status_rank=case((_ahead, bindparam("rank", type_=Integer)), else_=messages.c.status_rank),
    )
)


def _record(conn: Connection, outcomes: list[_Outcome], now: datetime, max_attempts: int) -> None:
    """Write what the providers said, all in one transaction."""
    finished: list[tuple[_Outcome, str]] = []
    for o in outcomes:
        row, result = o.row, o.result
        match result.outcome:
            case "sent":
                finished.append((o, "sent"))
            case "permanent" if result.detail == "held":
                finished.append((o, "held"))
            case "transient" if row.attempts < max_attempts:
                delay = result.retry_after or backoff(row.attempts)
                conn.execute(
                    update(outbox)
                    .where(outbox.c.id == row.id)
                    .values(
                        lease_until=None,
                        next_attempt_at=now + timedelta(seconds=delay),
                        last_error=(result.error_code or result.detail)[:200],
                    )
                )
            case "blocked" | "permanent" if o.channel == "telegram" and row.phone:
                # Telegram cannot deliver this one (blocked, chat gone, refused): send it by SMS instead,
                # re-rendered by the SMS rules. A blocked bot is remembered for everything after it too.
                if result.outcome == "blocked" and row.tenant_id is not None:
                    conn.execute(update(tenants).where(tenants.c.id == row.tenant_id).values(telegram_blocked=True))
                conn.execute(
                    update(outbox)
                    .where(outbox.c.id == row.id)
                    .values(channel="sms", lease_until=None, next_attempt_at=now, last_error=result.outcome)
                )
            case "blocked" if row.tenant_id is not None:
                conn.execute(update(tenants).where(tenants.c.id == row.tenant_id).values(telegram_blocked=True))
                finished.append((o, "failed"))
            case "opted_out":
                if row.tenant_id is not None:
                    set_status(conn, row.tenant_id, "stopped", now, only_from=("active",))
                finished.append((o, "failed"))
            case _:
                finished.append((o, "failed"))
    if finished:
        _finish(conn, finished, now)


def _finish(conn: Connection, finished: list[tuple[_Outcome, str]], now: datetime) -> None:
    outboxes, facts = [], []
    for o, state in finished:
        error = (o.result.error_code or o.result.detail)[:200] or None
        outboxes.append({"row_id": o.row.id, "new_state": state, "error": error})
        status = {"sent": "sent", "held": "held"}.get(state, "failed")
        facts.append(
            {
                "message_id_": o.row.message_id,
                "now": now,
                "code": o.result.error_code,
                "sent_on": o.channel,
                "sent_text": o.text,
                "sid": o.result.provider_id or None,
                "new_status": status,
                "rank": STATUS_RANK[status],
            }
        )
    conn.execute(_FINISH_OUTBOX, outboxes)
    conn.execute(_FINISH_MESSAGE, facts)


class Sender:
    """Drains the outbox: two workers overlap, so one sends while the other claims or records."""

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
        workers: int = 2,
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
        self._workers = workers
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def wake(self) -> None:
        """Something was enqueued: look now instead of at the next poll."""
        self._wake.set()

    async def start(self, poll: float = 1.0) -> None:
        """Run the drain workers in the background."""
        if not self._tasks:
            self._tasks = [
                asyncio.create_task(
                    work_until_cancelled(self.drain_once, self._wake, poll, "outbox drain"), name=f"outbox-sender-{i}"
                )
                for i in range(self._workers)
            ]

    async def stop(self) -> None:
        """Stop draining (a row being sent keeps its lease and is retried later)."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def drain_once(self) -> int:
        """Claim one batch, send it, record every outcome in one transaction; returns rows handled."""
        now = self._clock()
        rows = await self._db.run(_claim, now, self._lease, self._batch, self._paused(), self._db.is_sqlite)
        if not rows:
            return 0
        outcomes = await asyncio.gather(*(self._send_one(row) for row in rows))
        await self._db.run(_record, list(outcomes), self._clock(), self._max_attempts)
        return len(rows)

    async def _send_one(self, row: _Claimed) -> _Outcome:
        async with self._sem:
            target = _target(row)
            if target is None:
                return _Outcome(row, None, None, SendResult("permanent", detail="held"))
            channel_name, address = target
            channel = self._channels.get(channel_name)
            if channel is None:
                return _Outcome(row, channel_name, None, SendResult("permanent", detail="channel off"))
            choices = [Choice(key, label) for key, label in row.choices or ()]
            try:
                rendered = self._renderer.render(
                    row.template, decode_values(row.values), row.language, cast(ChannelName, channel_name), choices
                )
            except (TemplateMissing, TemplateError, TypeError, ValueError) as exc:
                # A text that cannot be rendered never will be: fail this row, not its batch.
                log.error("outbox %s: template %s does not render: %s", row.id, row.template, type(exc).__name__)
                return _Outcome(row, channel_name, None, SendResult("permanent", detail="does not render"))
            callback = self._status_callback if channel_name == "sms" else None
            msg = OutgoingMessage(row.id, address, rendered.text, rendered.buttons, callback)
            limiter = self._rates.get(channel_name)
            if limiter is not None:
                await limiter.acquire(address if channel_name == "telegram" else None)
            started = time.perf_counter()
            try:
                # The lease outlasts this limit, so a slow send is never taken twice.
                async with asyncio.timeout(self._send_timeout):
                    result = await channel.send(msg)
            except TimeoutError:
                result = SendResult("transient", detail="timeout")
            self._metrics.sent(channel_name, result.outcome, time.perf_counter() - started)
            return _Outcome(row, channel_name, rendered.text, result)
