"""The outbox gauges, refreshed by the sender's own work: a scrape of /metrics never queries the database.

`keephome_outbox_depth` counts the rows waiting to be sent; `keephome_outbox_due` those of them whose time has come
(not a retry waiting for its next attempt, nor a row put off to the end of quiet hours), and
`keephome_outbox_oldest_due_seconds` how long the one due longest has waited since its time came (a backlog the
sender does not keep up with: a stuck sender, a rate too low for the day's reminders);
`keephome_outbox_waiting{reason}` the proactive rows that cannot go now (`no_channel`, `paused`);
`keephome_outbox_not_sent{state,reason}` the rows a rule held or that were dropped as no longer due, of those due
over the last week. The sender is what moves rows into and out of `waiting`, so it refreshes the gauges right after
it does, and besides after each batch (at most once a second while busy) and on every idle round that looked (a
worker whose claim the other's made pointless does not look: the other one's next round does). `backlog` is also
what the admin page reads.

With them, `keephome_inbound_waiting` and `keephome_inbound_oldest_waiting_seconds`: the messages from tenants
committed by the webhooks and not handled yet (`inbound_backlog`). The process that sends also handles them, so a
processor whose rounds keep failing shows here while its sender goes on. And `keephome_inbound_failed`: the messages
the processor could not handle and set aside, until an admin marks each dealt with (`inbound_failed`, which the
admin page's list counts too).
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, bindparam, func, select

from bot.metrics import Metrics
from bot.outbox.claim import NO_CHANNEL, PAUSED_REASON
from bot.outbox.route import CHANNELS
from bot.store.db import Database, utcnow
from bot.store.schema import INBOUND_FAILED, inbound, outbox

__all__ = [
    "BUSY_REFRESH_SECONDS",
    "Backlog",
    "backlog",
    "inbound_backlog",
    "inbound_failed",
    "refresh_depth",
]

log = logging.getLogger(__name__)

# While the sender has work, the gauges are refreshed at most this often; every idle round refreshes them.
BUSY_REFRESH_SECONDS = 1.0

_PENDING = select(func.count()).select_from(outbox).where(outbox.c.state == "pending")
_NOW = bindparam("now", type_=outbox.c.next_attempt_at.type)
# Each (proactive, channel) range of ix_outbox_claim named: the count reads the due part of each range, and each
# minimum is the range's first entry.
_KINDS = [(proactive, channel) for proactive in (False, True) for channel in sorted(CHANNELS)]
_DUE = select(
    select(func.count())
    .where(
        outbox.c.state == "pending",
        outbox.c.proactive.in_((True, False)),
        outbox.c.channel.in_(sorted(CHANNELS)),
        outbox.c.next_attempt_at <= _NOW,
    )
    .scalar_subquery(),
    *(
        select(func.min(outbox.c.next_attempt_at))
        .where(outbox.c.state == "pending", outbox.c.proactive.is_(proactive), outbox.c.channel == channel)
        .scalar_subquery()
        for proactive, channel in _KINDS
    ),
)
_WAITING = select(outbox.c.last_error, func.count()).where(outbox.c.state == "waiting").group_by(outbox.c.last_error)
# The label of each reason a row waits for.
_REASONS = {NO_CHANNEL: "no_channel", PAUSED_REASON: "paused"}
# Rows not sent by a rule's decision (held: the tenant stopped, was erased, paid; dropped: no longer due), by the
# reason stored with them (docs/CONTRACTS.md), of those due within NOT_SENT_WINDOW before now or later: by when they
# were due (ix_outbox_claim), as no row says when it was set aside; a reminder is dropped within days of its day.
NOT_SENT_WINDOW = timedelta(days=7)
_NOT_SENT = (
    select(outbox.c.state, outbox.c.last_error, func.count())
    .where(
        # Every value of ix_outbox_claim's middle columns named too: the index is then read from `since` on in each
        # of its eight ranges, instead of every held or dropped row the table keeps (retention: many days' worth).
        outbox.c.state.in_(("held", "dropped")),
        outbox.c.proactive.in_((True, False)),
        outbox.c.channel.in_(sorted(CHANNELS)),
        outbox.c.next_attempt_at >= bindparam("since", type_=outbox.c.next_attempt_at.type),
    )
    .group_by(outbox.c.state, outbox.c.last_error)
)
_LABEL = re.compile(r"[a-z][a-z_ ]{0,39}")


@dataclass(frozen=True, slots=True)
class Backlog:
    """The outbox rows due and not sent yet: how many, and since when the one due longest has waited (None: none)."""

    count: int
    oldest: datetime | None

    def waited(self, now: datetime) -> timedelta:
        """How long the row due longest has waited at `now` (0 when none is due)."""
        return timedelta(0) if self.oldest is None else now - self.oldest


def backlog(conn: Connection, now: datetime) -> Backlog:
    """The rows due at `now` and not sent yet (for /metrics, and the admin page in any process)."""
    count, *firsts = conn.execute(_DUE, {"now": now}).one()
    oldest = min((first for first in firsts if first is not None and first <= now), default=None)
    return Backlog(int(count), oldest)


# Along ix_inbound_pending: the waiting rows, and the first of them (the oldest: ids grow as rows are committed).
_INBOUND_WAITING = select(func.count()).where(inbound.c.processed_at.is_(None))
_INBOUND_FIRST = (
    select(inbound.c.received_at)
    .where(inbound.c.processed_at.is_(None))
    .order_by(inbound.c.processed_at, inbound.c.id)
    .limit(1)
)


def inbound_backlog(conn: Connection) -> Backlog:
    """The messages from tenants committed and not handled yet: how many, and when the oldest came."""
    count = int(conn.execute(_INBOUND_WAITING).scalar_one())
    return Backlog(count, conn.execute(_INBOUND_FIRST).scalar() if count else None)


# The messages the processor could not handle that no admin has dealt with yet: the entries of ix_inbound_failed.
_INBOUND_FAILED = select(func.count()).where(INBOUND_FAILED)


def inbound_failed(conn: Connection) -> int:
    """How many messages from tenants could not be handled and wait for an admin to deal with them."""
    return int(conn.execute(_INBOUND_FAILED).scalar_one())


def _reason_label(reason: object) -> str:
    """A stored reason as a label: the words the code writes ("stage passed" → stage_passed), else "other"."""
    text = str(reason or "")
    return text.replace(" ", "_") if _LABEL.fullmatch(text) else "other"


async def refresh_depth(
    db: Database, metrics: Metrics, *, busy: bool = False, force: bool = False, now: datetime | None = None
) -> None:
    """Count the rows waiting to be sent, those that cannot go now and those not sent of the ones due over the
    last week as of `now` (index range counts on a reader); `force` refreshes even when the last count is under a
    second old (rows just moved into or out of waiting).

    Never raises: a gauge that cannot be refreshed keeps its last value, and the sender goes on.
    """
    at = time.monotonic()
    if busy and not force and at - metrics.depth_refreshed_at < BUSY_REFRESH_SECONDS:
        return
    metrics.depth_refreshed_at = at
    at_now = now or utcnow()
    since = at_now - NOT_SENT_WINDOW
    try:
        async with db.read() as conn:
            depth = (await conn.execute(_PENDING)).scalar_one()
            due = await conn.run_sync(backlog, at_now)
            unhandled = await conn.run_sync(inbound_backlog)
            failed = await conn.run_sync(inbound_failed)
            waiting = {str(reason): int(n) for reason, n in await conn.execute(_WAITING)}
            not_sent: dict[tuple[str, str], int] = {}
            for state, reason, n in await conn.execute(_NOT_SENT, {"since": since}):
                key = (str(state), _reason_label(reason))
                not_sent[key] = not_sent.get(key, 0) + int(n)
    except Exception as exc:
        log.warning("outbox depth not refreshed: %s", type(exc).__name__)
        return
    metrics.outbox_depth.set(depth)
    metrics.outbox_due.set(due.count)
    metrics.outbox_oldest_due.set(due.waited(at_now).total_seconds())
    metrics.inbound_waiting.set(unhandled.count)
    metrics.inbound_oldest_waiting.set(max(0.0, unhandled.waited(at_now).total_seconds()))
    metrics.inbound_failed.set(failed)
    for reason, label in _REASONS.items():
        metrics.outbox_waiting.labels(label).set(waiting.get(reason, 0))
    for key in metrics.not_sent_labels.difference(not_sent):  # seen before and none now: 0, not its old count
        metrics.outbox_not_sent.labels(*key).set(0)
    for key, n in not_sent.items():
        metrics.outbox_not_sent.labels(*key).set(n)
    metrics.not_sent_labels.update(not_sent)
