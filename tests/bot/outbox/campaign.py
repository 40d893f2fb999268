"""Queued messages for the outbox tests: a campaign written in bulk (as a morning plan leaves it), and replies."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert

from bot.outbox.enqueue import enqueue
from bot.runtime import Runtime
from bot.store.scene import Scene
from bot.store.schema import messages, outbox, rent_positions, tenants
from tests.support.helpers import add_tenant

__all__ = ["queue_campaign", "queue_reply"]


def _returning(table: Any) -> Any:
    return insert(table).returning(table.c.id, sort_by_parameter_order=True)


async def queue_campaign(rt: Runtime, size: int, first_phone: int = 20_000_000, *, proactive: bool = True) -> None:
    """`size` tenants, each with one proactive question queued (written in bulk, as a morning plan leaves it);
    with `proactive=False` the same rows as answers instead."""
    now = rt.clock()
    base = {"language": "da", "channel_preference": "auto", "telegram_blocked": False, "status": "active"}
    text = {"direction": "out", "channel": "sms", "template": "payment_check.question", "author": "bot"}
    async with rt.db.write() as conn:
        people = [
            {**base, "tenant_ref": f"C-{first_phone + i}", "name": f"Lejer {i}", "phone": f"+45{first_phone + i}"}
            | {"created_at": now, "updated_at": now}
            for i in range(size)
        ]
        ids = list((await conn.execute(_returning(tenants), people)).scalars())
        await conn.execute(
            insert(rent_positions),
            [
                {"tenant_id": t, "due_day": 1, "balance_ore": 0, "balance_as_of": now.date(), "updated_at": now}
                for t in ids
            ],
        )
        queued = {"status": "queued", "status_rank": 0, "proactive": proactive, "created_at": now, "updated_at": now}
        message_ids = list(
            (await conn.execute(_returning(messages), [{**text, **queued, "tenant_id": t} for t in ids])).scalars()
        )
        row = {
            "channel": "sms",
            "template": "payment_check.question",
            "values": {"first_name": "Lejer", "trigger": ""},
            "language": "da",
            "proactive": proactive,
            "not_before": now,
            "attempts": 0,
            "next_attempt_at": now,
            "state": "pending",
            "created_at": now,
        }
        await conn.execute(
            insert(outbox),
            [
                {**row, "message_id": m, "tenant_id": t, "idempotency_key": f"campaign:{first_phone + i}"}
                for i, (t, m) in enumerate(zip(ids, message_ids, strict=True))
            ],
        )


async def queue_reply(rt: Runtime, phone: str, key: str) -> None:
    """An answer to a tenant's own message (not proactive), to a tenant outside the campaign."""
    tenant_id = await add_tenant(rt.db, f"R-{key}", phone=phone)
    async with rt.db.write() as conn:
        await conn.run_sync(
            lambda sync, **kw: enqueue(Scene.of(sync), **kw),
            now=rt.clock(),
            channel="sms",
            template="keyword.opted_in",
            values={},
            language="da",
            idempotency_key=key,
            tenant_id=tenant_id,
        )
