"""Migration 0013: a court date's outreach recorded before keeps its meaning, so the upgrade reaches out to no one
again for a court date already reached out to, while a termination's outreach stays what it was."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.store.db import Database
from bot.store.migrate import upgrade
from bot.store.schema import planned_reminders
from scheduler.model import PolicySettings
from scheduler.policy import plan
from tests.support.helpers import add_tenant
from tests.support.schema import migrate_to

NOW = datetime(2027, 3, 12, 10, 0, tzinfo=UTC)


async def _keys(db: Database) -> list[tuple[int, str, int]]:
    pr = planned_reminders.c
    async with db.read() as conn:
        rows = await conn.execute(select(pr.tenant_id, pr.period, pr.offset_days).order_by(pr.id))
        return [(int(t), str(p), int(o)) for t, p, o in rows]


async def test_outreaches_recorded_before_keep_their_court_date(empty_database_url: str) -> None:
    db = Database(empty_database_url)
    try:
        await migrate_to(db, "0012")
        court = date(2027, 3, 24)
        owed = {"balance_ore": 500_000, "balance_as_of": date(2027, 3, 10), "now": NOW}
        # 1: its outreach computed from the court date (0012 keeps what it was computed from).
        one = await add_tenant(db, "T-1", phone="+4520000001", court_date=court, **owed)
        # 2: an outreach recorded before 0012 (nothing kept), in the month of the court date the tenant has now.
        two = await add_tenant(db, "T-2", phone="+4520000002", court_date=court, **owed)
        # 3: a termination's outreach; the court date, known since, is in the same month: that one is still to come.
        three = await add_tenant(
            db, "T-3", phone="+4520000003", termination_on=date(2027, 3, 2), court_date=court, **owed
        )
        rows = [
            (one, "2027-03", -1, {"court_date": "2027-03-24", "balance_owed": "yes", "balance_as_of": "2027-03-10"}),
            (one, "2027-03", 23, {"court_date": "2027-03-24", "court_eve": "2027-03-23"}),
            (two, "2027-03", -1, None),
            (
                three,
                "2027-03",
                -1,
                {"termination_on": "2027-03-02", "balance_owed": "yes", "balance_as_of": "2027-03-03"},
            ),
        ]
        async with db.write() as conn:
            for tenant_id, period, offset, computed in rows:
                await conn.execute(
                    planned_reminders.insert().values(
                        tenant_id=tenant_id, trigger="court", period=period, offset_days=offset,
                        planned_for=date(2027, 3, 3), reason="r", computed_from=computed, created_at=NOW,
                    )
                )  # fmt: skip
        await upgrade(db)
        assert await _keys(db) == [
            (one, "2027-03", 124),
            (one, "2027-03", 23),
            (two, "2027-03", 124),
            (three, "2027-03", -1),
        ]
        # What the planner asks for on the next day: the keys of T-1 and T-2 are recorded, T-3's court date is new.
        from bot.reminders.reads import load_snapshots, planned_keys

        async with db.read() as conn:
            snapshots = await conn.run_sync(load_snapshots, None, ZoneInfo("Europe/Copenhagen"))
            known = await conn.run_sync(planned_keys, [one, two, three])
        wanted = plan(snapshots, date(2027, 3, 12), PolicySettings()).reminders
        fresh = [r.tenant_id for r in wanted if (r.tenant_id, r.trigger.value, r.period, r.offset) not in known]
        assert fresh == [three]

        await migrate_to(db, "0012", down=True)
        assert await _keys(db) == [
            (one, "2027-03", -1),
            (one, "2027-03", 23),
            (two, "2027-03", -1),
            (three, "2027-03", -1),
        ]
    finally:
        await db.dispose()
