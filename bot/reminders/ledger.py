"""What the housing organisation's ledger says, applied: tenants and rent positions, and reminders that stop.

A tenant an import shows paid up stops hearing reminders the same day: a waiting reminder conversation
ends, with a thank-you when the tenant had already read its question. Everything lands in one
transaction with an audit entry (its counts as `key=value`s), so an import is all or nothing.
Each changed balance is dated in `balance_events` (bot/tenants/upsert.py), the history the outcome page reads.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from bot.reminders.timers import balance_updated
from bot.settings import Settings
from bot.store.audit import record_entry
from bot.store.db import Database
from bot.tenants.csv_rows import ImportRow
from bot.tenants.upsert import ImportSummary, stops_since, upsert_rows

__all__ = ["import_tenants"]

log = logging.getLogger(__name__)


async def import_tenants(
    db: Database,
    rows: Sequence[ImportRow],
    now: datetime,
    settings: Settings,
    *,
    actor: str = "cli",
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Create or update every row's tenant and rent position in one transaction, with an audit entry."""
    async with db.write() as conn:
        # The secret key reads the tombstones of erased tenants: their rows stay out unless they say reactivate=1.
        summary = await upsert_rows(conn, rows, now, progress, secret_key=settings.secret_key)
        if summary.settled_ids:
            await conn.run_sync(balance_updated, summary.settled_ids, now, settings)
        await record_entry(conn, at=now, actor=actor, action="tenants.import", detail=summary.audit_detail())
    if summary.numbers_given:
        # A STOP from a number the file gave, kept while the import ran, is found now that both are committed. A
        # failure here leaves the import done, and says what it could not do.
        try:
            async with db.write() as conn:
                summary = await stops_since(conn, summary, now, settings.secret_key)
        except Exception:
            log.exception(
                "the import was saved, but looking for a STOP said meanwhile from a number it gave failed: such a "
                "tenant is active until they say STOP again"
            )
    log.info("tenant import by %s: %s", actor, summary)
    return summary
