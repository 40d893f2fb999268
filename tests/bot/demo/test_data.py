"""The demo's fictional tenants: every stage of the rent timeline, and seeding twice changes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import phonenumbers
import pytest
from sqlalchemy import insert, select

from bot.demo.data import DEMO_PREFIX, DemoRowRefused, DemoTenant, Seeded, demo_tenants, seed_demo
from bot.store.address_hash import stranger_key
from bot.store.db import Database
from bot.store.schema import rent_positions, tenants, unknown_senders
from bot.tenants.csv_rows import ImportRow
from bot.tenants.erase import erase
from scheduler.calendar import demand_deadline, demand_received
from scheduler.model import COURT_DATE_OFFSET, PolicySettings, RentSnapshot
from scheduler.policy import plan
from scheduler.rent_day import RentDay

KEY = "demo-test-key-demo-test-key-0123456789"
TUESDAY = date(2026, 3, 3)  # a day on which a 1, 3 and 7 day påkrav deadline all fall on weekdays


def test_twelve_fictional_tenants_in_three_languages() -> None:
    demo = demo_tenants(TUESDAY)
    assert len(demo) == 12
    assert len({d.row.tenant_ref for d in demo}) == 12 and all(d.row.tenant_ref.startswith(DEMO_PREFIX) for d in demo)
    phones = [d.row.phone for d in demo]
    assert len(set(phones)) == 12
    assert all(phonenumbers.is_valid_number(phonenumbers.parse(p)) for p in phones)
    languages = [d.row.language for d in demo]
    assert set(languages) == {"da", "en", "ar"} and languages.count("ar") == 1


def deadline_of(row: ImportRow, delivery_days: int = 0) -> date:
    received = demand_received(row.demand_sent_on, row.demand_received_on, delivery_days)
    assert received is not None
    return demand_deadline(received)


def test_the_påkrav_deadlines_are_seven_three_and_one_days_away() -> None:
    demo = {d.stage: d.row for d in demo_tenants(TUESDAY)}
    for days in (7, 3, 1):
        assert (deadline_of(demo[f"påkrav, {days} day{'' if days == 1 else 's'} left"]) - TUESDAY).days == days
    # One påkrav came on paper: its day of receipt is recorded, three days after it was sent.
    paper = demo["påkrav, 7 days left"]
    assert paper.demand_sent_on is not None and paper.demand_received_on == paper.demand_sent_on + timedelta(days=3)
    # With a delivery time configured the letters are dated earlier and the deadlines stay.
    for d in demo_tenants(TUESDAY, delivery_days=2):
        if d.stage.startswith("påkrav"):
            assert deadline_of(d.row, 2) == deadline_of(demo[d.stage])


def demo_snapshots(demo: list[DemoTenant]) -> list[RentSnapshot]:
    return [
        RentSnapshot(
            tenant_id=i,
            due_day=d.row.due_day,
            balance_ore=d.row.balance_ore,
            balance_as_of=d.row.balance_as_of,
            demand_sent_on=d.row.demand_sent_on,
            demand_received_on=d.row.demand_received_on,
            termination_on=d.row.termination_on,
            court_date=d.row.court_date,
            at_risk=d.row.at_risk,
            promise_on=d.promise_on,
            paid_claim_until=d.paid_claim_until,
            reachable=d.status == "active",
        )
        for i, d in enumerate(demo)
    ]


def test_the_reminder_policy_meets_every_stage() -> None:
    demo = demo_tenants(TUESDAY)
    day = plan(demo_snapshots(demo), TUESDAY, PolicySettings())
    triggers = {demo[r.tenant_id].stage: (r.trigger.value, r.offset) for r in day.reminders}
    assert triggers == {
        "at risk before due": ("before_due", None),
        "missed the due day": ("missed", None),
        "påkrav, 7 days left": ("demand", 7),
        "påkrav, 3 days left": ("demand", 3),
        "påkrav, 1 day left": ("demand", 1),
        "termination known": ("court", None),
        # A court date's outreach has the date's day in its key (COURT_DATE_OFFSET + day).
        "court date known": ("court", COURT_DATE_OFFSET + (TUESDAY + timedelta(days=14)).day),
    }
    # The paid-up tenant has nothing due, the opted-out one is unreachable, the "already paid" one and the
    # one who promised to pay on Thursday wait.
    assert (day.summary.unreachable, day.summary.held_by_paid_claim) == (1, 2)


@pytest.mark.parametrize("today", [date(2026, 1, 1) + timedelta(days=n) for n in range(0, 365, 1)], ids=str)
def test_whatever_the_day_the_demo_brings_reminders_at_every_stage(today: date) -> None:
    demo = demo_tenants(today)
    for d in demo:
        if d.stage.startswith("påkrav"):
            left = (deadline_of(d.row) - today).days
            assert d.stage == f"påkrav, {left} day{'' if left == 1 else 's'} left"
    planned = plan(demo_snapshots(demo), today, PolicySettings()).reminders
    by_stage = {demo[r.tenant_id].stage: r.trigger.value for r in planned}
    # A day on which no due date's before-due reminder falls (in the quiet days of Christmas) brings none.
    before_due = {"before_due"} if RentDay(today, PolicySettings()).upcoming else set()
    assert before_due | {"missed", "demand", "court"} <= set(by_stage.values())
    assert by_stage["missed the due day"] == "missed"
    # The tenants who said they paid or promised a day are not reminded of anything less than court.
    assert "says already paid" not in by_stage and "promised to pay" not in by_stage


async def snapshot(db: Database) -> list[dict[str, Any]]:
    query = select(tenants, rent_positions).join(rent_positions, rent_positions.c.tenant_id == tenants.c.id)
    async with db.read() as conn:
        rows = (await conn.execute(query.order_by(tenants.c.tenant_ref))).mappings().all()
    return [{k: v for k, v in row.items() if not k.startswith(("updated_at", "created_at"))} for row in rows]


async def test_seeding_twice_changes_nothing(database: Database) -> None:
    now = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
    assert await seed_demo(database, TUESDAY, now) == Seeded(12, ())
    first = await snapshot(database)
    assert await seed_demo(database, TUESDAY, now + timedelta(minutes=5)) == Seeded(12, ())
    assert await snapshot(database) == first
    by_name = {row["name"]: row for row in first}
    assert len(by_name) == 12
    assert by_name["Gitte Attrap"]["status"] == "stopped"
    assert by_name["Hans Prøve"]["promise_on"] == TUESDAY + timedelta(days=2)
    assert by_name["Robin Placeholder"]["court_date"] == TUESDAY + timedelta(days=14)
    assert by_name["Layla Demo"]["language"] == "da"  # Arabic is off (KEEPHOME_LANGUAGES=da,en): Danish
    assert {row["balance_as_of"] for row in first} == {TUESDAY}


async def test_a_tenant_in_a_language_that_is_off_reads_the_fallback_until_it_is_turned_on(
    database: Database,
) -> None:
    now = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
    await seed_demo(database, TUESDAY, now)
    assert {row["name"]: row["language"] for row in await snapshot(database)}["Layla Demo"] == "da"
    await seed_demo(database, TUESDAY, now, languages=("da", "en", "ar"))
    assert {row["name"]: row["language"] for row in await snapshot(database)}["Layla Demo"] == "ar"
    await seed_demo(database, TUESDAY, now, languages=("en", "ar"), fallback="en")
    languages = {row["name"]: row["language"] for row in await snapshot(database)}
    assert (languages["Layla Demo"], languages["Anna Eksempel"], languages["Jamie Sample"]) == ("ar", "en", "en")


async def test_a_demo_tenant_erased_in_the_demo_stays_erased_when_it_is_seeded_again(database: Database) -> None:
    """The walk: erase DEMO-07 in the demo, start it again. Seeded as an import with the demo's key, the erased
    tenant's tombstone keeps it out; the others are refreshed as ever."""
    now = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
    await seed_demo(database, TUESDAY, now, secret_key=KEY)
    await erase(database, "DEMO-07", now, "api:1", KEY)
    later = TUESDAY + timedelta(days=1)
    assert await seed_demo(database, later, now + timedelta(days=1), secret_key=KEY) == Seeded(11, ("DEMO-07",))
    rows = await snapshot(database)
    assert len(rows) == 11 and "Erik Fiktiv" not in {row["name"] for row in rows}
    assert {row["balance_as_of"] for row in rows} == {later}
    async with database.read() as conn:
        found = await conn.execute(select(tenants.c.tenant_ref, tenants.c.status).order_by(tenants.c.id))
        every = found.all()
    assert len(every) == 12 and "DEMO-07" not in {ref for ref, _ in every}  # no new DEMO-07 beside the erased row
    assert [ref.startswith("erased:") for ref, status in every if status == "erased"] == [True]


async def test_a_demo_number_that_said_stop_before_keeps_its_stop(database: Database) -> None:
    """Anna's number said STOP before the demo gave it to her: she is stored stopped, as an import stores her, and the
    demo's story (active) does not make her reachable again."""
    now = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
    anna = demo_tenants(TUESDAY)[0].row
    async with database.write() as conn:
        key = stranger_key(KEY, "sms", anna.phone)
        await conn.execute(insert(unknown_senders).values(address_hash=key, stopped_at=now - timedelta(days=2)))
    await seed_demo(database, TUESDAY, now, secret_key=KEY)
    by_name = {row["name"]: row["status"] for row in await snapshot(database)}
    assert (by_name["Anna Eksempel"], by_name["Gitte Attrap"], by_name["Bent Prøvesen"]) == (
        "stopped",
        "stopped",
        "active",
    )


async def test_seeding_on_a_later_day_moves_the_timeline(database: Database) -> None:
    now = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
    await seed_demo(database, TUESDAY, now)
    later = TUESDAY + timedelta(days=30)
    await seed_demo(database, later, now + timedelta(days=30))
    rows = await snapshot(database)
    assert len(rows) == 12
    assert {row["balance_as_of"] for row in rows} == {later}


def test_a_demo_tenant_an_import_would_refuse_stops_the_demo() -> None:
    """The demo's tenants are read by the import's row rules: on 25 December 2099 Robin's court date, two weeks
    ahead, falls in 2100, a year an import refuses, and the demo says so rather than show it."""
    with pytest.raises(DemoRowRefused, match=r"Robin Placeholder on 2099-12-25: court_date \"2100-01-08\" is not in"):
        demo_tenants(date(2099, 12, 25))
    assert len(demo_tenants(date(2099, 12, 17))) == 12
