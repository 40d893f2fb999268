"""A case closed with a payment plan agreed: the plan's rent brings no more "need help with the rent?", while the next
rent's reminder before its due day still goes."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from bot.cli.remind import write_table
from bot.host.cases import PAYMENT_PLAN, close_case, take_case
from bot.reminders.plan import plan_reminders
from bot.runtime import Clock, Runtime
from bot.store.db import utcnow
from bot.store.schema import rent_positions
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
