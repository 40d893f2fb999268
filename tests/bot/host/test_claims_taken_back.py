"""A promise or an "I have paid" the tenant takes back ends on their rent position: the reminders it held go again,
and the console and the tenant's export no longer show it (on SQLite and on PostgreSQL)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from bot.console.inbox import checks
from bot.inbound.inbox import InboundMessage
from bot.runtime import Runtime
from bot.store.schema import rent_positions
from bot.tenants.export import export_tenant
from tests.support.drive import drain, process_all
from tests.support.helpers import add_tenant

PHONE = "+4520123456"


async def _say(rt: Runtime, text: str, sid: str) -> None:
    await rt.inbox.submit(InboundMessage(channel="sms", provider_id=sid, sender=PHONE, text=text))
    await process_all(rt.processor)
    await drain(rt.sender)


def _sms(rt: Runtime) -> list[str]:
    return [m.text for m in rt.channels["sms"].to(PHONE)]  # type: ignore[attr-defined]


async def _position(rt: Runtime) -> tuple[date | None, date | None]:
    async with rt.db.read() as conn:
        row = (await conn.execute(select(rent_positions.c.promise_on, rent_positions.c.paid_claim_until))).one()
    return row.promise_on, row.paid_claim_until


async def _shown(rt: Runtime) -> tuple[list[str], object, object]:
    """What the console's queue says to check, and the promise and paid claim the tenant's export shows."""
    async with rt.db.read() as conn:
        row = (await conn.execute(select(rent_positions))).one()
    data = await export_tenant(rt.db, "T-1", rt.clock(), "cli")
    kept = data["rent_position"]
    return checks(row, rt.clock().date()), kept["promise_on"], kept["paid_claim_until"]


async def test_a_promise_taken_back_by_cannot_pay_no_longer_stands(rt: Runtime) -> None:
    await add_tenant(rt.db, balance_ore=650_000, now=rt.clock(), today=rt.clock().date())
    await _say(rt, "hej", "SM1")
    await _say(rt, "ja men først om 2 uger", "SM2")
    assert "Vi har skrevet ned, at du betaler" in _sms(rt)[-1]
    promised, _paid = await _position(rt)
    assert promised == rt.clock().date() + timedelta(days=14)
    await _say(rt, "kan ikke betale", "SM3")
    assert await _position(rt) == (None, None)
    _checks, promise_on, _paid_until = await _shown(rt)
    assert promise_on is None


async def test_a_paid_answer_taken_back_ends_the_pause_and_the_consoles_check(rt: Runtime) -> None:
    await add_tenant(rt.db, balance_ore=650_000, now=rt.clock(), today=rt.clock().date())
    await _say(rt, "hej", "SM1")
    await _say(rt, "1", "SM2")
    _promised, paid = await _position(rt)
    assert paid is not None
    shown_before, _promise_on, paid_until = await _shown(rt)
    assert "says paid — check" in shown_before and paid_until is not None
    await _say(rt, "nej jeg har ikke betalt endnu, trykkede forkert", "SM3")
    assert await _position(rt) == (None, None)
    shown, _promise_on, paid_until = await _shown(rt)
    assert shown == [] and paid_until is None
