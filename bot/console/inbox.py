"""The advisers' inbox: open cases ordered by the legal clock, with filters."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.console.messaging import reply_channel
from bot.console.sessions import StaffSession, guard
from bot.console.web import FormError, local_day, money, redirect, render, runtime, today
from bot.host.cases import OPEN_STATUSES
from bot.store.schema import cases, messages, rent_positions, staff, tenants
from bot.tenants.names import first_name
from scheduler.urgency import case_priority, demand_deadline_of, urgency_of

__all__ = ["ORIGINS", "REASONS", "STATUS_FILTERS", "case_origin", "checks", "routes", "urgency"]

STATUS_FILTERS = ("open", *OPEN_STATUSES, "closed")
CLOSED_SHOWN = 300
TO_CHECK_SHOWN = 300
ORIGINS = {"handoff": "the tenant asked for an adviser", "outreach": "urgent outreach", "manual": "opened by hand"}
REASONS = {"tenant_asked": "The tenant asked to talk to an adviser and agreed to share their answers."}


def case_origin(case: Any) -> str:
    """How the case came about, in a few words (the rent position says the rest)."""
    origin = ORIGINS.get(case.origin, case.origin)
    return f"{origin}: {case.reason}" if case.origin == "manual" else origin


def _relative(days: int) -> str:
    if days == 0:
        return "today"
    unit = "day" if abs(days) == 1 else "days"
    return f"in {days} {unit}" if days > 0 else f"{-days} {unit} ago"


def urgency(position: Any, day: date, delivery_days: int = 0) -> str:
    """Why a case sits where it does in the queue, in a few words (the adviser's view of the legal clock)."""
    if position is None or position.balance_as_of is None:
        return "no rent position"
    stage, when = urgency_of(position, delivery_days)
    parts: list[str] = []
    if stage == "court" and when is not None:
        parts.append(f"court date {local_day(when)} ({_relative((when - day).days)})")
    elif stage == "termination" and when is not None:
        parts.append(f"terminated {local_day(when)} ({_relative((when - day).days)})")
    elif stage == "demand" and when is not None:
        if position.demand_received_on is not None:
            letter = f"påkrav received {local_day(position.demand_received_on)}"
        else:
            letter = f"påkrav sent {local_day(position.demand_sent_on)}"
        parts.append(f"{letter}, deadline about {local_day(when)} ({_relative((when - day).days)})")
    elif stage == "overdue" and when is not None:
        parts.append(f"rent unpaid since {local_day(when)} ({_relative((when - day).days)})")
    if position.balance_ore > 0:
        parts.append(f"owes {money(position.balance_ore)}")
    return "; ".join(parts) or "paid up"


def checks(position: Any, day: date, delivery_days: int = 0) -> list[str]:
    """What the tenant said that the adviser should check against the ledger while rent is owed: a running
    "I have paid", and a promise dated after the påkrav deadline (the reminders do not wait for either)."""
    if position is None or position.balance_ore <= 0:
        return []
    found: list[str] = []
    if position.paid_claim_until is not None and position.paid_claim_until >= day:
        found.append("says paid — check")
    deadline = demand_deadline_of(position, delivery_days)
    promise = position.promise_on
    if deadline is not None and promise is not None and promise >= day and promise > deadline:
        found.append(f"promised to pay {local_day(promise)}, after the påkrav deadline {local_day(deadline)}")
    return found


def _position(row: Any) -> Any | None:
    """The rent position columns of an inbox row, or None when the tenant has none."""
    return row if row.balance_as_of is not None else None


@guard("admin", "adviser", "volunteer")
async def _inbox(request: Request, me: StaffSession) -> Response:
    if me.role == "volunteer":
        return redirect("/console/tasks")
    status = request.query_params.get("status", "open")
    if status not in STATUS_FILTERS:
        raise FormError(f"unknown status filter {status!r}")
    mine = request.query_params.get("mine") == "1"
    assignee = aliased(staff)
    last_in = (
        select(func.max(messages.c.created_at))
        .where(messages.c.tenant_id == cases.c.tenant_id, messages.c.direction == "in")
        .scalar_subquery()
    )
    query = (
        select(
            cases,
            tenants.c.name.label("tenant_name"),
            tenants.c.tenant_ref,
            tenants.c.phone,
            tenants.c.telegram_chat_id,
            tenants.c.telegram_blocked,
            assignee.c.email.label("assignee_email"),
            last_in.label("last_in"),
            rent_positions.c.balance_ore,
            rent_positions.c.balance_as_of,
            rent_positions.c.demand_sent_on,
            rent_positions.c.demand_received_on,
            rent_positions.c.termination_on,
            rent_positions.c.court_date,
            rent_positions.c.due_day,
            rent_positions.c.monthly_rent_ore,
            rent_positions.c.promise_on,
            rent_positions.c.paid_claim_until,
        )
        .join(tenants, tenants.c.id == cases.c.tenant_id)
        .outerjoin(rent_positions, rent_positions.c.tenant_id == cases.c.tenant_id)
        .outerjoin(assignee, assignee.c.id == cases.c.assignee_id)
    )
    if status == "closed":
        query = query.where(cases.c.status == "closed").order_by(cases.c.closed_at.desc()).limit(CLOSED_SHOWN)
    else:
        # Open cases are the day's work: all of them, ordered below by today's rent positions.
        query = query.where(cases.c.status.in_(OPEN_STATUSES) if status == "open" else cases.c.status == status)
    if mine:
        query = query.where(cases.c.assignee_id == me.staff_id)
    async with runtime(request).db.read() as conn:
        rows = (await conn.execute(query)).all()
    day = today(request)
    delivery_days = runtime(request).settings.demand_delivery_days
    items: list[dict[str, Any]] = [
        {
            "case": row,
            "first_name": first_name(row.tenant_name),
            "channel": reply_channel(row),
            "urgency": urgency(_position(row), day, delivery_days),
            "checks": checks(_position(row), day, delivery_days),
            "priority": case_priority(_position(row), day, delivery_days),
            "origin": case_origin(row),
        }
        for row in rows
    ]
    if status != "closed":
        # The rent position may have changed since the case was opened: rank by what it says now.
        items.sort(key=lambda item: (-item["priority"], item["case"].opened_at, item["case"].id))
    to_check: list[dict[str, Any]] = []
    if status == "open" and not mine:
        async with runtime(request).db.read() as conn:
            to_check = await _to_check(conn, day, delivery_days)
    return render(
        request, "inbox.html", items=items, to_check=to_check, status=status, mine=mine, statuses=STATUS_FILTERS
    )


async def _to_check(conn: AsyncConnection, day: date, delivery_days: int) -> list[dict[str, Any]]:
    """Tenants whose word the adviser should check while a påkrav runs: usually there is no case yet."""
    rp = rent_positions.c
    query = (
        select(tenants.c.id, tenants.c.name, tenants.c.tenant_ref, rent_positions)
        .join(rent_positions, rp.tenant_id == tenants.c.id)
        .where(
            tenants.c.status != "erased",
            rp.balance_ore > 0,
            rp.termination_on.is_(None),
            rp.court_date.is_(None),
            rp.demand_sent_on.is_not(None) | rp.demand_received_on.is_not(None),
            (rp.paid_claim_until >= day) | (rp.promise_on >= day),
        )
        .limit(TO_CHECK_SHOWN)
    )
    found = []
    for row in (await conn.execute(query)).all():
        notes = checks(row, day, delivery_days)
        deadline = demand_deadline_of(row, delivery_days)
        if notes and deadline is not None:
            found.append(
                {
                    "id": row.id,
                    "first_name": first_name(row.name),
                    "ref": row.tenant_ref,
                    "notes": notes,
                    "deadline": deadline,
                }
            )
    found.sort(key=lambda item: (item["deadline"], item["id"]))
    return found


async def _console_root(request: Request) -> Response:
    return redirect("/console/")


def routes() -> list[BaseRoute]:
    """The inbox."""
    return [
        Route("/console", _console_root, methods=["GET"]),
        Route("/console/", _inbox, methods=["GET"]),
    ]
