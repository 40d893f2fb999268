"""The advisers' inbox: open cases ordered by the legal clock, with filters."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import aliased
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.cases import OPEN_STATUSES
from bot.console.sessions import StaffSession, guard
from bot.console.web import FormError, local_day, money, redirect, render, runtime, today
from bot.schema import cases, messages, rent_positions, staff, tenants

__all__ = ["STATUS_FILTERS", "first_name", "routes", "urgency"]

STATUS_FILTERS = ("open", *OPEN_STATUSES, "closed")


def first_name(name: str) -> str:
    """The first word of a name."""
    parts = name.split()
    return parts[0] if parts else name


def urgency(position: Any, day: date) -> str:
    """Why a case sits where it does in the queue, in a few words."""
    if position is None or position.balance_as_of is None:
        return "no rent position"
    parts: list[str] = []
    court = position.court_date or position.termination_on
    if court is not None:
        label = "court date" if position.court_date is not None else "termination"
        parts.append(f"{label} {local_day(court)} ({(court - day).days} days)")
    elif position.demand_sent_on is not None and position.balance_ore > 0:
        parts.append(
            f"påkrav sent {local_day(position.demand_sent_on)} ({(day - position.demand_sent_on).days} days ago)"
        )
    if position.balance_ore > 0:
        parts.append(f"owes {money(position.balance_ore)}")
    return "; ".join(parts) or "paid up"


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
            tenants.c.telegram_chat_id,
            tenants.c.telegram_blocked,
            assignee.c.email.label("assignee_email"),
            last_in.label("last_in"),
            rent_positions.c.balance_ore,
            rent_positions.c.balance_as_of,
            rent_positions.c.demand_sent_on,
            rent_positions.c.termination_on,
            rent_positions.c.court_date,
        )
        .join(tenants, tenants.c.id == cases.c.tenant_id)
        .outerjoin(rent_positions, rent_positions.c.tenant_id == cases.c.tenant_id)
        .outerjoin(assignee, assignee.c.id == cases.c.assignee_id)
        .order_by(cases.c.priority.desc(), cases.c.opened_at, cases.c.id)
        .limit(300)
    )
    if status == "open":
        query = query.where(cases.c.status.in_(OPEN_STATUSES))
    else:
        query = query.where(cases.c.status == status)
    if mine:
        query = query.where(cases.c.assignee_id == me.staff_id)
    async with runtime(request).db.read() as conn:
        rows = (await conn.execute(query)).all()
    day = today(request)
    items = [
        {
            "case": row,
            "first_name": first_name(row.tenant_name),
            "channel": "telegram" if row.telegram_chat_id is not None and not row.telegram_blocked else "sms",
            "urgency": urgency(row, day),
        }
        for row in rows
    ]
    return render(request, "inbox.html", items=items, status=status, mine=mine, statuses=STATUS_FILTERS)


async def _console_root(request: Request) -> Response:
    return redirect("/console/")


def routes() -> list[BaseRoute]:
    """The inbox."""
    return [
        Route("/console", _console_root, methods=["GET"]),
        Route("/console/", _inbox, methods=["GET"]),
    ]
