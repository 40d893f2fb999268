"""On PostgreSQL a claim that finds nothing due reads a few index entries, not every outbox row ever sent.

A claim first looks which kinds of row (answers or proactive rows, per channel) have one due. asyncpg prepares
its statements, and after a few runs PostgreSQL may plan them once for any values (a generic plan): the state and
the channel are then unknown, half the table seems to match, and an EXISTS that reads the table from the start
looks cheap. When nothing is due it read every row: the sent rows of every earlier day, at every claim, several
times a second (the PostgreSQL bench's CPU a message grew from round to round with the table).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, text

from bot.outbox.claim import claim
from bot.store.db import Database
from tests.support.schema import migrated

pytestmark = pytest.mark.postgres

SENT = 20_000  # every reply of earlier days stays in the outbox until retention purges it
NOW = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)


# Rows of the outbox read so far in this transaction (the test's own statement, left out of the counts).
_READ_SO_FAR = (
    "SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) FROM pg_stat_xact_user_tables "
    "WHERE relid = 'outbox'::regclass"
)


class _Reads:
    """Rows of the outbox each statement of a claim read (in its transaction), every statement planned for any
    values, as a prepared statement may be after a few runs."""

    def __init__(self) -> None:
        self.generic = False
        self.before: int | None = None
        self.rows: list[tuple[str, int]] = []

    @staticmethod
    def _read_so_far(conn: Any) -> int:
        return int(conn.exec_driver_sql(_READ_SO_FAR).scalar_one())

    def before_execute(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith(("SET", _READ_SO_FAR)):
            return
        if not self.generic:
            self.generic = True
            conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_generic_plan")
        if "outbox" in statement:
            self.before = self._read_so_far(conn)

    def after_execute(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if self.before is not None and not statement.startswith(("SET", _READ_SO_FAR)):
            look = "settings_flags" in statement
            self.rows.append(
                ("look" if look else " ".join(statement.split()[:2]), self._read_so_far(conn) - self.before)
            )
            self.before = None


async def _claim_reads(db: Database) -> tuple[list[tuple[str, int]], list[int]]:
    reads = _Reads()
    engine = db.writer.sync_engine
    event.listen(engine, "before_cursor_execute", reads.before_execute)
    event.listen(engine, "after_cursor_execute", reads.after_execute)
    try:
        taken = await db.run(
            claim,
            NOW,
            NOW + timedelta(minutes=5),
            {(False, "sms"): 10, (True, "sms"): 10},
            20,
            channels=frozenset({"sms"}),
            is_sqlite=False,
        )
    finally:
        event.remove(engine, "before_cursor_execute", reads.before_execute)
        event.remove(engine, "after_cursor_execute", reads.after_execute)
    return reads.rows, [row.id for row in taken.rows]


async def test_a_claim_with_nothing_due_reads_a_few_rows_of_a_large_outbox(pg_url: str) -> None:
    db = Database(pg_url)
    try:
        await migrated(db)
        async with db.write() as conn:
            await conn.execute(
                text(
                    "INSERT INTO messages (id, direction, channel, author, status, status_rank, proactive, created_at, "
                    "updated_at) VALUES (1, 'out', 'sms', 'bot', 'sent', 2, false, now(), now())"
                )
            )
            # Earlier days' answers, all sent, and tomorrow's reminders, not due yet.
            await conn.execute(
                text(
                    "INSERT INTO outbox (message_id, address, channel, template, values, language, proactive, "
                    "not_before, attempts, next_attempt_at, idempotency_key, state, created_at, recheck) "
                    "SELECT 1, '+4530000001', 'sms', 't', '{}', 'da', g % 10 = 0, :at, 0, :at, 'k' || g, "
                    "CASE WHEN g % 10 = 0 THEN 'pending' ELSE 'sent' END, :at, false "
                    f"FROM generate_series(1, {SENT}) g"
                ),
                {"at": NOW + timedelta(days=1)},
            )
        async with db.write() as conn:
            await conn.execute(text("ANALYZE outbox"))

        nothing_due, taken = await _claim_reads(db)
        assert taken == []
        # The look, planned for any values, read a few index entries, not the table's 20,000 rows; so did every
        # other statement of the claim (the rows the pause set aside are put back: there are none).
        assert "look" in [what for what, _ in nothing_due]
        assert [read for _, read in nothing_due if read > 10] == [], nothing_due

        async with db.write() as conn:
            reply = await conn.execute(
                text(
                    "INSERT INTO outbox (message_id, address, channel, template, values, language, proactive, "
                    "not_before, attempts, next_attempt_at, idempotency_key, state, created_at, recheck) "
                    "VALUES (1, '+4530000002', 'sms', 't', '{}', 'da', false, :at, 0, :at, 'reply', 'pending', :at, "
                    "false) "
                    "RETURNING id"
                ),
                {"at": NOW - timedelta(seconds=1)},
            )
            reply_id = reply.scalar_one()
        # A due answer is still found and leased, and no statement read the table to find it.
        one_due, taken = await _claim_reads(db)
        assert taken == [reply_id]
        assert "look" in [what for what, _ in one_due]
        assert [read for _, read in one_due if read > 10] == [], one_due
    finally:
        await db.dispose()
