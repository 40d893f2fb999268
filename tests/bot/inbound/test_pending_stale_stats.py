"""On PostgreSQL the processor keeps taking its next rows cheaply whatever statistics the planner has.

PostgreSQL plans with the statistics of the table's last ANALYZE. Autovacuum takes them when it gets round to it:
most often when nothing waits (all rows processed), or not yet at all on a new database. A burst of messages then
looks like one waiting row, and plans that are fine for one row walked the whole backlog for every chunk the
processor took: 0.2-0.6 s per 32 rows at a backlog of 20,000, longer with every message the webhooks added, so
the processor fell further behind the more it had to catch up (the PostgreSQL bench: all later messages unhandled).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, select, text

from bot.inbound.processor import CHUNK, MIN_ROWS, Processor
from bot.metrics import Metrics
from bot.store.db import Database
from bot.store.schema import inbound
from tests.conftest import make_settings
from tests.support.plans import plan_nodes
from tests.support.schema import migrated

pytestmark = pytest.mark.postgres

PROCESSED = 30_000  # handled earlier, kept until retention purges them
WAITING = 20_000  # the burst: 3,000 senders, interleaved
SENDERS = 3_000


def _rows_read(plan: dict[str, Any]) -> float:
    """Rows the statement read from the inbound table: every scan of it (or of an index of it), every loop."""
    return sum(
        (node["Actual Rows"] + node.get("Rows Removed by Filter", 0)) * node["Actual Loops"]
        + node.get("Rows Removed by Join Filter", 0) * node["Actual Loops"]
        for node in plan_nodes(plan)
        if node.get("Relation Name") == "inbound" or "Join" in node.get("Node Type", "")
    )


@pytest.mark.parametrize("statistics", ["taken while nothing waited", "never taken"])
async def test_a_burst_is_taken_a_chunk_at_a_time_with_stale_statistics(pg_url: str, statistics: str) -> None:
    db = Database(pg_url)
    plans: list[dict[str, Any]] = []

    def explain(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        # The processor's own statement, with its parameters and in its transaction: EXPLAIN it just before it runs.
        if "SKIP LOCKED" in statement and not statement.startswith("EXPLAIN"):
            raw = conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters).scalar_one()
            plans.append((json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"])

    try:
        await migrated(db)
        async with db.write() as conn:
            await conn.execute(
                text(
                    "INSERT INTO inbound (channel, provider_id, sender, text, received_at, processed_at) "
                    f"SELECT 'sms', 'SM' || g, '+452' || lpad((g % {SENDERS})::text, 7, '0'), 'hej', now(), now() "
                    f"FROM generate_series(1, {PROCESSED}) g"
                )
            )
        if statistics == "taken while nothing waited":
            async with db.write() as conn:
                await conn.execute(text("ANALYZE inbound"))
        async with db.write() as conn:
            await conn.execute(
                text(
                    "INSERT INTO inbound (channel, provider_id, sender, text, received_at) "
                    f"SELECT 'sms', 'SM' || g, '+452' || lpad((g % {SENDERS})::text, 7, '0'), 'hej', now() "
                    f"FROM generate_series({PROCESSED + 1}, {PROCESSED + WAITING}) g"
                )
            )
        processor = Processor(db, make_settings(pg_url), lambda: datetime.now(UTC), Metrics(), budget=0.0)
        event.listen(db.writer.sync_engine, "before_cursor_execute", explain)
        handled = await processor.process_pending()
        event.remove(db.writer.sync_engine, "before_cursor_execute", explain)
        async with db.read() as conn:
            done = (
                (
                    await conn.execute(
                        select(inbound.c.id).where(inbound.c.id > PROCESSED, inbound.c.processed_at.is_not(None))
                    )
                )
                .scalars()
                .all()
            )
    finally:
        await db.dispose()

    # The batch handled the oldest waiting messages, each once.
    assert handled >= MIN_ROWS
    assert sorted(done) == list(range(PROCESSED + 1, PROCESSED + 1 + handled))
    # Each chunk read about the rows it took (the next waiting rows, and one probe per row for an earlier waiting
    # message of its sender), not the backlog: 20,000 waiting rows, or 20,000 for every row taken.
    assert plans
    assert [_rows_read(plan) <= 3 * CHUNK for plan in plans] == [True] * len(plans)
