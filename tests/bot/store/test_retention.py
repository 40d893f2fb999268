"""Purging by retention removes old receipts and spent codes, and nothing a person still needs."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.console import throttle
from bot.inbound.inbox import InboundMessage
from bot.runtime import Runtime
from bot.store.retention import purge
from bot.store.schema import inbound, link_codes, login_attempts, messages
from bot.tenants.linking import create_code
from tests.support.drive import process_all
from tests.support.helpers import add_tenant


async def test_old_receipts_and_codes_go_but_messages_stay(runtime: Runtime) -> None:
    tenant_id = await add_tenant(runtime.db)
    await runtime.inbox.submit(InboundMessage("sms", "SM-old", "+4520123456", "hej"))
    await process_all(runtime.processor)
    async with runtime.db.write() as conn:
        await conn.run_sync(create_code, tenant_id, runtime.clock(), 60)
    await runtime.inbox.submit(InboundMessage("sms", "SM-unprocessed", "+4520123456", "hej igen"))
    later = runtime.clock() + timedelta(days=31)
    removed = await purge(runtime.db, later, 30)
    assert removed["inbound"] == 1
    assert removed["link_codes"] == 1
    async with runtime.db.read() as conn:
        left = (await conn.execute(select(inbound.c.provider_id))).scalars().all()
        assert left == ["SM-unprocessed"]  # not handled yet: never purged
        assert (await conn.execute(select(func.count()).select_from(link_codes))).scalar_one() == 0
        kept = select(func.count()).select_from(messages).where(messages.c.direction == "in")
        assert (await conn.execute(kept)).scalar_one() == 1


async def test_recent_rows_are_kept(runtime: Runtime) -> None:
    await add_tenant(runtime.db)
    await runtime.inbox.submit(InboundMessage("sms", "SM1", "+4520123456", "hej"))
    await process_all(runtime.processor)
    removed = await purge(runtime.db, runtime.clock() + timedelta(days=29), 30)
    assert removed == {"inbound": 0, "link_codes": 0, "unknown_senders": 0, "login_attempts": 0}


async def test_sign_in_counts_are_forgotten_after_a_quiet_day(runtime: Runtime) -> None:
    at = runtime.clock()
    counted = throttle.slots(runtime.settings.secret_key or "", "someone@example.org", "203.0.113.9")
    assert await runtime.db.run(throttle.reserve, counted, at) is None
    await runtime.db.run(throttle.settle, counted, at, False)
    later = at + timedelta(hours=23)
    other = throttle.slots(runtime.settings.secret_key or "", "else@example.org", "203.0.113.10")
    await runtime.db.run(throttle.reserve, other, later)
    await runtime.db.run(throttle.settle, other, later, False)
    assert (await purge(runtime.db, later, 30))["login_attempts"] == 0
    removed = await purge(runtime.db, at + timedelta(days=1, seconds=1), 30)
    assert removed["login_attempts"] == 2  # the e-mail's row and the address's row of the first attempt
    async with runtime.db.read() as conn:
        left = (await conn.execute(select(login_attempts.c.key))).scalars().all()
    assert sorted(left) == sorted(slot.key for slot in other)
