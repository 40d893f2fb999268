"""The demo's simulated carrier reports each SMS delivered, as Twilio's status callback would: the console's
delivery marks and the outcome page's "delivered" then show what the simulated phones received."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.outbox.enqueue import enqueue
from bot.runtime import build_runtime
from bot.settings import Settings
from bot.starter import running
from bot.store.scene import Scene
from bot.store.schema import messages
from tests.support.drive import drain
from tests.support.helpers import add_tenant
from tests.support.schema import migrated


async def test_the_demo_reports_each_sms_delivered_once_the_send_is_recorded(settings: Settings) -> None:
    rt = build_runtime(settings, demo=True)
    await migrated(rt.db)
    async with running(rt, background=False):
        now = rt.clock()
        by_sms = await add_tenant(rt.db, "T-1", phone="+4520000001", now=now)
        on_telegram = await add_tenant(rt.db, "T-2", phone=None, chat_id=777002, now=now)
        for tenant_id, channel in ((by_sms, "sms"), (on_telegram, "telegram")):
            await rt.db.run(
                lambda conn, t=tenant_id, c=channel: enqueue(
                    Scene.of(conn),
                    now=now,
                    channel=c,
                    template="case.closed",
                    values={},
                    language="da",
                    idempotency_key=f"demo-delivery-{t}",
                    tenant_id=t,
                )
            )
        await drain(rt.sender)

        async def status_of(tenant_id: int) -> str:
            async with rt.db.read() as conn:
                query = select(messages.c.status).where(
                    messages.c.tenant_id == tenant_id, messages.c.direction == "out"
                )
                return str((await conn.execute(query)).scalar_one())

        for _ in range(200):  # the report follows the send by half a second
            if await status_of(by_sms) == "delivered":
                break
            await asyncio.sleep(0.05)
        assert await status_of(by_sms) == "delivered"
        # Telegram has no delivery receipts: a message the Bot API took stays "sent".
        assert await status_of(on_telegram) == "sent"
