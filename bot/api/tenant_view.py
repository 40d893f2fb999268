"""`GET /tenants/{tenant_ref}`: the tenant as the organisation's systems may read it.

The rent position with the CSV's field names, the status, the stage on the rent timeline, the waiting
conversation's flow and step, the open case, and the last reminders with the delivery status of each one's
first message, as `keephome remind` reports it (`bot.outbox.route.outlook`). Never a message text, an answer
the tenant gave or a note.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.api.models import CaseOut, ConversationOut, ReminderOut, TenantOut, money
from bot.host.cases import OPEN_STATUSES
from bot.outbox.route import outlook
from bot.reminders.plan import policy_settings
from bot.settings import Settings
from bot.store.schema import (
    cases,
    conversations,
    court_cases,
    messages,
    outbox,
    planned_reminders,
    rent_positions,
    tenants,
)
from conversations.state import State
from scheduler.model import RentSnapshot
from scheduler.stage import timeline_stage

__all__ = ["LAST_REMINDERS", "MANUAL_REASON", "case_out", "read_tenant"]

LAST_REMINDERS = 10
# A case an adviser opened by hand has as its reason what they typed: a note about the tenant, never shown here.
MANUAL_REASON = "opened by an adviser"


def case_out(row: Any, tenant_ref: str) -> CaseOut:
    """A case row as the API shows it (never its notes, its outcome note or the words of a manual case's reason)."""
    return CaseOut(
        id=row.id,
        tenant_ref=tenant_ref,
        status=row.status,
        origin=row.origin,
        reason=MANUAL_REASON if row.origin == "manual" else row.reason,
        priority=row.priority,
        consented=bool(row.consented),
        outcome=row.outcome,
        opened_at=row.opened_at,
        updated_at=row.updated_at,
        closed_at=row.closed_at,
    )


async def _conversation(conn: AsyncConnection, tenant_id: int) -> ConversationOut | None:
    c = conversations.c
    row = (
        await conn.execute(
            select(c.flow, c.trigger, c.state, c.started_at, c.waiting_until)
            .where(c.tenant_id == tenant_id, c.active.is_(True))
            .order_by(c.id.desc())
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    step = State.load(row.state).step  # only the step: the state's answers stay inside
    return ConversationOut(
        flow=row.flow, trigger=row.trigger, step=step, started_at=row.started_at, waiting_until=row.waiting_until
    )


async def _case(conn: AsyncConnection, tenant_id: int, tenant_ref: str) -> CaseOut | None:
    row = (
        await conn.execute(
            select(cases)
            .where(cases.c.tenant_id == tenant_id, cases.c.status.in_(OPEN_STATUSES))
            .order_by(cases.c.id.desc())
            .limit(1)
        )
    ).first()
    return None if row is None else case_out(row, tenant_ref)


async def _reminders(conn: AsyncConnection, tenant: Any, channels: Collection[str]) -> list[ReminderOut]:
    """The tenant's last reminders, each with its first message as `keephome remind` reports it (`outlook`): one
    not sent yet on the channel it goes out on with the service's `channels`, or on "none" and waiting."""
    tenant_id = tenant.id
    pr = planned_reminders.c
    planned = (
        await conn.execute(
            select(pr.id, pr.trigger, pr.planned_for)
            .where(pr.tenant_id == tenant_id)
            .order_by(pr.planned_for.desc(), pr.id.desc())
            .limit(LAST_REMINDERS)
        )
    ).all()
    # A reminder's messages are queued under the key `rem:<planned id>:<event index>` (bot/reminders/plan.py).
    sent = (
        await conn.execute(
            select(outbox.c.idempotency_key, messages.c.channel, messages.c.status, messages.c.error_code)
            .join(messages, messages.c.id == outbox.c.message_id)
            .where(outbox.c.tenant_id == tenant_id, outbox.c.idempotency_key.startswith("rem:"))
            .order_by(outbox.c.id)
        )
    ).all()
    first: dict[str, Any] = {}
    for row in sent:
        first.setdefault(row.idempotency_key.split(":")[1], row)
    out = []
    for p in planned:
        message = first.get(str(p.id))
        seen = None
        if message is not None:
            seen = outlook(
                message.status,
                message.channel,
                active=tenant.status == "active",
                phone=tenant.phone,
                chat_id=tenant.telegram_chat_id,
                blocked=bool(tenant.telegram_blocked),
                available=channels,
            )
        out.append(
            ReminderOut(
                trigger=p.trigger,
                planned_for=p.planned_for,
                channel=None if seen is None else seen.channel,
                delivery=None if seen is None else seen.status,
                error_code=None if message is None else message.error_code,
            )
        )
    return out


async def read_tenant(
    conn: AsyncConnection, tenant_ref: str, today: date, settings: Settings, channels: Collection[str]
) -> tuple[int, TenantOut] | None:
    """The tenant's id and view, or None when there is none by that reference (or it was erased); `channels` are
    those the service sends on."""
    rp = rent_positions.c
    # The open court case's § 92 notice (the filing day and the court date are mirrored into the rent position).
    notified = (
        select(court_cases.c.kommune_notified_on)
        .where(court_cases.c.tenant_id == tenants.c.id, court_cases.c.status == "open")
        .order_by(court_cases.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    row = (
        await conn.execute(
            select(tenants, *[c for c in rent_positions.c if c.name != "updated_at"], notified.label("notified_on"))
            .join(rent_positions, rp.tenant_id == tenants.c.id)
            .where(tenants.c.tenant_ref == tenant_ref, tenants.c.status != "erased")
        )
    ).first()
    if row is None:
        return None
    snapshot = RentSnapshot(
        tenant_id=row.id,
        due_day=row.due_day,
        balance_ore=row.balance_ore,
        balance_as_of=row.balance_as_of,
        demand_sent_on=row.demand_sent_on,
        demand_received_on=row.demand_received_on,
        termination_on=row.termination_on,
        court_date=row.court_date,
        at_risk=bool(row.at_risk),
        arrears_last_12m=bool(row.arrears_last_12m),
        promise_on=row.promise_on,
        paid_claim_until=row.paid_claim_until,
    )
    return row.id, TenantOut(
        tenant_ref=row.tenant_ref,
        name=row.name,
        phone=row.phone,
        language=row.language,
        language_chosen_by_tenant=row.language_chosen_at is not None,
        status=row.status,
        telegram_linked=row.telegram_chat_id is not None and not row.telegram_blocked,
        due_day=row.due_day,
        monthly_rent=None if row.monthly_rent_ore is None else money(row.monthly_rent_ore),
        balance=money(row.balance_ore),
        balance_as_of=row.balance_as_of,
        last_payment_on=row.last_payment_on,
        demand_sent_on=row.demand_sent_on,
        demand_received_on=row.demand_received_on,
        termination_on=row.termination_on,
        court_date=row.court_date,
        court_filed_on=row.court_filed_on,
        kommune_notified_on=row.notified_on,
        at_risk=bool(row.at_risk),
        address=row.address,
        children=row.children,
        stage=timeline_stage(snapshot, today, policy_settings(settings)),
        conversation=await _conversation(conn, row.id),
        case=await _case(conn, row.id, row.tenant_ref),
        reminders=await _reminders(conn, row, channels),
    )
