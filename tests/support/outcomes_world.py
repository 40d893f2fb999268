"""A small world for the outcome page: tenants, reminders, messages, consents, cases and balances written straight
into the tables, each row as the service writes it; `build` makes five tenants whose fates the tests count."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.runtime import Runtime
from bot.store.schema import (
    STATUS_RANK,
    balance_events,
    case_events,
    cases,
    consents,
    messages,
    outbox,
    planned_reminders,
)
from tests.support.console import add_person, add_tenant

__all__ = ["FIRST", "LAST", "TZ", "World", "a_busy_month", "at", "build"]

TZ = ZoneInfo("Europe/Copenhagen")
FIRST, LAST = date(2026, 2, 2), date(2026, 3, 1)  # four weeks from a Monday: the period the tests look at


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), TZ).astimezone(UTC)


@dataclass
class World:
    """Writes what the figures are made of straight into the tables, each row as the service writes it."""

    rt: Runtime

    async def tenant(self, ref: str) -> int:
        return await add_tenant(self.rt, ref, name=f"Tenant {ref}", phone=f"+452000{len(ref):02d}{ref[-2:]:0>2}")

    async def remind(
        self,
        tenant_id: int,
        trigger: str,
        day: date,
        *,
        channel: str = "sms",
        status: str = "delivered",
        error: str | None = None,
    ) -> int:
        """A reminder planned on `day` and its first question (outbox key `rem:<planned id>:0`)."""
        when = at(day)
        async with self.rt.db.write() as conn:
            planned = (
                await conn.execute(
                    planned_reminders.insert()
                    .values(
                        tenant_id=tenant_id,
                        trigger=trigger,
                        period=day.strftime("%Y-%m"),
                        offset_days=day.day,
                        planned_for=day,
                        reason="test",
                        created_at=when,
                    )
                    .returning(planned_reminders.c.id)
                )
            ).scalar_one()
            message = await self._message(
                conn, tenant_id, "out", "bot", when, channel, status, error, "payment_check.question"
            )
            await conn.execute(
                outbox.insert().values(
                    message_id=message,
                    tenant_id=tenant_id,
                    channel=channel,
                    template="payment_check.question",
                    values={"first_name": "Tenant"},
                    language="da",
                    proactive=True,
                    not_before=when,
                    attempts=1,
                    next_attempt_at=when,
                    idempotency_key=f"rem:{planned}:0",
                    state="failed" if status in ("failed", "undelivered") else "sent",
                    created_at=when,
                )
            )
        return int(planned)

    async def _message(
        self,
        conn: Any,
        tenant_id: int,
        direction: str,
        author: str,
        when: datetime,
        channel: str = "sms",
        status: str = "received",
        error: str | None = None,
        template: str | None = None,
    ) -> int:
        values = {
            "tenant_id": tenant_id,
            "direction": direction,
            "channel": channel,
            "text": "Hej",
            "template": template,
            "author": author,
            "status": status,
            "status_rank": STATUS_RANK[status],
            "error_code": error,
            "proactive": author == "bot",
            "created_at": when,
            "updated_at": when,
        }
        return int((await conn.execute(messages.insert().values(**values).returning(messages.c.id))).scalar_one())

    async def writes(self, tenant_id: int, when: datetime, author: str = "tenant", template: str | None = None) -> None:
        direction = "in" if author == "tenant" else "out"
        status = "received" if author == "tenant" else "delivered"
        async with self.rt.db.write() as conn:
            await self._message(conn, tenant_id, direction, author, when, "sms", status, None, template)

    async def consents(self, tenant_id: int, when: datetime) -> None:
        async with self.rt.db.write() as conn:
            await conn.execute(
                consents.insert().values(
                    tenant_id=tenant_id, scope="adviser", wording_version="consent-v1", given_at=when
                )
            )

    async def case(
        self,
        tenant_id: int,
        opened: datetime,
        *,
        closed: datetime | None = None,
        outcome: str | None = None,
        call: datetime | None = None,
    ) -> int:
        async with self.rt.db.write() as conn:
            case_id = (
                await conn.execute(
                    cases.insert()
                    .values(
                        tenant_id=tenant_id,
                        status="closed" if closed else "taken",
                        origin="handoff",
                        reason="tenant_asked",
                        priority=0,
                        consented=True,
                        outcome=outcome,
                        opened_at=opened,
                        updated_at=opened,
                        closed_at=closed,
                    )
                    .returning(cases.c.id)
                )
            ).scalar_one()
            if call is not None:
                await conn.execute(case_events.insert().values(case_id=case_id, kind="contact", at=call))
        return int(case_id)

    async def balance(self, tenant_id: int, day: date, ore: int) -> None:
        async with self.rt.db.write() as conn:
            await conn.execute(
                balance_events.insert().values(
                    tenant_id=tenant_id,
                    as_of=day,
                    balance_ore=ore,
                    settled=ore <= 0,
                    source="import",
                    recorded_at=at(day),
                )
            )


async def build(rt: Runtime) -> dict[str, int]:
    """Five tenants: what happened to each after their reminders is what the assertions count."""
    w = World(rt)
    staff_id = await add_person(rt, "adviser@example.org", "adviser")
    ids = {ref: await w.tenant(ref) for ref in ("T-01", "T-02", "T-03", "T-04", "T-05")}
    # T-01: missed, by SMS, delivered; wrote back, consented; an adviser wrote the next day; paid, and the
    # ledger shows 0 three days after the reminder. (A "case taken" notice before that is not contact.)
    d1 = date(2026, 2, 3)
    await w.remind(ids["T-01"], "missed", d1)
    await w.writes(ids["T-01"], at(d1, 11))
    await w.consents(ids["T-01"], at(d1, 11))
    await w.writes(ids["T-01"], at(d1, 12), f"staff:{staff_id}", "case.taken")
    await w.writes(ids["T-01"], at(d1 + timedelta(days=1), 12), f"staff:{staff_id}", "case.reply")
    await w.case(ids["T-01"], at(d1, 11), closed=at(d1 + timedelta(days=8)), outcome="paid")
    await w.balance(ids["T-01"], d1 - timedelta(days=1), 710_000)
    await w.balance(ids["T-01"], d1 + timedelta(days=3), 0)
    # T-02: missed, by Telegram (sent is as far as Telegram tells); never answered; 0 after ten days.
    d2 = date(2026, 2, 10)
    await w.remind(ids["T-02"], "missed", d2, channel="telegram", status="sent")
    await w.balance(ids["T-02"], d2 + timedelta(days=10), 0)
    # T-03: påkrav, by SMS, filtered by the operator (30007); an adviser phoned five days later; payment plan.
    d3 = date(2026, 2, 16)
    await w.remind(ids["T-03"], "demand", d3, status="undelivered", error="30007")
    await w.case(
        ids["T-03"], at(d3), closed=at(d3 + timedelta(days=9)), outcome="payment_plan", call=at(d3 + timedelta(days=5))
    )
    # T-04: reminded before the period only: not in it.
    await w.remind(ids["T-04"], "missed", FIRST - timedelta(days=3))
    await w.writes(ids["T-04"], at(FIRST))
    # T-05: missed, then påkrav, both in the period: counts once, under its first stage.
    await w.remind(ids["T-05"], "missed", date(2026, 2, 4))
    await w.remind(ids["T-05"], "demand", date(2026, 2, 20))
    return ids


async def a_busy_month(rt: Runtime, tenants: int = 160, seed: int = 2026) -> None:
    """Many tenants with varied fates over the period (seeded), so the charts look like a working month."""
    rng = random.Random(seed)
    w = World(rt)
    staff_id = await add_person(rt, "colleague@example.org", "adviser")
    stages = ["missed"] * 5 + ["before_due"] * 2 + ["demand"] * 2 + ["court"]
    for n in range(tenants):
        tenant = await add_tenant(rt, f"M-{n:03d}", name=f"Month Tenant {n}", phone=f"+4521{n:06d}")
        day = FIRST + timedelta(days=rng.randrange((LAST - FIRST).days + 1))
        channel = "sms" if rng.random() < 0.65 else "telegram"
        failed = rng.random() < 0.06
        status = "undelivered" if failed else ("delivered" if channel == "sms" else "sent")
        codes = ("30003", "30005", "30006", "30007") if channel == "sms" else ("403",)
        error = rng.choice(codes) if failed else None
        await w.remind(tenant, rng.choice(stages), day, channel=channel, status=status, error=error)
        if rng.random() < 0.55:
            await w.balance(tenant, day + timedelta(days=rng.choice((1, 2, 3, 5, 6, 9, 12, 20))), 0)
        if failed or rng.random() < 0.55:
            continue
        await w.writes(tenant, at(day, 12))
        if rng.random() < 0.5:
            continue
        await w.consents(tenant, at(day, 12))
        contact = at(day + timedelta(days=rng.choice((0, 1, 1, 2, 3, 5, 8, 16))), 14)
        call = contact if rng.random() < 0.3 else None
        if call is None:
            await w.writes(tenant, contact, f"staff:{staff_id}", "case.reply")
        closed = contact + timedelta(days=rng.randrange(2, 12))
        outcome = rng.choice(
            (
                "paid",
                "paid",
                "payment_plan",
                "payment_plan",
                "kommune",
                "boligstoette",
                "debt_counselling",
                "no_contact",
                "moved",
            )
        )
        await w.case(tenant, at(day, 12), closed=closed, outcome=outcome, call=call)
