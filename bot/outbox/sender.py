"""The outbox sender: claims due rows with a lease, sends after commit, records every outcome.

With several processes the sender is a role (`bot.store.election`): only the process holding it sends, and
it checks that it still holds it before each claim (in the claim's own SQL on PostgreSQL) and before each send.
Rows it claimed but did not send when the role ended go back at once, with their attempt returned.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Coroutine, Mapping
from datetime import datetime, timedelta
from typing import Any, NamedTuple, TypeVar, cast

from jinja2 import TemplateError
from sqlalchemy import ColumnElement, Connection, Integer, String, and_, bindparam, case, func, or_, select, update

from bot.channels.base import Channel, OutgoingMessage, SendResult
from bot.metrics import Metrics
from bot.outbox.depth import refresh_depth
from bot.outbox.ratelimit import RateLimiter
from bot.outbox.render import Renderer, TemplateMissing
from bot.outbox.route import route
from bot.store.db import Database
from bot.store.election import Tenure
from bot.store.flags import PAUSED, read_flag
from bot.store.schema import STATUS_RANK, messages, outbox, tenants
from bot.tenants.status import set_status
from bot.worker import work_until_cancelled
from conversations.model import Channel as ChannelName
from conversations.model import Choice
from conversations.values import decode_values

__all__ = ["RECORD_WAVE_SECONDS", "SECRET_TEMPLATES", "Sender", "backoff"]

T = TypeVar("T")

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
    """What became of one claimed row; no result when it was not sent because the sender stopped first."""

    row: _Claimed
    channel: str | None
    text: str | None
    result: SendResult | None


# Templates whose values are a one-time secret (a Telegram link code, a deep link): once the row is done the
# values are cleared and the message keeps this text instead of what was sent, so no usable code stays stored.
SECRET_TEMPLATES: Mapping[str, str] = {"link.code": "[link code sent]"}


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
    conn: Connection,
    now: datetime,
    until: datetime,
    batch: int,
    paused: bool,
    is_sqlite: bool,
    fence: ColumnElement[bool] | None = None,
) -> list[_Claimed]:
    """Lease a batch of due rows until `until` and read their tenants, in one transaction; with a `fence`
    (the sender role's lock, on PostgreSQL) nothing is claimed unless this process still holds the role."""
    stored = read_flag(conn, PAUSED)
    due = and_(
        outbox.c.state == "pending",
        outbox.c.next_attempt_at <= now,
        or_(outbox.c.lease_until.is_(None), outbox.c.lease_until < now),
    )
    if paused or stored == "1":
        due = and_(due, outbox.c.proactive.is_(False))
    if fence is not None:
        due = and_(due, fence)
    ids = select(outbox.c.id).where(due).order_by(outbox.c.id).limit(batch)
    if not is_sqlite:
        ids = ids.with_for_update(skip_locked=True)
    claimed = conn.execute(
        update(outbox)
        .where(outbox.c.id.in_(ids.scalar_subquery()))
        .values(lease_until=until, attempts=outbox.c.attempts + 1)
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


# A row claimed but never sent goes back as it was, unless its lease ran out and another sender took it.
_RELEASE = (
    update(outbox)
    .where(outbox.c.id == bindparam("row_id"), outbox.c.lease_until == bindparam("claimed_until"))
    .values(lease_until=None, attempts=outbox.c.attempts - 1)
)


def _release_unsent(conn: Connection, outcomes: list[_Outcome], until: datetime) -> list[tuple[_Outcome, SendResult]]:
    """Give back the rows that were not sent; returns the others with their results."""
    tried = [(o, o.result) for o in outcomes if o.result is not None]
    if len(tried) < len(outcomes):
        unsent = [{"row_id": o.row.id, "claimed_until": until} for o in outcomes if o.result is None]
        conn.execute(_RELEASE, unsent)
        log.info("outbox: %d claimed rows go back unsent (the sender stopped)", len(unsent))
    return tried


def _record(conn: Connection, outcomes: list[_Outcome], now: datetime, max_attempts: int, until: datetime) -> None:
    """Write what the providers said, all in one transaction; rows not sent (claimed `until`) go back."""
    finished: list[tuple[_Outcome, str]] = []
    for o, result in _release_unsent(conn, outcomes, until):
        row = o.row
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


_FORGET_VALUES = update(outbox).where(outbox.c.id == bindparam("row_id")).values({outbox.c["values"]: {}})


def _finish(conn: Connection, finished: list[tuple[_Outcome, str]], now: datetime) -> None:
    outboxes, facts, secrets = [], [], []
    for o, state in finished:
        assert o.result is not None
        error = (o.result.error_code or o.result.detail)[:200] or None
        outboxes.append({"row_id": o.row.id, "new_state": state, "error": error})
        status = {"sent": "sent", "held": "held"}.get(state, "failed")
        text = o.text
        placeholder = SECRET_TEMPLATES.get(o.row.template)
        if placeholder is not None:
            secrets.append({"row_id": o.row.id})
            text = placeholder if text is not None and state == "sent" else None
        facts.append(
            {
                "message_id_": o.row.message_id,
                "now": now,
                "code": o.result.error_code,
                "sent_on": o.channel,
                "sent_text": text,
                "sid": o.result.provider_id or None,
                "new_status": status,
                "rank": STATUS_RANK[status],
            }
        )
    conn.execute(_FINISH_OUTBOX, outboxes)
    conn.execute(_FINISH_MESSAGE, facts)
    if secrets:
        conn.execute(_FORGET_VALUES, secrets)


# How often the outcomes of a batch that is still being sent are written.
RECORD_WAVE_SECONDS = 0.2


def _results(done: set[asyncio.Task[_Outcome]]) -> list[_Outcome]:
    outcomes = []
    for task in done:
        if task.cancelled() or task.exception() is not None:
            # Not a provider's answer (a bug, or a drain cancelled by hand): the row keeps its lease and is tried
            # again when it ends.
            log.error("an outbox send did not finish: %r", None if task.cancelled() else task.exception())
            continue
        outcomes.append(task.result())
    return outcomes


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("recording the last sends of a batch failed: %r", task.exception())


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
        self._tenure: Tenure | None = None  # the sender role, while the workers run; None when driven by hand
        self._stopping = False
        self._batches: set[asyncio.Task[Any]] = set()  # the workers' batches under way, and their slow sends
        self._queued: set[asyncio.Task[Any]] = set()  # sends waiting for their turn under the rate limit

    def wake(self) -> None:
        """Something was enqueued: look now instead of at the next poll."""
        self._wake.set()

    async def start(self, tenure: Tenure | None = None, poll: float = 1.0) -> None:
        """Run the drain workers in the background, for as long as `tenure` holds the sender role."""
        if not self._tasks:
            self._tenure = tenure
            self._stopping = False
            self._tasks = [
                asyncio.create_task(
                    work_until_cancelled(self._work, self._wake, poll, "outbox drain"), name=f"outbox-sender-{i}"
                )
                for i in range(self._workers)
            ]

    async def stop(self) -> None:
        """Stop draining: sends under way finish and are recorded; claimed rows not yet sent go back at once."""
        self._stopping = True
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        for task in list(self._queued):
            task.cancel()
        while self._batches:  # a batch may leave its last slow sends to a task of their own meanwhile
            for failed in await asyncio.gather(*self._batches, return_exceptions=True):
                if isinstance(failed, Exception):
                    log.error("an outbox batch failed while the sender stopped: %s", type(failed).__name__)
        self._tenure = None
        self._stopping = False

    def _may_send(self) -> bool:
        return not self._stopping and (self._tenure is None or self._tenure.holds())

    async def _work(self) -> int:
        # Shielded: stopping the workers lets a batch finish the sends under way and record them, instead of
        # cancelling sends whose outcome would then be unknown (and the message perhaps sent twice).
        batch = self._track(self.drain_once(detach=True))
        return await asyncio.shield(batch)

    def _track(self, work: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        task = asyncio.ensure_future(work)
        self._batches.add(task)
        task.add_done_callback(self._batches.discard)
        return task

    async def drain_once(self, *, detach: bool = False) -> int:
        """Claim one batch, send it, record the outcomes as they come in; returns rows handled.

        With `detach` (the workers), the last few sends of a batch that are still waiting on a slow provider are
        recorded by a task of their own, so the worker claims its next batch without waiting for them.
        """
        if not self._may_send():
            return 0
        now = self._clock()
        until = now + self._lease
        fence = self._tenure.fence() if self._tenure is not None else None
        rows = await self._db.run(_claim, now, until, self._batch, self._paused(), self._db.is_sqlite, fence)
        if not rows:
            await refresh_depth(self._db, self._metrics)  # the outbox depth gauge, kept by the sender's work
            return 0
        sends = {asyncio.create_task(self._send_one(row)) for row in rows}
        await self._record_as_sent(sends, until, stragglers=len(rows) // 10 if detach else -1)
        await refresh_depth(self._db, self._metrics, busy=True)
        return len(rows)

    async def _record_as_sent(self, sends: set[asyncio.Task[_Outcome]], until: datetime, stragglers: int) -> None:
        """Record outcomes in waves as sends finish (a row sent is soon recorded as sent, so a crash repeats few);
        when no more than `stragglers` sends are left after a wave, a task of their own waits for them."""
        pending = sends
        try:
            while pending:
                done, pending = await asyncio.wait(pending, timeout=RECORD_WAVE_SECONDS)
                if done:
                    await self._db.run(_record, _results(done), self._clock(), self._max_attempts, until)
                if pending and len(pending) <= stragglers:
                    self._track(self._record_as_sent(pending, until, stragglers=-1)).add_done_callback(_log_failure)
                    return
        except asyncio.CancelledError:
            for task in pending:  # as gather would: a drain cancelled from outside takes its sends with it
                task.cancel()
            raise

    async def _take_turn(self, limiter: RateLimiter, key: str | None) -> bool:
        """Wait for the channel's rate; False when the sender stops meanwhile."""
        task = asyncio.current_task()
        assert task is not None
        self._queued.add(task)
        try:
            await limiter.acquire(key)
        except asyncio.CancelledError:
            if not self._stopping:
                raise
            task.uncancel()  # our own stop cancelled the wait: this row goes back unsent
            return False
        finally:
            self._queued.discard(task)
        return True

    async def _send_one(self, row: _Claimed) -> _Outcome:
        async with self._sem:
            if not self._may_send():
                return _Outcome(row, None, None, None)
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
            key = address if channel_name == "telegram" else None
            if limiter is not None and not await self._take_turn(limiter, key):
                return _Outcome(row, None, None, None)
            # The last moment to notice that the role went elsewhere while this row waited for its turn.
            if not self._may_send():
                return _Outcome(row, None, None, None)
            started = time.perf_counter()
            try:
                # The lease outlasts this limit, so a slow send is never taken twice.
                async with asyncio.timeout(self._send_timeout):
                    result = await channel.send(msg)
            except TimeoutError:
                result = SendResult("transient", detail="timeout")
            self._metrics.sent(channel_name, result.outcome, time.perf_counter() - started)
            return _Outcome(row, channel_name, rendered.text, result)
