"""Staff who asked for it hear at once of an urgent case, whichever way it opened."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from bot.inbound.inbox import InboundMessage
from bot.runtime import Runtime
from bot.store.schema import outbox, staff
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
