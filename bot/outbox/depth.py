"""The outbox gauges, refreshed by the sender's own work: a scrape of /metrics never queries the database.

`keephome_outbox_depth` counts the rows waiting to be sent; `keephome_outbox_waiting{reason}` the proactive rows
that cannot go now (`no_channel`, `paused`). The sender is what moves rows into and out of `waiting`, so it
refreshes the gauges right after it does, and besides after each batch (at most once a second while busy) and
on every idle round that looked (a worker whose claim the other's made pointless does not look: the other one's
next round does).
"""

from __future__ import annotations

import logging
import time

from sqlalchemy import func, select

from bot.metrics import Metrics
from bot.outbox.claim import NO_CHANNEL, PAUSED_REASON
from bot.store.db import Database
from bot.store.schema import outbox

__all__ = ["BUSY_REFRESH_SECONDS", "refresh_depth"]

log = logging.getLogger(__name__)

# While the sender has work, the gauges are refreshed at most this often; every idle round refreshes them.
BUSY_REFRESH_SECONDS = 1.0

_PENDING = select(func.count()).select_from(outbox).where(outbox.c.state == "pending")
_WAITING = select(outbox.c.last_error, func.count()).where(outbox.c.state == "waiting").group_by(outbox.c.last_error)
# The label of each reason a row waits for.
_REASONS = {NO_CHANNEL: "no_channel", PAUSED_REASON: "paused"}


async def refresh_depth(db: Database, metrics: Metrics, *, busy: bool = False, force: bool = False) -> None:
    """Count the rows waiting to be sent and those that cannot go now (index range counts on a reader);
    `force` refreshes even when the last count is under a second old (rows just moved into or out of waiting).

    Never raises: a gauge that cannot be refreshed keeps its last value, and the sender goes on.
    """
    now = time.monotonic()
    if busy and not force and now - metrics.depth_refreshed_at < BUSY_REFRESH_SECONDS:
        return
    metrics.depth_refreshed_at = now
    try:
        async with db.read() as conn:
            depth = (await conn.execute(_PENDING)).scalar_one()
            waiting = {str(reason): int(n) for reason, n in await conn.execute(_WAITING)}
    except Exception as exc:
        log.warning("outbox depth not refreshed: %s", type(exc).__name__)
        return
    metrics.outbox_depth.set(depth)
    for reason, label in _REASONS.items():
        metrics.outbox_waiting.labels(label).set(waiting.get(reason, 0))
