"""A text asking the tenant to call names the day as it goes, not as it was queued: the sender's clock decides."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.outbox.enqueue import enqueue
from bot.runtime import Runtime
from bot.store.scene import Scene
from bot.store.schema import messages, outbox
from conversations.values import Value
from tests.conftest import make_settings, started_runtime
from tests.support.drive import FrozenClock, drain
from tests.support.helpers import add_tenant

CPH = ZoneInfo("Europe/Copenhagen")


async def _sent_text(rt: Runtime, key: str, template: str, values: dict[str, Value], tenant_id: int) -> str:
    async with rt.db.write() as conn:
        done = await conn.run_sync(
            lambda sync, **kw: enqueue(Scene.of(sync), **kw),
            now=rt.clock(),
            channel="sms",
            template=template,
            values=values,
            language="da",
            idempotency_key=key,
            tenant_id=tenant_id,
        )
    await drain(rt.sender)
    async with rt.db.read() as conn:
        query = select(messages.c.text).join(outbox, outbox.c.message_id == messages.c.id)
        return str((await conn.execute(query.where(outbox.c.id == done.outbox_id))).scalar_one())


async def test_the_day_to_call_is_the_day_the_adviser_answers_when_the_text_goes(sqlite_url: str) -> None:
    clock = FrozenClock(datetime(2026, 12, 5, 10, 0, tzinfo=CPH))  # Saturday morning; hours man-fre 9-15
    async with started_runtime(make_settings(sqlite_url), clock=clock) as rt:
        tenant_id = await add_tenant(rt.db)
        court = {"first_name": "Amira", "trigger": "court"}
        assert "Ring til os mandag på" in await _sent_text(rt, "k1", "payment_check.question", court, tenant_id)
        asked = await _sent_text(rt, "k0", "common.question_asked", {**court, "nothing_open": 1}, tenant_id)
        assert asked.startswith("Det vil vi gerne svare på. Ring til Boligselskabet mandag på 70 00 00 00, så taler")
        clock.offset = timedelta(days=3, hours=13)  # Tuesday 23:00: an answer goes at once, at any hour
        assert "Ring alligevel til os i morgen på" in await _sent_text(rt, "k2", "payment_check.paid", court, tenant_id)
        clock.offset = timedelta(days=3)  # Tuesday 10:00
        sent = await _sent_text(rt, "k3", "payment_check.paid", court, tenant_id)
        assert "Ring alligevel til os i dag inden kl. 15.00 på" in sent
