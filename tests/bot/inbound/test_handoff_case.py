"""A tenant's handoff through the processor opens the case with what the batch read with the tenant: the priority
an adviser's queue is ordered by, and no second case beside an open one."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

from sqlalchemy import select, update

from bot.inbound.inbox import InboundMessage
from bot.runtime import Runtime
from bot.store.schema import case_events, cases, tenants
from scheduler.urgency import case_priority
from tests.conftest import make_settings, started_runtime
from tests.support.console import add_case
from tests.support.drive import process_all
from tests.support.helpers import add_tenant

PHONE = "+4520123456"


async def _hands_off(rt: Runtime) -> None:
    for i, text in enumerate(["hej", "3", "ja"]):  # a question, an adviser wanted, the consent
        await rt.inbox.submit(InboundMessage("sms", f"SM-handoff-{i}", PHONE, text))
        await process_all(rt.processor)


async def _cases(rt: Runtime) -> list[tuple[int, str, str, int, bool]]:
    async with rt.db.read() as conn:
        rows = await conn.execute(
            select(cases.c.id, cases.c.origin, cases.c.status, cases.c.priority, cases.c.consented).order_by(cases.c.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def test_a_handoff_opens_its_case_ranked_by_the_tenants_rent_position_and_household(database_url: str) -> None:
    async with started_runtime(make_settings(database_url)) as rt:
        today = rt.clock().date()
        owed = {
            "balance_ore": 1_400_000,
            "balance_as_of": today,
            "monthly_rent_ore": 700_000,
            "due_day": 5,
        }
        tenant_id = await add_tenant(rt.db, **owed)
        async with rt.db.write() as conn:
            await conn.execute(update(tenants).where(tenants.c.id == tenant_id).values(children=True))
        await _hands_off(rt)

        position = SimpleNamespace(
            **owed, demand_sent_on=None, demand_received_on=None, termination_on=None, court_date=None
        )
        days = rt.settings.demand_delivery_days
        expected = case_priority(position, today, days, children=True)  # type: ignore[arg-type]
        # Each of these would rank it otherwise: the household, the months owed, the position itself.
        assert expected != case_priority(position, today, days, children=None)  # type: ignore[arg-type]
        one_month = SimpleNamespace(**{**vars(position), "monthly_rent_ore": None})
        assert expected != case_priority(one_month, today, days, children=True)  # type: ignore[arg-type]
        assert expected != case_priority(None, today, days)
        [(case_id, origin, status, priority, consented)] = await _cases(rt)
        assert (origin, status, priority, consented) == ("handoff", "waiting", expected, True)
        async with rt.db.read() as conn:
            events = (await conn.execute(select(case_events.c.kind).where(case_events.c.case_id == case_id))).all()
        assert [e.kind for e in events] == ["opened"]


async def test_a_handoff_beside_an_open_case_refreshes_that_case(database_url: str) -> None:
    async with started_runtime(make_settings(database_url)) as rt:
        tenant_id = await add_tenant(rt.db, court_date=date.today() + timedelta(days=20), balance_ore=900_000)
        outreach = await add_case(rt, tenant_id, origin="outreach", consent=False, reason="urgent outreach")
        await _hands_off(rt)
        [(case_id, origin, status, _priority, consented)] = await _cases(rt)
        assert (case_id, origin, status, consented) == (outreach, "outreach", "waiting", True)
        async with rt.db.read() as conn:
            kinds = (
                await conn.execute(
                    select(case_events.c.kind).where(case_events.c.case_id == case_id).order_by(case_events.c.id)
                )
            ).all()
        assert [k.kind for k in kinds] == ["opened", "status"]
