"""After words of crisis and the tenant's yes to an adviser, their case comes first in the queue and the case and
tenant pages say why and until when rent reminders are held; without the yes they say only until when."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.console.crisis import CrisisHold, crisis_holds
from bot.inbound.inbox import InboundMessage
from bot.runtime import Runtime
from bot.store.schema import cases, consents
from tests.conftest import make_settings, started_runtime
from tests.support.console import add_case, add_tenant, staff_client, today
from tests.support.drive import at_local, drain, process_all

_ROW = re.compile(r'<tr data-case="(\d+)"')
_CRISIS = re.compile(r'id="crisis"[^>]*>(?:<strong>)?([^<]+)<')


@pytest.fixture
async def rt(database_url: str) -> AsyncIterator[Runtime]:
    async with started_runtime(make_settings(database_url)) as runtime:
        at_local(runtime, datetime(2026, 3, 3, 10, 0))
        yield runtime


async def _say(rt: Runtime, phone: str, text: str, sid: str) -> None:
    await rt.inbox.submit(InboundMessage("sms", sid, phone, text))
    await process_all(rt.processor)
    await drain(rt.sender)


async def _case_of(rt: Runtime, tenant_id: int) -> int:
    async with rt.db.read() as conn:
        return int((await conn.execute(select(cases.c.id).where(cases.c.tenant_id == tenant_id))).scalar_one())


def _crisis_note(page: str) -> str | None:
    found = _CRISIS.search(page)
    return None if found is None else found.group(1)


async def test_a_handoff_after_words_of_crisis_comes_before_a_court_date_tomorrow(rt: Runtime) -> None:
    day = today(rt)
    owed = {"balance_ore": 710_000, "balance_as_of": day}
    court = await add_tenant(
        rt, "T-COURT", name="Carl Court", phone="+4520000001", court_date=day + timedelta(1), **owed
    )
    court_case = await add_case(rt, court)
    # Rent only overdue: the lowest tier the queue knows, until the tenant wrote words of crisis and said yes.
    crisis = await add_tenant(rt, "T-CRISIS", name="Dina Dahl", phone="+4520000002", **owed)
    await _say(rt, "+4520000002", "jeg vil tage mit liv", "M1")
    await _say(rt, "+4520000002", "RÅDGIVER", "M2")
    await _say(rt, "+4520000002", "JA", "M3")
    async with rt.db.read() as conn:
        assert (await conn.execute(select(consents.c.scope).where(consents.c.tenant_id == crisis))).scalars().all()
    crisis_case = await _case_of(rt, crisis)
    # The same words from a tenant with an urgent outreach and no consent: the adviser may not read them.
    quiet = await add_tenant(rt, "T-QUIET", name="Erik Eng", phone="+4520000003", **owed)
    quiet_case = await add_case(rt, quiet, origin="outreach", consent=False, reason="urgent outreach: termination")
    await _say(rt, "+4520000003", "I want to die", "M4")

    async with staff_client(rt, "adviser") as adviser:
        inbox = (await adviser.get("/console/")).text
        shown = (await adviser.get(f"/console/cases/{crisis_case}")).text
        tenant_page = (await adviser.get(f"/console/tenants/{crisis}")).text
        hidden = (await adviser.get(f"/console/cases/{quiet_case}")).text

    order = [int(case_id) for case_id in _ROW.findall(inbox)]
    assert order[:2] == [crisis_case, court_case] and quiet_case in order[2:]
    until = (day + timedelta(days=7)).strftime("%-d %b %Y")
    for page in (shown, tenant_page):
        note = _crisis_note(page)
        assert note is not None and "words of crisis" in note and "first in the queue" in note and until in note
    note = _crisis_note(hidden)
    assert note is not None and until in note and "crisis" not in note
    assert "words of crisis" not in hidden


async def test_after_the_hold_the_case_takes_its_place_by_the_legal_clock_again(rt: Runtime) -> None:
    day = today(rt)
    owed = {"balance_ore": 710_000, "balance_as_of": day}
    court = await add_tenant(
        rt, "T-COURT", name="Carl Court", phone="+4520000001", court_date=day + timedelta(20), **owed
    )
    court_case = await add_case(rt, court)
    crisis = await add_tenant(rt, "T-CRISIS", name="Dina Dahl", phone="+4520000002", **owed)
    crisis_case = await add_case(rt, crisis)
    await _say(rt, "+4520000002", "jeg vil ikke leve mere", "M1")
    async with staff_client(rt, "adviser") as adviser:
        assert [int(c) for c in _ROW.findall((await adviser.get("/console/")).text)] == [crisis_case, court_case]
    # Eight days on (a new sign-in: the first one's session has ended), the 7 days of the hold are over.
    at_local(rt, datetime.combine(day + timedelta(days=8), datetime.min.time()).replace(hour=10))
    async with staff_client(rt, "admin") as admin:
        later = (await admin.get("/console/")).text
        page = (await admin.get(f"/console/cases/{crisis_case}")).text
    assert [int(c) for c in _ROW.findall(later)] == [court_case, crisis_case]
    assert _crisis_note(page) is None


async def test_a_whole_queue_is_asked_at_once_and_finds_the_same(rt: Runtime) -> None:
    """A queue of more than a hundred cases reads every tenant's words of crisis in one statement: only the tenants
    asked about come back, the same as asked one by one."""
    day = today(rt)
    crisis = await add_tenant(rt, "T-CRISIS", name="Dina Dahl", phone="+4520000002", balance_ore=0)
    other = await add_tenant(rt, "T-OTHER", name="Frida Fog", phone="+4520000004", balance_ore=0)
    await _say(rt, "+4520000002", "jeg vil tage mit liv", "M1")
    await _say(rt, "+4520000004", "I want to die", "M2")
    zone = ZoneInfo(rt.settings.timezone)
    many = [crisis, *range(other + 1, other + 200)]
    async with rt.db.read() as conn:
        whole = await conn.run_sync(crisis_holds, zone, many, day, 7)
        one = await conn.run_sync(crisis_holds, zone, [crisis], day, 7)
    assert whole == one == {crisis: CrisisHold(day, day + timedelta(days=7))}
