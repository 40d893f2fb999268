"""On PostgreSQL the processor's next rows cost the rows it takes, not the rows the table keeps or the backlog."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, text

from bot.inbound.processor import CHUNK, Processor
from bot.metrics import Metrics
from bot.store.db import Database
from tests.conftest import make_settings
from tests.support.plans import plan_nodes
from tests.support.schema import migrated

pytestmark = pytest.mark.postgres

PROCESSED = 20_000  # rows handled before and kept until retention purges them
WAITING = 3_000  # the backlog: 300 senders with ten messages each, interleaved


async def test_the_next_rows_are_found_without_walking_the_table(pg_url: str) -> None:
    db = Database(pg_url)
    try:
        await migrated(db)
        async with db.write() as conn:
            for first, count, processed in ((1, PROCESSED, "now()"), (PROCESSED + 1, WAITING, "NULL")):
                await conn.execute(
                    text(
                        "INSERT INTO inbound (channel, provider_id, sender, text, received_at, processed_at) "
                        f"SELECT 'sms', 'SM' || g, '+452000' || (g % 300), 'hej', now(), {processed} "
                        f"FROM generate_series({first}, {first + count - 1}) g"
                    )
                )
            await conn.execute(text("ANALYZE inbound"))  # what autovacuum does on a busy table
        processor = Processor(db, make_settings(pg_url), lambda: datetime.now(UTC), Metrics())
        plans: list[dict[str, Any]] = []

        def explain(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
            # The statement as the processor sends it: its parameters, its transaction and planner setting.
            if "SKIP LOCKED" in statement and not statement.startswith("EXPLAIN"):
                raw = conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters).scalar_one()
                plans.append((json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"])

        event.listen(db.writer.sync_engine, "before_cursor_execute", explain)
        taken = await db.run(processor._next_rows, 0)
        event.remove(db.writer.sync_engine, "before_cursor_execute", explain)
    finally:
        await db.dispose()

    # The first waiting message of each sender, in order; none whose sender has an earlier one waiting.
    assert [row.id for row in taken] == list(range(PROCESSED + 1, PROCESSED + 1 + CHUNK))
    (plan,) = plans
    # Each scan of the table looks at about the rows the batch takes: the waiting rows by id, and per row one probe
    # for an earlier waiting message of its sender, not the processed rows before them nor the whole backlog.
    looked_at = sum(
        scan["Actual Rows"] * scan["Actual Loops"] + scan.get("Rows Removed by Filter", 0)
        for scan in plan_nodes(plan)
        if scan.get("Alias") == "inbound"
    )
    assert looked_at <= 2 * CHUNK


@pytest.mark.parametrize("waiting", [3, 0])
async def test_the_handlers_statements_after_the_next_rows_are_planned_as_configured(pg_url: str, waiting: int) -> None:
    # The next rows are read without a sort; the statements that follow in the batch (a tenant's open case, their
    # active conversation: the first of an ORDER BY) must be planned as usual, or they walk whole tables.
    db = Database(pg_url)
    try:
        await migrated(db)
        async with db.write() as conn:  # one message from each of `waiting` senders
            await conn.execute(
                text(
                    "INSERT INTO inbound (channel, provider_id, sender, text, received_at) "
                    f"SELECT 'sms', 'SM' || g, '+452000' || g, 'hej', now() FROM generate_series(1, {waiting}) g"
                )
            )
        processor = Processor(db, make_settings(pg_url), lambda: datetime.now(UTC), Metrics())

        def settings_around(conn: Any) -> tuple[int, str, str]:
            configured = conn.execute(text("SHOW enable_sort")).scalar_one()
            taken = processor._next_rows(conn, 0)
            return len(taken), configured, conn.execute(text("SHOW enable_sort")).scalar_one()

        for _ in range(2):  # the first batch reads the configured value, the next uses what it read
            taken, before, after = await db.run(settings_around)
            assert (taken, after) == (waiting, before)
    finally:
        await db.dispose()
