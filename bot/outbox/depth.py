"""The outbox depth gauge, refreshed by the sender's own work: a scrape of /metrics never queries the database."""

from __future__ import annotations

import logging
import time

from sqlalchemy import func, select

from bot.metrics import Metrics
from bot.store.db import Database
from bot.store.schema import outbox

__all__ = ["BUSY_REFRESH_SECONDS", "refresh_depth"]

log = logging.getLogger(__name__)

# While the sender has work, the gauge is refreshed at most this often; every idle round refreshes it.
BUSY_REFRESH_SECONDS = 1.0

_PENDING = select(func.count()).select_from(outbox).where(outbox.c.state == "pending")


async def refresh_depth(db: Database, metrics: Metrics, *, busy: bool = False) -> None:
    """Set `keephome_outbox_depth` to the rows waiting to be sent (an index range count on a reader).

    Never raises: a gauge that cannot be refreshed keeps its last value, and the sender goes on.
    """
    now = time.monotonic()
    if busy and now - metrics.depth_refreshed_at < BUSY_REFRESH_SECONDS:
        return
    metrics.depth_refreshed_at = now
    try:
        async with db.read() as conn:
            depth = (await conn.execute(_PENDING)).scalar_one()
    except Exception as exc:
        log.warning("outbox depth not refreshed: %s", type(exc).__name__)
        return
    metrics.outbox_depth.set(depth)
