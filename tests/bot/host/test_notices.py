"""Staff who asked for it hear at once of an urgent case, whichever way it opened."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select, update

from bot.inbound.inbox import InboundMessage
from bot.runtime import Runtime
from bot.store.schema import cases, outbox, staff
from tests.support.console import add_case
from tests.support.drive import process_all
from tests.support.helpers import add_tenant


async def _adviser_with_notices(rt: Runtime) -> None:
    async with rt.db.write() as conn:
        await conn.execute(
            staff.insert().values(
                email="adviser@example.org",
                role="adviser",
                active=True,
                telegram_chat_id=555,
                notify_telegram=True,
                failed_logins=0,
                created_at=datetime.now(UTC),
            )
        )


async def _consent_over_sms(rt: Runtime, phone: str) -> None:
    for i, text in enumerate(["hej", "3", "ja"]):
        await rt.inbox.submit(InboundMessage("sms", f"SM{phone}{i}", phone, text))
        await process_all(rt.processor)


async def _notices(rt: Runtime) -> list[tuple[str, str]]:
    async with rt.db.read() as conn:
        rows = await conn.execute(select(outbox.c.address, outbox.c.template).where(outbox.c.tenant_id.is_(None)))
        return [(r.address, r.template) for r in rows]


async def test_a_consented_handoff_with_a_court_date_tells_staff_at_once(runtime: Runtime) -> None:
    await _adviser_with_notices(runtime)
    await add_tenant(runtime.db, court_date=date.today() + timedelta(days=10), balance_ore=900_000)
    await _consent_over_sms(runtime, "+4520123456")
    assert await _notices(runtime) == [("555", "staff.urgent_case")]


async def test_an_ordinary_handoff_sends_no_notice(runtime: Runtime) -> None:
    await _adviser_with_notices(runtime)
    await add_tenant(runtime.db, balance_ore=300_000)
    await _consent_over_sms(runtime, "+4520123456")
    assert await _notices(runtime) == []


async def test_words_of_crisis_to_a_case_with_the_tenant_s_yes_tell_staff_once_a_day(runtime: Runtime) -> None:
    """The case waits in the queue with the tenant's yes, and nobody may open the console for hours: staff who opted
    in hear of it at once (a first name and a link, never the words), once a case a day however often it is said."""
    await _adviser_with_notices(runtime)
    await add_tenant(runtime.db, balance_ore=300_000)
    await _consent_over_sms(runtime, "+4520123456")
    assert await _notices(runtime) == []
    for i in range(2):
        await runtime.inbox.submit(InboundMessage("sms", f"SMcrisis{i}", "+4520123456", "jeg vil tage mit liv"))
        await process_all(runtime.processor)
    assert await _notices(runtime) == [("555", "staff.crisis")]
    async with runtime.db.read() as conn:
        values = (await conn.execute(select(outbox.c["values"]).where(outbox.c.template == "staff.crisis"))).scalar()
    assert set(values) == {"first_name", "case_id", "url"}


async def test_words_of_crisis_to_a_case_without_the_tenant_s_yes_tell_no_one(runtime: Runtime) -> None:
    """An urgent case a person holds without the tenant's consent: the words are not shown on its page, and no notice
    tells of them either."""
    await _adviser_with_notices(runtime)
    tenant_id = await add_tenant(runtime.db, balance_ore=300_000)
    case_id = await add_case(runtime, tenant_id, origin="outreach", consent=False)
    async with runtime.db.write() as conn:  # the adviser wrote and waits for the tenant's answer
        await conn.execute(update(cases).where(cases.c.id == case_id).values(status="waiting_tenant"))
    await runtime.inbox.submit(InboundMessage("sms", "SMcrisis", "+4520123456", "jeg vil tage mit liv"))
    await process_all(runtime.processor)
    assert await _notices(runtime) == []
    async with runtime.db.read() as conn:  # the case heard it all the same: it is the person's to answer again
        assert (await conn.execute(select(cases.c.status).where(cases.c.id == case_id))).scalar() == "taken"
