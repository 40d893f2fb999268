"""The processor: handles committed inbound messages once each, in order, many per transaction."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, bindparam, func, select, text, update

from bot.inbound.handler import InboundHandler, InboundRow
from bot.inbound.presses import NOT_HANDLED, AnswerPresses, Press, query_id, set_aside_language
from bot.metrics import Metrics
from bot.settings import Settings
from bot.store.db import Database
from bot.store.election import deployment_namespace, role_taken
from bot.store.scene import Scene
from bot.store.schema import inbound, outbox
from bot.tenants.said_stop import stop_holders
from bot.worker import work_until_cancelled

__all__ = ["FAILED", "SHARED_LOOK_SECONDS", "SHARED_POLL_SECONDS", "Processor"]

log = logging.getLogger(__name__)


# Rows a batch handles before it gives way to a waiting webhook commit, on SQLite. On PostgreSQL at least a chunk
# (CHUNK): a batch costs about ten round trips whatever its size, and the webhooks do not wait for it there.
MIN_ROWS = 16
# On PostgreSQL, with a backlog, a batch handles at least this share of it (up to MAX_ROWS_WITH_BACKLOG rows)
# before it gives way: under a steady load a webhook is always waiting, and with MIN_ROWS a batch the processor
# fell behind by thousands during a load (216 of about 1,000 messages a second handled). There the webhooks commit on
# connections of their own while the batch waits on its round trips, so a longer batch takes a larger share of
# the processor, not the writer; on SQLite the batch holds the one writer the webhooks' commits wait for.
BACKLOG_SHARE = 8
MAX_ROWS_WITH_BACKLOG = 256
# While more committed rows than this wait, the group commit holds the next webhooks (`caught_up`), at most
# HOLD_SECONDS each time: a webhook answered at once while its message waits behind thousands is not fast, and
# the messages a provider sends meanwhile wait with the provider (Twilio waits 15 s for an answer) instead.
HOLD_BACKLOG = 256
HOLD_SECONDS = 2.0
# While a webhook is held, the processor counts again at most this often when its batches find nothing to do;
# a process whose messages another handles, holding its webhooks, counts the shared backlog this often.
RELOOK_SECONDS = 0.05
# Before its group commits, a process whose messages another handles reads the shared backlog at most this often:
# each read costs it about 300 µs of CPU, and at RELOOK_SECONDS one webhook in ten paid for one with four processes
# (bench/README.md, 2026-12-05). A hold so starts at most this much later than the backlog passes its limit.
SHARED_LOOK_SECONDS = 0.25
# On PostgreSQL the sender's holder handles every process's messages, and nothing wakes it when another process
# commits one: it looks this often while idle. A tenant's answer waits at most this long more; an idle holder used
# 2.0 % of a core against 1.6 % with a look a second (30 s of `keephome run`, 2026-12-03).
SHARED_POLL_SECONDS = 0.25
# Rows read (and on PostgreSQL locked) at a time, with their senders' tenants in one statement per channel; a
# batch reads the next chunk only while its budget lasts.
CHUNK = 32
# The result of a row whose handler raised: set aside unanswered, kept with `failed_at` for the admin page.
FAILED = "error"


_NO_SORT = text("SET LOCAL enable_sort = off")
_SORT = text("SET LOCAL enable_sort TO DEFAULT")
_SORT_SETTING = text("SELECT reset_val FROM pg_settings WHERE name = 'enable_sort'")


class _RowFailed(Exception):
    """A row could not be handled in a batch without savepoints."""


class Processor:
    """Works through committed inbound rows; every decision lands in the same transaction."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        clock: Callable[[], datetime],
        metrics: Metrics,
        on_enqueued: Callable[[], None] = lambda: None,
        batch: int = 500,
        budget: float = 0.02,
        should_yield: Callable[[], bool] = lambda: False,
        telegram_on: bool | None = None,
        answer_presses: AnswerPresses | None = None,
    ) -> None:
        self._db = db
        # Telegram button presses are answered after the batch that handled them commits (bot/inbound/presses.py).
        self._answer_presses = answer_presses
        self._answering: set[asyncio.Task[None]] = set()
        self._clock = clock
        self._metrics = metrics
        self._on_enqueued = on_enqueued
        self._batch = batch
        self._budget = budget
        self._should_yield = should_yield
        self._handler = InboundHandler(settings, telegram_on=telegram_on)
        self._secret = settings.secret_key or ""  # the handler refuses to start without it
        self._fallback = settings.fallback_language
        self._languages = settings.language_list
        self._pending = self._pending_query()
        self._sort: str | None = None  # PostgreSQL's enable_sort as configured, read at the first batch
        self._last_id = select(func.max(inbound.c.id))
        due = (
            select(outbox.c.id)
            .where(
                outbox.c.state == "pending", outbox.c.proactive.is_(False), outbox.c.next_attempt_at <= bindparam("now")
            )
            .limit(HOLD_BACKLOG + 1)
            .subquery()
        )
        self._replies_due = select(func.count()).select_from(due)
        self._last_and_replies = select(self._last_id.scalar_subquery(), self._replies_due.scalar_subquery())
        waiting = (
            select(inbound.c.id)
            .where(inbound.c.processed_at.is_(None))
            .order_by(inbound.c.processed_at, inbound.c.id)
            .limit(HOLD_BACKLOG + 1)
            .subquery()
        )
        self._waiting = select(func.count()).select_from(waiting).scalar_subquery()
        self._shared: Select[Any] | None = None  # the shared backlog's statement, once the schema is known
        self._counted: tuple[float, int] = (float("-inf"), 0)  # when the shared backlog was read, and what it was
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # Rows committed and not yet handled after the last batch (a bound: on PostgreSQL it counts rows other
        # processes handled too), written by the batch's thread as it commits; and a signal after each batch. A
        # hold may so end on the figure of a batch still committing: on SQLite the released webhook's commit
        # queues behind it; on PostgreSQL it may land first. Set only after the commit, the webhooks' p99 at 80 %
        # rose (bench/README.md, 2026-12-04 14:10).
        self._backlog = 0
        self._progress = asyncio.Event()

    def wake(self) -> None:
        """New inbound rows were committed."""
        self._wake.set()

    async def start(self, poll: float = 1.0) -> None:
        """Run the processing loop in the background."""
        if self._task is None:
            work = work_until_cancelled(self.process_pending, self._wake, poll, "inbound processing")
            self._task = asyncio.create_task(work, name="inbound-processor")

    async def stop(self) -> None:
        """Stop processing; unprocessed rows stay in the table for the next start. The presses handled are answered
        first (each round bounded by `presses.ANSWER_SECONDS`)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.answered()
        self._backlog = 0
        self._progress.set()

    async def answered(self) -> None:
        """Return once the button presses handled so far have been answered (or their answers given up)."""
        while self._answering:
            await asyncio.gather(*self._answering, return_exceptions=True)

    async def caught_up(self, limit: int = HOLD_BACKLOG, most: float = HOLD_SECONDS) -> float:
        """Return once the processing's backlog is at most `limit` rows, or after `most` seconds; the seconds it
        waited (counted in `keephome_inbound_held_seconds`). On PostgreSQL a process that does not process reads the
        backlog every process shares, and holds nothing while no process holds the sender role (none processes)."""
        if self._task is None:
            return 0.0 if self._db.is_sqlite else await self._held_elsewhere(limit, most)
        if self._backlog <= limit:
            return 0.0
        loop = asyncio.get_running_loop()
        started = loop.time()
        while self._task is not None and self._backlog > limit:
            # The figure is the last batch's, and may be old: the answers it counted sent since, or the rows handled
            # by another process. The processor looks again now, not at its next poll: nothing else would wake it
            # while this process's webhooks are held (bench/README.md, 2026-12-03: holds of a whole poll, 1 s).
            self._wake.set()
            if not await self._next_batch(started + most - loop.time()):
                break
            if self._backlog > limit:  # the look found it still behind: look again after a moment, not at once
                await self._next_batch(min(RELOOK_SECONDS, started + most - loop.time()))
        held = loop.time() - started
        self._metrics.inbound_held.inc(held)
        return held

    async def _held_elsewhere(self, limit: int, most: float) -> float:
        """The hold of a process whose messages another process handles: wait while more than `limit` rows wait,
        or answers are due and unsent, looking at most every RELOOK_SECONDS (one read, not a write)."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        if await self._shared_count(started, SHARED_LOOK_SECONDS) <= limit:
            return 0.0
        while (left := started + most - loop.time()) > 0:
            await asyncio.sleep(min(RELOOK_SECONDS, left))
            if await self._shared_count(loop.time(), RELOOK_SECONDS) <= limit:
                break
        held = loop.time() - started
        self._metrics.inbound_held.inc(held)
        return held

    async def _shared_count(self, at: float, fresh: float) -> int:
        """Rows waiting or answers due (each counted up to HOLD_BACKLOG + 1) while some process holds the sender
        role and so handles them; 0 while none does (nothing would catch up: no hold). A count younger than
        `fresh` seconds is used again."""
        when, count = self._counted
        if at - when < fresh:
            return count
        async with self._db.read() as conn:
            if self._shared is None:
                handled = role_taken("sender", await deployment_namespace(self._db, conn))
                self._shared = select(self._waiting, self._replies_due.scalar_subquery(), handled)
            pending, replies, handled_somewhere = (await conn.execute(self._shared, {"now": self._clock()})).one()
        count = max(int(pending), int(replies)) if handled_somewhere else 0
        self._counted = (at, count)
        return count

    async def _next_batch(self, seconds: float) -> bool:
        """Wait at most `seconds` for the processor's next batch to end; False when the time was already up."""
        if seconds <= 0:
            return False
        self._progress.clear()
        with contextlib.suppress(TimeoutError):  # not wait_for: see bot/worker.py
            async with asyncio.timeout(seconds):
                await self._progress.wait()
        return True

    def _pending_query(self) -> Select[Any]:
        pending = select(
            inbound.c.id, inbound.c.channel, inbound.c.provider_id, inbound.c.sender, inbound.c.text, inbound.c.payload
        ).where(inbound.c.processed_at.is_(None), inbound.c.id > bindparam("after"))
        if not self._db.is_sqlite:
            # Several processes share the table: skip rows another holds, and never take a message
            # while an earlier one from the same sender is still waiting (order per tenant).
            earlier = inbound.alias("earlier")
            first = (
                select(func.min(earlier.c.id))
                .where(
                    earlier.c.channel == inbound.c.channel,
                    earlier.c.sender == inbound.c.sender,
                    earlier.c.processed_at.is_(None),
                )
                .scalar_subquery()
            )
            pending = (
                pending.add_columns(func.set_config("enable_sort", bindparam("sort"), True))
                .where(inbound.c.id == first)
                .with_for_update(skip_locked=True)
            )
        # Every waiting row has processed_at NULL, so this is the order of ids; said this way it is the order of
        # ix_inbound_pending, and PostgreSQL walks that index from the first waiting row instead of the primary key
        # from the oldest row the table keeps (processed rows stay until retention purges them). The check for an
        # earlier waiting row of the same sender is one probe of ix_inbound_waiting_sender per row taken: a scalar
        # subquery is planned with the row's channel and sender as the index's keys, whatever the statistics say,
        # where NOT EXISTS became a join that, with statistics from a quiet moment (nothing waiting), walked every
        # waiting row of the index for each row taken: a backlog of 20,000 cost 0.6 s per chunk.
        return pending.order_by(inbound.c.processed_at, inbound.c.id).limit(min(CHUNK, self._batch))

    async def process_pending(self) -> int:
        """Process one batch in one transaction; returns how many rows were handled."""
        now = self._clock()
        presses: list[Press] = []
        stops: list[str] = []
        try:
            results = await self._db.run(self._run_batch, now, False, presses, stops)
        except _RowFailed:
            # One row raised and the whole transaction rolled back: redo the batch with a savepoint per
            # row, so only that row is set aside. Savepoints cost two statements a row, hence only now.
            presses.clear()
            stops.clear()
            results = await self._db.run(self._run_batch, now, True, presses, stops)
        for channel, result in results:
            self._metrics.inbound.labels(channel, result).inc()
        if results:
            self._on_enqueued()
        if presses and self._answer_presses is not None:
            # After the commit, what the answer says is what was done; in the background, so a slow Bot API holds
            # no tenant's next message (each round of answers gives up after `presses.ANSWER_SECONDS`).
            task = asyncio.create_task(self._answer_presses(presses), name="inbound-press-answers")
            self._answering.add(task)
            task.add_done_callback(self._answering.discard)
        self._progress.set()
        if stops:
            # An import may have given a number its tenant while the batch kept the number's STOP, each unseen by the
            # other: committed both, the tenant is found now (bot/tenants/said_stop.py). Last: what the batch's commit
            # owes (the presses' answers, its signal) is done whatever happens here.
            await self._db.run(stop_holders, self._secret, stops, now)
        return len(results)

    def _run_batch(
        self, conn: Connection, now: datetime, isolate: bool, presses: list[Press], stops: list[str]
    ) -> list[tuple[str, str]]:
        """Handle a prefix of the pending rows, a chunk at a time; returns (channel, result) per row, and adds the
        button presses among them to `presses`, and to `stops` the numbers whose STOP may be kept for the number."""
        started = time.monotonic()
        scene = Scene.of(conn)
        results: list[tuple[str, str]] = []
        done: list[int] = []
        after = 0
        first = 0
        least: int | None = None  # rows this batch handles before it gives way; known once it would
        known: tuple[int, int] | None = None  # the last committed row's id and the answers due, once read
        while len(done) < self._batch:
            rows = self._next_rows(conn, after)
            if not rows:
                break
            first = first or rows[0].id
            after = rows[-1].id
            self._prepare(scene, rows, isolate)
            for row in rows:
                result = self._handle(scene, row, now, isolate)
                results.append((row.channel, result))
                done.append(row.id)
                if self._handler.kept_stop(row.id):
                    stops.append(row.sender)
                query = query_id(row.channel, row.provider_id)
                if query is not None:
                    # A row set aside did nothing and says nothing in the chat: its toast says staff will see it.
                    app = self._handler.app_language(row)
                    toast = (
                        (NOT_HANDLED, set_aside_language(scene.conn, row, app, self._languages, self._fallback))
                        if result == FAILED
                        else self._handler.toast(row.id)
                    )
                    presses.append(Press(query) if toast is None else Press(query, *toast))
                # The writer is shared with the webhooks' group commit: hold it only briefly, and give way as
                # soon as a webhook is waiting for its message to be committed. A few rows always go through,
                # however slow the database's round trips, so the processor keeps pace with a busy webhook.
                if len(done) >= MIN_ROWS and (time.monotonic() - started > self._budget or self._should_yield()):
                    if least is None:
                        least, known = self._least_rows(conn, first, now)
                    if len(done) >= least:
                        self._backlog = self._left(conn, done[-1], now, known)
                        return self._finish(scene, now, done, results, isolate)
            if len(rows) < CHUNK:
                break
        if len(done) >= self._batch:
            self._backlog = self._left(conn, after, now)
        elif len(done) >= MIN_ROWS or self._backlog:  # a busy moment, or the last batch saw a backlog
            self._backlog = self._replies_waiting(conn, now)
        else:
            self._backlog = 0
        return self._finish(scene, now, done, results, isolate)

    def _left(self, conn: Connection, after: int, now: datetime, known: tuple[int, int] | None = None) -> int:
        """What the path still has to do, at most: the rows committed after row `after` (the batch's last), or
        when they are few, the answers due and not yet sent (the one sending process may be the one behind). Both
        are read unless the batch read them already (`known`; what was committed or sent since counts next time)."""
        last, replies = known or (conn.execute(self._last_id).scalar_one_or_none() or after, None)
        left = max(0, last - after)
        if left > HOLD_BACKLOG:
            return left
        return max(left, self._replies_waiting(conn, now) if replies is None else replies)

    def _replies_waiting(self, conn: Connection, now: datetime) -> int:
        """Answers due and not yet sent, counted up to one more than HOLD_BACKLOG (along ix_outbox_claim)."""
        return int(conn.execute(self._replies_due, {"now": now}).scalar_one())

    def _least_rows(self, conn: Connection, first: int, now: datetime) -> tuple[int, tuple[int, int] | None]:
        """Rows a batch that began at row `first` handles before it gives way, more with a larger backlog; and on
        PostgreSQL what `_left` needs, read with it: the last committed row's id and the answers due."""
        if self._db.is_sqlite:
            return MIN_ROWS, None
        # The rows committed since the batch's first: a bound of the backlog (rows other processes handled
        # count too) from one probe of the primary key's last entry, read only when the batch would give way; with
        # it, in the same statement, the answers due that `_left` counts when few rows wait.
        last, replies = conn.execute(self._last_and_replies, {"now": now}).one()
        last = last or first
        return min(MAX_ROWS_WITH_BACKLOG, max(CHUNK, (last - first + 1) // BACKLOG_SHARE)), (last, int(replies))

    def _next_rows(self, conn: Connection, after: int) -> list[InboundRow]:
        if self._db.is_sqlite:
            return [InboundRow(*raw) for raw in conn.execute(self._pending, {"after": after}).all()]
        # The statistics PostgreSQL plans with are those of its last ANALYZE, most often taken when nothing waited
        # (or never, on a new database): a backlog then looks like one row, and a sort of every waiting row seems
        # as cheap as the walk of ix_inbound_pending that stops after a chunk (with a fresh ANALYZE too, when the
        # planner guesses few rows pass the check per sender). That sort checked each of 20,000 waiting rows for
        # an earlier one of its sender: 0.2 s per chunk, more with every row the webhooks add. Without a sort the
        # walk is the one plan; the setting holds for this statement only, the handler's are planned as usual.
        # The statement puts the setting back itself as it returns its rows (set_config is evaluated when it runs,
        # after it was planned): one round trip fewer a chunk. When it returns none, a statement of its own does.
        if self._sort is None:
            self._sort = str(conn.execute(_SORT_SETTING).scalar_one())
        conn.execute(_NO_SORT)
        rows = conn.execute(self._pending, {"after": after, "sort": self._sort}).all()
        if not rows:
            conn.execute(_SORT)
        return [InboundRow(*raw[:-1]) for raw in rows]

    def _finish(
        self, scene: Scene, now: datetime, done: list[int], results: list[tuple[str, str]], isolate: bool
    ) -> list[tuple[str, str]]:
        if not isolate:
            try:
                # The batch's new rows, then its deferred changes (a conversation's next state), without a savepoint
                scene.flush(guarded=False)
            except Exception as exc:  # one of them cannot be written: each row again, in a savepoint of its own
                raise _RowFailed("a row or change of this batch") from exc
        if done:
            scene.conn.execute(update(inbound).where(inbound.c.id.in_(done)).values(processed_at=now))
        if isolate and (
            failed := [row_id for row_id, (_, result) in zip(done, results, strict=True) if result == FAILED]
        ):  # rows set aside, which only the savepoints of `isolate` allow
            # Nobody answered these: the admin page lists them (and /metrics counts them) until an admin has dealt
            # with each; a tenant's words otherwise left no trace but a log line.
            scene.conn.execute(update(inbound).where(inbound.c.id.in_(failed)).values(failed_at=now))
        return results

    def _prepare(self, scene: Scene, rows: list[InboundRow], isolate: bool) -> None:
        """The handler's read of a chunk's senders at once. Should it fail (one sender no statement can take), the
        batch is done again with savepoints, where each row then reads its own sender: only the row at fault is set
        aside, instead of the whole batch failing again every round and no tenant being answered."""
        if not isolate:
            try:
                self._handler.prepare(scene, rows)
            except Exception as exc:
                raise _RowFailed("the read of a chunk's senders") from exc
            return
        try:
            with scene.isolated():
                self._handler.prepare(scene, rows)
        except Exception:
            log.exception(
                "inbound %s to %s: the senders could not be read at once; each row reads its own",
                rows[0].id,
                rows[-1].id,
            )

    def _handle(self, scene: Scene, row: InboundRow, now: datetime, isolate: bool) -> str:
        if not isolate:
            try:
                return self._handler.handle(scene, row, now)
            except Exception as exc:
                raise _RowFailed(row.id) from exc
        try:
            with scene.isolated():
                return self._handler.handle(scene, row, now)
        except Exception:
            log.exception("inbound %s could not be handled; set aside", row.id)
            return FAILED
