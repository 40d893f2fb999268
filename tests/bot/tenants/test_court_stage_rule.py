"""One rule says when a termination no longer counts as the court stage (a court case called off on or after it):
the reminders' snapshots and the legal clock the console ranks and shows by read the same, on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from bot.reminders.reads import load_snapshots
from bot.store.db import Database
from bot.store.schema import court_cases
from bot.tenants.court import clock_position
from tests.support import helpers

NOW = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
TERMINATED = date(2026, 2, 1)

# (called off on, days after the termination; None: no called-off case) -> does the termination still count?
CASES = [
    (None, True),
    (-1, True),  # called off before this termination: a new termination counts again
    (0, False),
    (20, False),
]


async def test_the_reminders_and_the_legal_clock_read_one_rule(database: Database) -> None:
    ids: dict[int, bool] = {}
    for n, (called_off, counts) in enumerate(CASES):
        tenant = await helpers.add_tenant(
            database, f"T-{n}", phone=f"+452000000{n}", balance_ore=100_00, today=NOW.date(), termination_on=TERMINATED
        )
        ids[tenant] = counts
        if called_off is not None:
            async with database.write() as conn:
                await conn.execute(
                    insert(court_cases).values(
                        tenant_id=tenant,
                        filed_on=TERMINATED - timedelta(days=5),
                        status="closed",
                        outcome="called_off",
                        outcome_on=TERMINATED + timedelta(days=called_off),
                        opened_at=NOW,
                        updated_at=NOW,
                    )
                )
    # A tenant without a termination: nothing to call off.
    plain = await helpers.add_tenant(database, "T-9", phone="+4520000099", today=NOW.date())
    async with database.read() as conn:
        snapshots = {s.tenant_id: s for s in await conn.run_sync(load_snapshots, None, ZoneInfo("Europe/Copenhagen"))}
        clocks = {tid: await conn.run_sync(clock_position, tid) for tid in [*ids, plain]}
    for tenant, counts in ids.items():
        expected = TERMINATED if counts else None
        assert snapshots[tenant].termination_on == expected, tenant
        assert clocks[tenant].termination_on == expected, tenant
        # The ledger's termination is still shown as it stands.
        assert clocks[tenant].ledger_termination_on == TERMINATED
    assert snapshots[plain].termination_on is None and clocks[plain].termination_on is None
