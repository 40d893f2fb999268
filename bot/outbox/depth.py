"""The outbox gauges, refreshed by the sender's own work: a scrape of /metrics never queries the database.

`keephome_outbox_depth` counts the rows waiting to be sent; `keephome_outbox_waiting{reason}` the proactive rows
that cannot go now (`no_channel`, `paused`); `keephome_outbox_not_sent{state,reason}` the rows a rule held or that
were dropped as no longer due, of those due over the last week. The sender is what moves rows into
and out of `waiting`, so it
refreshes the gauges right after it does, and besides after each batch (at most once a second while busy) and
on every idle round that looked (a worker whose claim the other's made pointless does not look: the other one's
next round does).
"""

from __future__ import annotations

import logging
import re
import time
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select

from bot.metrics import Metrics
from bot.outbox.claim import NO_CHANNEL, PAUSED_REASON
from bot.outbox.route import CHANNELS
from bot.store.db import Database, utcnow
from bot.store.schema import outbox

__all__ = ["BUSY_REFRESH_SECONDS", "refresh_depth"]

log = logging.getLogger(__name__)

# While the sender has work, the gauges are refreshed at most this often; every idle round refreshes them.
BUSY_REFRESH_SECONDS = 1.0

_PENDING = select(func.count()).select_from(outbox).where(outbox.c.state == "pending")
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
    since = (now or utcnow()) - NOT_SENT_WINDOW
    try:
        async with db.read() as conn:
            depth = (await conn.execute(_PENDING)).scalar_one()
            waiting = {str(reason): int(n) for reason, n in await conn.execute(_WAITING)}
            not_sent: dict[tuple[str, str], int] = {}
            for state, reason, n in await conn.execute(_NOT_SENT, {"since": since}):
                key = (str(state), _reason_label(reason))
                not_sent[key] = not_sent.get(key, 0) + int(n)
    except Exception as exc:
        log.warning("outbox depth not refreshed: %s", type(exc).__name__)
        return
    metrics.outbox_depth.set(depth)
    for reason, label in _REASONS.items():
        metrics.outbox_waiting.labels(label).set(waiting.get(reason, 0))
    for key in metrics.not_sent_labels.difference(not_sent):  # seen before and none now: 0, not its old count
        metrics.outbox_not_sent.labels(*key).set(0)
    for key, n in not_sent.items():
        metrics.outbox_not_sent.labels(*key).set(n)
    metrics.not_sent_labels.update(not_sent)
