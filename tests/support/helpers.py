"""Small helpers the tests share: tenants written straight into the tables."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from bot.outbox.enqueue import enqueue
from bot.store.db import Database
from bot.store.scene import Scene
from bot.store.schema import rent_positions, tenants

__all__ = ["add_tenant"]


async def add_tenant(
    db: Database,
    ref: str = "T-1",
    *,
    name: str = "Amira Hansen",
    phone: str | None = "+4520123456",
    language: str = "da",
    chat_id: int | None = None,
    status: str = "active",
    balance_ore: int = 0,
    now: datetime | None = None,
    today: date | None = None,
    **position: Any,
) -> int:
    """Insert a tenant and a rent position; returns the tenant id."""
    now = now or datetime.now(UTC)
    async with db.write() as conn:
        tenant_id = (
            await conn.execute(
                tenants.insert()
                .values(
                    tenant_ref=ref,
                    name=name,
                    phone=phone,
                    language=language,
                    channel_preference="auto",
                    telegram_chat_id=chat_id,
                    telegram_blocked=False,
                    status=status,
                    created_at=now,
                    updated_at=now,
                )
                .returning(tenants.c.id)
            )
        ).scalar_one()
        values: dict[str, Any] = {
            "tenant_id": tenant_id,
            "due_day": 1,
            "balance_ore": balance_ore,
            "balance_as_of": today or date.today(),
            "at_risk": False,
            "arrears_last_12m": False,
            "updated_at": now,
        }
        values.update(position)
        await conn.execute(rent_positions.insert().values(**values))
    return int(tenant_id)


async def queue_question(db: Database, now: datetime, tenant_id: int, key: str) -> int:
    """A proactive SMS for the tenant (the payment question, as a plan queues it) under `key`; its outbox id."""
    values = {"first_name": "Test", "trigger": ""}
    async with db.write() as conn:
        done = await conn.run_sync(
            lambda sync: enqueue(
                Scene.of(sync),
                now=now,
                channel="sms",
                template="payment_check.question",
                values=values,
                language="da",
                idempotency_key=key,
                tenant_id=tenant_id,
                proactive=True,
            )
        )
    assert done is not None
    return done.outbox_id
