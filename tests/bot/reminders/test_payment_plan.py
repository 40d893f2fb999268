"""A case closed with a payment plan agreed: the plan's rent brings no more "need help with the rent?", while the next
rent's reminder before its due day still goes, and a later rent's "missed" only when it went unpaid on top of the
arrears the plan covers."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from bot.cli.remind import write_table
from bot.host.cases import PAYMENT_PLAN, close_case, take_case
from bot.reminders.ledger import import_tenants
from bot.reminders.plan import plan_reminders
from bot.runtime import Clock, Runtime
from bot.store.db import utcnow
from bot.store.schema import rent_positions, tenants
from bot.tenants.csv_rows import known_languages, parse_csv
from tests.conftest import make_settings, started_runtime
from tests.support.console import add_case, add_person
from tests.support.drive import drain
from tests.support.helpers import add_tenant

TZ = ZoneInfo("Europe/Copenhagen")
# Tuesday 3 March 2026: rent due Sunday 1 March was last on time Monday 2 March, so it is missed today.
DAY = date(2026, 3, 3)
PLAN = "+4520000001"
OTHER = "+4520000002"


def set_now(rt: Runtime, local: datetime) -> None:
    rt.clock.offset = local.replace(tzinfo=TZ).astimezone(UTC) - utcnow()


@pytest.fixture
async def rt(database_url: str) -> AsyncIterator[Runtime]:
    async with started_runtime(make_settings(database_url), clock=Clock()) as runtime:
        yield runtime


async def test_a_plan_agreed_with_an_adviser_ends_the_missed_rent_reminders_of_its_month(rt: Runtime) -> None:
    """Both tenants missed the rent due 1 March; an adviser agreed a payment plan with one on Tuesday afternoon and
    closed her case with it. Wednesday's plan reminds only the other, and says why; three days before April's rent
    the tenant with the plan, at risk, is reminded of it."""
    owed = {"balance_ore": 710_000, "balance_as_of": DAY, "at_risk": True}
    set_now(rt, datetime(2026, 3, 3, 14, 0))
    tenant_id = await add_tenant(rt.db, "T-1", name="Amira Hansen", phone=PLAN, **owed)
    await add_tenant(rt.db, "T-2", name="Bo Jensen", phone=OTHER, **(owed | {"balance_as_of": date(2026, 3, 4)}))
    case_id = await add_case(rt, tenant_id)
    adviser = await add_person(rt, "adviser@example.org", "adviser")
    async with rt.db.write() as conn:
        await take_case(conn, case_id, adviser, rt.clock())
        await close_case(conn, case_id, adviser, PAYMENT_PLAN, None, rt.clock())

    set_now(rt, datetime(2026, 3, 4, 9, 0))
    outcome = await plan_reminders(rt.db, rt.settings, rt.clock())
    await drain(rt.sender)

    assert [(row.tenant_ref, row.trigger) for row in outcome.rows] == [("T-2", "missed")]
    assert outcome.summary.held_by_plan == 1
    out = io.StringIO()
    write_table(outcome, TZ, out)
    assert "1 covered by a payment plan" in out.getvalue()
    # The ledger's balance of Saturday 28 March still shows the plan's arrears.
    async with rt.db.write() as conn:
        mine = rent_positions.c.tenant_id == tenant_id
        await conn.execute(update(rent_positions).where(mine).values(balance_as_of=date(2026, 3, 28)))
    later = await plan_reminders(rt.db, rt.settings, rt.clock(), day=date(2026, 3, 29), dry_run=True)
    assert sorted((row.tenant_ref, row.trigger) for row in later.rows) == [("T-1", "before_due")]


async def load(rt: Runtime, rows: str) -> None:
    """The ledger's export, imported as the organisation imports it: each changed balance dated in its history."""
    now = rt.clock()
    text = f"tenant_ref,name,phone,balance,balance_as_of\n{rows}"
    result = parse_csv(text.encode(), now.astimezone(TZ).date(), known_languages(), ["da", "en"], "da")
    assert result.ok, [str(e) for e in result.errors]
    await import_tenants(rt.db, result.rows, now, rt.settings)


async def test_a_tenant_keeping_her_plan_and_paying_the_rent_is_not_asked_about_it_the_next_month(rt: Runtime) -> None:
    """Three tenants missed the rent due 1 March; Amira and Carl agreed payment plans on Tuesday 3 March, with
    7,100 kr owed. In April Amira pays the rent and an instalment; Carl pays nothing, so April's rent comes on top of
    the plan's arrears; Bo has no plan. On Tuesday 7 April (the first bank day after Easter) Bo and Carl are asked
    whether they need help with the rent, Amira is not."""
    set_now(rt, datetime(2026, 3, 3, 9, 0))
    await load(
        rt,
        "T-1,Amira Hansen,+4520123451,7100.00,2026-03-03\n"
        "T-2,Bo Jensen,+4520123452,7100.00,2026-03-03\n"
        "T-3,Carl Berg,+4520123453,7100.00,2026-03-03\n",
    )
    async with rt.db.read() as conn:
        ids = {ref: tid for ref, tid in await conn.execute(select(tenants.c.tenant_ref, tenants.c.id))}
    set_now(rt, datetime(2026, 3, 3, 14, 0))
    adviser = await add_person(rt, "adviser@example.org", "adviser")
    for ref in ("T-1", "T-3"):
        case_id = await add_case(rt, ids[ref])
        async with rt.db.write() as conn:
            await take_case(conn, case_id, adviser, rt.clock())
            await close_case(conn, case_id, adviser, PAYMENT_PLAN, None, rt.clock())

    set_now(rt, datetime(2026, 4, 7, 8, 0))
    await load(
        rt,
        "T-1,Amira Hansen,+4520123451,6100.00,2026-04-07\n"
        "T-2,Bo Jensen,+4520123452,7100.00,2026-04-07\n"
        "T-3,Carl Berg,+4520123453,14200.00,2026-04-07\n",
    )
    set_now(rt, datetime(2026, 4, 7, 9, 0))
    outcome = await plan_reminders(rt.db, rt.settings, rt.clock())
    await drain(rt.sender)

    assert sorted((row.tenant_ref, row.trigger) for row in outcome.rows) == [("T-2", "missed"), ("T-3", "missed")]
    assert outcome.summary.held_by_plan == 1


async def test_a_rent_missed_after_the_plan_was_paid_down_is_asked_about(rt: Runtime) -> None:
    """Dorte agreed a plan on Tuesday 3 March with two months owed (14,200 kr) and paid one of them by 20 March. April's
    rent unpaid brings the balance back to 14,200 kr: no higher than on the plan's day, yet a rent missed. Compared
    with the lowest balance since the plan (7,100 kr before April), she is asked; Amira, who paid April's rent, is
    not."""
    set_now(rt, datetime(2026, 3, 3, 9, 0))
    await load(
        rt,
        "T-1,Amira Hansen,+4520123451,7100.00,2026-03-03\nT-4,Dorte Holm,+4520123454,14200.00,2026-03-03\n",
    )
    async with rt.db.read() as conn:
        ids = {ref: tid for ref, tid in await conn.execute(select(tenants.c.tenant_ref, tenants.c.id))}
    set_now(rt, datetime(2026, 3, 3, 14, 0))
    adviser = await add_person(rt, "adviser@example.org", "adviser")
    for ref in ("T-1", "T-4"):
        case_id = await add_case(rt, ids[ref])
        async with rt.db.write() as conn:
            await take_case(conn, case_id, adviser, rt.clock())
            await close_case(conn, case_id, adviser, PAYMENT_PLAN, None, rt.clock())
    set_now(rt, datetime(2026, 3, 20, 8, 0))
    await load(rt, "T-1,Amira Hansen,+4520123451,7100.00,2026-03-20\nT-4,Dorte Holm,+4520123454,7100.00,2026-03-20\n")

    set_now(rt, datetime(2026, 4, 7, 8, 0))
    await load(rt, "T-1,Amira Hansen,+4520123451,6100.00,2026-04-07\nT-4,Dorte Holm,+4520123454,14200.00,2026-04-07\n")
    set_now(rt, datetime(2026, 4, 7, 9, 0))
    outcome = await plan_reminders(rt.db, rt.settings, rt.clock())

    assert [(row.tenant_ref, row.trigger) for row in outcome.rows] == [("T-4", "missed")]
    assert outcome.summary.held_by_plan == 1
