"""The outbox sender: claims due rows with a lease, sends after commit, records every outcome.

The work is split by job: `bot.outbox.claim` picks the rows that go now (answers first, a few seconds' worth per
channel; proactive rows that cannot go wait), `bot.outbox.checks` takes the last look before a proactive send
(the pause, the tenant's status), `bot.outbox.record` writes what became of each row, and this module runs the
workers and sends one row.

One send per message: a claim takes at most `claim_seconds` worth of sends at each channel's rate, for answers
and for proactive rows apart, counted over all the workers of the process, so a claimed row gets its turn long
before its lease runs out whatever the rate and the batch size; and a row whose lease would no longer cover its
send goes back unsent instead of being sent late.

With several processes the sender is a role (`bot.store.election`): only the process holding it sends, and
it checks that it still holds it before each claim (in the claim's own SQL on PostgreSQL) and before each send.
Rows it claimed but did not send when the role ended go back at once, with their attempt returned.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import Counter
from collections.abc import Callable, Collection, Coroutine, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

from jinja2 import TemplateError

from bot.channels.base import Channel, OutgoingMessage, SendResult
from bot.metrics import Metrics
from bot.outbox.checks import PAUSED_NOW, SendCheck
from bot.outbox.claim import NO_CHANNEL, PAUSED_REASON, Claimed, Window, claim
from bot.outbox.depth import refresh_depth
from bot.outbox.ratelimit import RateLimiter
from bot.outbox.record import SECRET_TEMPLATES, Outcome, backoff, record
from bot.outbox.render import Renderer, TemplateMissing
from bot.outbox.route import CHANNELS, route
from bot.outbox.sms_rules import amount_like, forbidden_words_in
from bot.outbox.trouble import SendTrouble
from bot.store.db import Database
from bot.store.election import Tenure
from bot.store.schema import FAILED_STATUSES
from bot.worker import work_until_cancelled
from conversations.model import Channel as ChannelName
from conversations.model import Choice
from conversations.values import decode_values

__all__ = [
    "CLAIM_SECONDS",
    "FRESH_SECONDS",
    "LINGER_ROWS",
    "LINGER_SECONDS",
    "PAUSED_POLL_SECONDS",
    "RECORD_WAVE_SECONDS",
    "SECRET_TEMPLATES",
    "Sender",
    "backoff",
]

T = TypeVar("T")

log = logging.getLogger(__name__)

# A claim takes at most this many seconds' worth of sends at the channel's rate (answers and proactive rows
# apart), counted over every worker: a reply is claimed at once, and no claimed row waits near its lease.
CLAIM_SECONDS = 2.0
# A proactive row that goes out later than this after its claim read the tenant is looked at again first.
FRESH_SECONDS = 0.1
# While paused, an idle worker looks this often (otherwise every `poll` seconds, or when woken).
PAUSED_POLL_SECONDS = 0.2
# How often the outcomes of a batch that is still being sent are written.
RECORD_WAVE_SECONDS = 0.2
# While the database cannot take a wave's outcomes, the sender tries again after this long, doubling up to the max.
RECORD_RETRY_SECONDS = 0.5
RECORD_RETRY_MAX_SECONDS = 5.0
# A worker whose batch held fewer rows than this waits so long before it claims again (the other worker still
# answers a wake at once): under a steady load its next claim takes what was enqueued meanwhile, so fewer claims
# and records, each a transaction, carry the same messages. In alternating rounds of `bench/inbound.py` it cost
# about a seventh less CPU a message and lowered the webhooks' p99 at 80 % of the capacity (bench/README.md,
# 2026-12-04); an answer may wait this much longer.
LINGER_ROWS = 16
LINGER_SECONDS = 0.02
# The templates that carry a person's own words, checked against the SMS rule when they go by SMS, and why one that
# broke it was not sent (its row's last_error; bot/console/delivery.py says it).
OWN_WORDS = ("case.reply",)
SMS_RULE = "sms rule"

# Answers to the tenant's own keyword (STOP, START, HELP, withdrawal): all a tenant who is not active may receive.
_KEYWORD_ANSWERS = ("keyword.", "help_info.about", "consent.withdrawn", "consent.nothing_to_withdraw")


def _held_because(row: Claimed) -> str | None:
    """Why a rule holds this row back for good (the outbox row's reason), or None when it may go."""
    if row.tenant_id is None:
        return None if row.address else "no address"
    if row.status is None or row.status == "erased":
        return "erased"
    # An opted-out or wrong number gets nothing but the answer to that very keyword (STOP, START, HELP).
    if row.status != "active" and (row.proactive or not row.template.startswith(_KEYWORD_ANSWERS)):
        return row.status
    if route(row.channel, row.phone, row.chat_id, row.blocked) is None:
        return "no address"
    return None


def _target(row: Claimed, channels: Collection[str]) -> tuple[str, str] | None:
    """Where this row goes now on the configured channels, or None when none of them reaches it."""
    if row.tenant_id is None:
        return (row.channel, row.address) if row.address and row.channel in channels else None
    return route(row.channel, row.phone, row.chat_id, row.blocked, channels)


def _results(done: set[asyncio.Task[Outcome]]) -> list[Outcome]:
    outcomes = []
    for task in done:
        if task.cancelled() or task.exception() is not None:
            # Not a provider's answer (a bug, or a drain cancelled by hand): the row keeps its lease and is tried
            # again when it ends.
            log.error("an outbox send did not finish: %r", None if task.cancelled() else task.exception())
            continue
        outcomes.append(task.result())
    return outcomes


def _mark(o: Outcome) -> bool:
    """Whether a row sent by this process may have reached its tenant twice: the mark it had when this process
    claimed it, or this send's unknown outcome (what a claim taking it again after a lapsed lease must not add to)."""
    return o.row.maybe_sent or (o.result is not None and o.result.maybe_sent)


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
        paused: bool = False,
        window: Window | None = None,
        status_callback: str | None = None,
        concurrency: int = 32,
        send_timeout: float = 15.0,
        workers: int = 2,
        claim_seconds: float = CLAIM_SECONDS,
        linger: float = LINGER_SECONDS,
        forbidden_words: Sequence[str] = (),
    ) -> None:
        self._db = db
        self._forbidden_words = tuple(forbidden_words)  # KEEPHOME_FORBIDDEN_SMS_WORDS, for a text falling back to SMS
        self._channels = channels
        self._renderer = renderer
        self._clock = clock
        self._metrics = metrics
        self._trouble = SendTrouble(metrics)
        for name in channels:  # 0 while the provider answers: the series is there before any try has failed
            metrics.send_failing_since.labels(name).set(0)
        self._rates = rates
        self._lease = lease
        self._batch = batch
        self._max_attempts = max_attempts
        self._paused = paused  # KEEPHOME_PAUSED; the console's switch is read from the database each time
        self._window = window
        self._status_callback = status_callback
        # Answers and proactive rows take turns under separate limits, so a campaign never holds up a reply.
        self._sems = {False: asyncio.Semaphore(concurrency), True: asyncio.Semaphore(concurrency)}
        self._send_timeout = send_timeout
        self._workers = workers
        self._claim_seconds = claim_seconds
        self._linger = linger
        self._check = SendCheck(db, paused_setting=paused)
        self._in_flight: Counter[tuple[bool, str]] = Counter()  # claimed and not yet sent: (proactive, channel)
        # Rows whose send is under way or whose outcome is not yet recorded: a claim that takes one again (its lease
        # looked over because the system clock jumped ahead) leaves it to the send under way.
        self._sending: set[int] = set()
        # Rows sent (or maybe sent) whose outcome the database did not take before their lease ended: kept here, and
        # written when a claim takes the row again, instead of sending it a second time (while this process lives).
        self._unrecorded: dict[int, Outcome] = {}
        # Rows claimed again while their send was under way here (`_not_under_way`): that claim marked them as maybe
        # sent twice, and the send under way, their only one, writes back the mark they had.
        self._reclaimed: set[int] = set()
        self._claiming = asyncio.Lock()
        # Claims finished, and whether the last one left nothing due: a worker that waited for its turn to claim
        # while another's claim took every due row skips its own (it would only find none).
        self._claims = 0
        self._drained = False
        self._reopened = False  # rows waiting for a channel get one look from each new sender
        # Rows the pause set aside may be waiting (each new sender looks once); counted up whenever this sender
        # sets one aside, so a claim that began before knows it did not see it.
        self._paused_aside: int | None = 0
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._tenure: Tenure | None = None  # the sender role, while the workers run; None when driven by hand
        self._stopping = False
        self._batches: set[asyncio.Task[Any]] = set()  # the workers' batches under way, and their slow sends
        self._queued: set[asyncio.Task[Any]] = set()  # sends waiting for their turn under the rate limit

    @property
    def checks(self) -> SendCheck:
        """The last look before proactive sends (its `reads` count shows how often it read)."""
        return self._check

    def wake(self) -> None:
        """Something was enqueued: look now instead of at the next poll."""
        self._wake.set()

    async def start(self, tenure: Tenure | None = None, poll: float = 0.5) -> None:
        """Run the drain workers in the background, for as long as `tenure` holds the sender role.

        `poll` is how often an idle worker looks anyway: the pause switch flipped through another process (or a
        row whose time came) is noticed within it.
        """
        if not self._tasks:
            self._tenure = tenure
            self._stopping = False
            self._paused_aside = 0  # a new tenure: another sender may have set rows aside meanwhile
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
        self._trouble.forget()
        # Counted by the process that sends: from now on another one's, so this one shows none (not its last count).
        self._metrics.stopped_sending()

    def _may_send(self) -> bool:
        return not self._stopping and (self._tenure is None or self._tenure.holds())

    async def _work(self) -> int:
        # Shielded: stopping the workers lets a batch finish the sends under way and record them, instead of
        # cancelling sends whose outcome would then be unknown (and the message perhaps sent twice).
        batch = self._track(self.drain_once(detach=True))
        handled = await asyncio.shield(batch)
        if 0 < handled < LINGER_ROWS:
            await asyncio.sleep(self._linger)  # stop() cancels it like any wait: nothing is claimed meanwhile
        return handled

    def _track(self, work: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        task = asyncio.ensure_future(work)
        self._batches.add(task)
        task.add_done_callback(self._batches.discard)
        return task

    def _wants(self) -> dict[tuple[bool, str], int]:
        """How many more rows of each kind (proactive or not, channel) this process may hold claimed now: at most
        `claim_seconds` worth at the rate, over all workers."""
        wants = {}
        for proactive in (False, True):
            for channel in CHANNELS:
                wants[(proactive, channel)] = max(0, self._cap(channel) - self._in_flight[(proactive, channel)])
        return wants

    def _cap(self, channel: str) -> int:
        limiter = self._rates.get(channel)
        cap = self._batch * self._workers
        if limiter is not None:
            cap = max(1, min(cap, math.ceil(limiter.rate * self._claim_seconds)))
        return cap

    async def drain_once(self, *, detach: bool = False) -> int:
        """Claim one batch, send it, record the outcomes as they come in; returns rows handled (sent, failed,
        held, or set aside to wait or dropped).

        With `detach` (the workers), the last few sends of a batch that are still waiting on a slow provider are
        recorded by a task of their own, so the worker claims its next batch without waiting for them.
        """
        if not self._may_send():
            return 0
        ticket = self._claims
        async with self._claiming:
            if self._claims != ticket and self._drained:
                # Both workers were woken for the same rows and the other one took them all while this one waited.
                # Rows enqueued since set the wake again, so this worker looks once more right away.
                return 0
            wants = self._wants()
            if not any(wants.values()):
                return 0  # every kind is at its budget: the sends under way come first
            now = self._clock()
            until = now + self._lease
            fence = self._tenure.fence() if self._tenure is not None else None
            seen = self._paused_aside
            taken = await self._db.run(
                claim,
                now,
                until,
                wants,
                self._batch,
                channels=frozenset(self._channels),
                paused_setting=self._paused,
                window=self._window,
                reopen_no_channel=not self._reopened,
                reopen_paused=seen is not None,
                is_sqlite=self._db.is_sqlite,
                fence=fence,
            )
            self._reopened = True
            self._claims += 1
            self._drained = taken.drained
            self._metrics.paused.set(1 if taken.paused else 0)  # each claim reads the switch: no query of its own
            if taken.paused:
                self._paused_aside = (self._paused_aside or 0) + 1  # it set the due rows aside
            elif self._paused_aside == seen:
                self._paused_aside = None  # it put them back, and no send set one aside meanwhile
            rows = self._not_under_way(taken.rows)
            sent_before = [row for row in rows if row.id in self._unrecorded]
            rows = [row for row in rows if row.id not in self._unrecorded]
            self._say_lapsed(rows)
            for row in rows:
                self._in_flight[(row.proactive, row.channel)] += 1
        if sent_before:
            await self._record_sent_before(sent_before, until)
        claimed_at = time.monotonic()
        if taken.paused and self._tasks:
            # Paused: look again soon, so a resume made through any process holds here within a moment.
            asyncio.get_running_loop().call_later(PAUSED_POLL_SECONDS, self._wake.set)
        if taken.set_aside:
            # rows moved into or out of waiting
            await refresh_depth(self._db, self._metrics, force=True, now=self._clock())
        if not rows:
            if not taken.set_aside:
                await refresh_depth(self._db, self._metrics, now=self._clock())  # the gauges, kept by the sender's work
            return taken.set_aside + len(sent_before)
        sends = {asyncio.create_task(self._send_one(row, until, claimed_at)) for row in rows}
        await self._record_as_sent(sends, until, stragglers=len(rows) // 10 if detach else -1)
        await refresh_depth(self._db, self._metrics, busy=True, now=self._clock())
        return len(rows) + taken.set_aside + len(sent_before)

    def _say_lapsed(self, rows: list[Claimed]) -> None:
        """Rows claimed after an earlier holder's lease ran out with nothing recorded (killed or crashed after its
        claim, perhaps after the provider took the message): the claim marked each as maybe sent twice; they are
        counted as sends of unknown outcome and named."""
        lapsed = [row for row in rows if row.lapsed]
        if not lapsed:
            return
        for row in lapsed:
            self._metrics.unknown_outcome.labels(row.channel).inc()
        log.warning(
            "outbox: %d row(s) claimed after an earlier holder stopped without recording its send (its lease ran "
            "out); each goes again, marked as perhaps reaching the tenant twice: %s",
            len(lapsed),
            [row.id for row in lapsed],
        )

    async def _record_sent_before(self, rows: list[Claimed], until: datetime) -> None:
        """Rows claimed again whose send went out before and whose outcome the database did not take then: that
        outcome is written now, under this claim's lease, and nothing is sent. The claim took their lease as lapsed
        and marked them as maybe sent twice; this process knows they went once, so each keeps the mark it had."""
        outcomes = []
        for row in rows:
            kept = self._unrecorded.pop(row.id)
            # The row as claimed again, with the mark it had before that claim (what its first claim read).
            outcomes.append(kept._replace(row=row._replace(maybe_sent=kept.row.maybe_sent, lapsed=False)))
        log.info("outbox: %d row(s) sent before are recorded now, not sent again: %s", len(rows), [r.id for r in rows])
        marks = {o.row.id: _mark(o) for o in outcomes}
        self._failed_for_good(await self._record(outcomes, until, marks))

    def _not_under_way(self, rows: list[Claimed]) -> list[Claimed]:
        """The claimed rows but those this process is sending now: such a row's lease looked over only because the
        system clock jumped ahead of it (a resumed virtual machine, a clock set by hand); the send under way records
        it, and sending it again would reach the tenant twice."""
        again = [row.id for row in rows if row.id in self._sending]
        if not again:
            return rows
        log.warning(
            "outbox: %d row(s) claimed again while its send was under way (the system clock jumped ahead of the "
            "lease?); each is left to the send under way: %s",
            len(again),
            again,
        )
        self._reclaimed.update(again)
        return [row for row in rows if row.id not in self._sending]

    async def _record_as_sent(self, sends: set[asyncio.Task[Outcome]], until: datetime, stragglers: int) -> None:
        """Record outcomes in waves as sends finish (a row sent is soon recorded as sent, so a crash repeats few);
        when no more than `stragglers` sends are left after a wave, a task of their own waits for them."""
        pending = sends
        try:
            while pending:
                done, pending = await asyncio.wait(pending, timeout=RECORD_WAVE_SECONDS)
                if done:
                    outcomes = _results(done)
                    try:
                        failed = await self._record(outcomes, until, self._marks_of_reclaimed(outcomes))
                    finally:
                        self._sending.difference_update(o.row.id for o in outcomes)
                    self._failed_for_good(failed)
                    if any(o.aside == ("waiting", PAUSED_REASON) for o in outcomes):
                        # Counted once they are written: a claim that began before did not see them.
                        self._paused_aside = (self._paused_aside or 0) + 1
                    if any(o.aside is not None and o.aside[0] == "waiting" for o in outcomes):
                        await refresh_depth(self._db, self._metrics, force=True, now=self._clock())
                if pending and len(pending) <= stragglers:
                    self._track(self._record_as_sent(pending, until, stragglers=-1)).add_done_callback(_log_failure)
                    return
        except asyncio.CancelledError:
            for task in pending:  # as gather would: a drain cancelled from outside takes its sends with it
                task.cancel()
            raise

    def _marks_of_reclaimed(self, outcomes: list[Outcome]) -> dict[int, bool] | None:
        """The marks to write back for rows claimed again while this process sent them (`_reclaimed`)."""
        if not self._reclaimed:
            return None
        marks = {}
        for o in outcomes:
            if o.row.id in self._reclaimed:
                self._reclaimed.discard(o.row.id)
                marks[o.row.id] = _mark(o)
        return marks

    async def _record(
        self, outcomes: list[Outcome], until: datetime, marks: Mapping[int, bool] | None = None
    ) -> list[tuple[Outcome, str]]:
        """Write a wave's outcomes; while the database is away (PostgreSQL restarting, a connection cut, SQLite's
        lock held elsewhere) the sender keeps what the providers said and tries again until the rows' lease is nearly
        over. If the database stays away that long, the rows sent (or maybe sent) are kept in memory and written when
        a claim takes them again (`_unrecorded`), never sent a second time by this process; an error names them (a
        process stopped before then sends them again: their outcome was never written). The rest go back as their
        lease ends: nothing of theirs went out."""
        pause = RECORD_RETRY_SECONDS
        while True:
            early: list[tuple[str, str]] = []
            try:
                failed = await self._db.run(record, outcomes, self._clock(), self._max_attempts, until, marks, early)
            except Exception as exc:
                left = (until - self._clock()).total_seconds() - self._send_timeout
                if left <= pause:
                    gone = [
                        o
                        for o in outcomes
                        if o.result is not None and (o.result.outcome == "sent" or o.result.maybe_sent)
                    ]
                    self._unrecorded.update((o.row.id, o) for o in gone)
                    log.error(
                        "outbox: the outcomes of %d row(s) could not be recorded (%r); these, sent already, are kept "
                        "and recorded when the database answers again, not sent again (unless this process stops "
                        "first): %s",
                        len(outcomes),
                        exc,
                        [o.row.id for o in gone],
                    )
                    return []
                log.warning(
                    "outbox: recording %d outcome(s) failed (%r); trying again in %.1f s", len(outcomes), exc, pause
                )
                await asyncio.sleep(pause)
                pause = min(pause * 2, RECORD_RETRY_MAX_SECONDS)
                continue
            self._count_early(early)
            return failed

    def _count_early(self, early: list[tuple[str, str]]) -> None:
        """Count the status callbacks that came before their sid was recorded and were applied with it, as the
        callback's own webhook counts one (bot/webhooks/twilio.py): a failure that moved the status, once."""
        for status, result in early:
            self._metrics.inbound.labels("sms", result).inc()
            if result == "status_applied" and status in FAILED_STATUSES:
                self._metrics.delivery_failed.labels("sms", status).inc()
            # As the webhook logs one: a failure at INFO, a delivery at DEBUG.
            level = logging.INFO if status in FAILED_STATUSES else logging.DEBUG
            log.log(level, "sms status kept before its sid was recorded: status=%s result=%s", status, result)

    def _failed_for_good(self, failed: list[tuple[Outcome, str]]) -> None:
        """Say what could not be sent: a warning and `keephome_outbox_failed` (the case page shows each one)."""
        for o, reason in failed:
            channel = o.channel or o.row.channel
            self._metrics.outbox_failed.labels(channel, reason).inc()
            detail = o.result.error_code or o.result.detail if o.result is not None else ""
            log.warning(
                "outbox %s (%s) failed for good after %d attempt(s): %s %s",
                o.row.id,
                channel,
                o.row.attempts,
                reason,
                detail,
            )

    async def _take_turn(self, limiter: RateLimiter, key: str | None, urgent: bool) -> float | None:
        """Wait for the channel's rate; returns when the turn was given, None when the sender stops meanwhile."""
        task = asyncio.current_task()
        assert task is not None
        self._queued.add(task)
        try:
            return await limiter.acquire(key, urgent=urgent)
        except asyncio.CancelledError:
            if not self._stopping:
                raise
            task.uncancel()  # our own stop cancelled the wait: this row goes back unsent
            return None
        finally:
            self._queued.discard(task)

    async def _send_one(self, row: Claimed, until: datetime, claimed_at: float) -> Outcome:
        try:
            async with self._sems[row.proactive]:
                return await self._send(row, until, claimed_at)
        except BaseException:
            self._sending.discard(row.id)  # no outcome to record: the row's lease ends, and it is tried again
            raise
        finally:
            kind = (row.proactive, row.channel)
            self._in_flight[kind] -= 1
            if self._in_flight[kind] == self._cap(row.channel) // 2:
                # Half of what may be held is sent: an idle worker claims the next rows while these still go, so
                # the rate is kept without a gap for the record and the claim between batches.
                self._wake.set()

    async def _last_look(self, row: Claimed, until: datetime, claimed_at: float) -> Outcome | None:
        """Right before the send: None when the row goes now, else what becomes of it instead."""
        if row.proactive and time.monotonic() - claimed_at > FRESH_SECONDS:
            # It waited for its turn: a pause or a STOP may have come meanwhile, in any process.
            try:
                why = await self._check.ask(row.tenant_id)
            except Exception as exc:
                log.warning("outbox %s: the last look before sending failed (%s); it goes back", row.id, exc)
                return Outcome(row, None, None, None)
            if why == PAUSED_NOW:
                return Outcome(row, None, None, None, ("waiting", PAUSED_REASON))
            if why is not None:
                return Outcome(row, None, None, None, ("held", why))
        # The last moment to notice that the role went elsewhere while this row waited for its turn.
        if not self._may_send():
            return Outcome(row, None, None, None)
        if self._clock() + timedelta(seconds=self._send_timeout) >= until:
            # Its lease would not cover the send: another sender may take it meanwhile. It goes back instead.
            log.warning("outbox %s waited too long for its turn; it goes back unsent", row.id)
            return Outcome(row, None, None, None)
        return None

    def _breaks_sms_rule(self, text: str) -> bool:
        return amount_like(text) or bool(forbidden_words_in(text, self._forbidden_words))

    async def _send(self, row: Claimed, until: datetime, claimed_at: float) -> Outcome:
        if not self._may_send():
            return Outcome(row, None, None, None)
        held = _held_because(row)
        if held is not None:
            return Outcome(row, None, None, None, ("held", held))
        target = _target(row, self._channels.keys())
        if target is None:
            if row.proactive:
                return Outcome(row, None, None, None, ("waiting", NO_CHANNEL))
            return Outcome(row, row.channel, None, SendResult("permanent", detail="channel off"))
        channel_name, address = target
        channel = self._channels[channel_name]
        choices = [Choice(key, label) for key, label in row.choices or ()]
        try:
            # Rendered as it goes, so "call us today" is true at the moment it is sent (`Renderer.render`'s `now`).
            rendered = self._renderer.render(
                row.template,
                decode_values(row.values),
                row.language,
                cast(ChannelName, channel_name),
                choices,
                now=self._clock(),
            )
        except (TemplateMissing, TemplateError, TypeError, ValueError) as exc:
            # A text that cannot be rendered never will be: fail this row, not its batch.
            log.error("outbox %s: template %s does not render: %s", row.id, row.template, type(exc).__name__)
            return Outcome(row, channel_name, None, SendResult("permanent", detail="does not render"))
        if channel_name == "sms" and row.template in OWN_WORDS and self._breaks_sms_rule(rendered.text):
            # A person's text written for Telegram (an adviser's reply may name an amount there; the console refuses
            # one for SMS) whose chat was blocked or gone: SMS never carries an amount or debt words (DESIGN.md), so
            # it fails here, its reason on the case page, instead of going by SMS.
            log.warning("outbox %s: its Telegram text breaks the SMS rule; not sent by SMS", row.id)
            return Outcome(row, channel_name, None, SendResult("permanent", detail=SMS_RULE))
        callback = self._status_callback if channel_name == "sms" else None
        msg = OutgoingMessage(row.id, address, rendered.text, rendered.buttons, callback)
        limiter = self._rates.get(channel_name)
        key = address if channel_name == "telegram" else None
        granted = None
        if limiter is not None:
            granted = await self._take_turn(limiter, key, urgent=not row.proactive)
            if granted is None:
                return Outcome(row, None, None, None)
        stop = await self._last_look(row, until, claimed_at)
        if stop is not None:
            return stop
        if limiter is not None and granted is not None:
            limiter.sending(key, granted)  # the last look took a moment: the window counts the send from now
        started = time.perf_counter()
        self._sending.add(row.id)  # until its outcome is recorded
        try:
            # The lease outlasts this limit, so a slow send is never taken twice.
            async with asyncio.timeout(self._send_timeout):
                result = await channel.send(msg)
        except TimeoutError:
            result = SendResult("transient", detail="timeout", maybe_sent=True)
        self._metrics.sent(channel_name, result.outcome, time.perf_counter() - started, maybe_sent=result.maybe_sent)
        self._trouble.saw(channel_name, result)
        return Outcome(row, channel_name, rendered.text, result)
