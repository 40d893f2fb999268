"""The case page: rent position, contact, the conversation as far as consent allows, notes and actions."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.cases import OUTCOMES
from bot.console.audit import record
from bot.console.inbox import first_name, urgency
from bot.console.messaging import reply_channel
from bot.console.sessions import StaffSession, guard
from bot.console.transcript import answers, transcript
from bot.console.web import NotFound, local_time, now, render, runtime, today
from bot.schema import case_events, cases, rent_positions, staff, tenants

__all__ = ["case_id_of", "load_case", "message_json", "routes"]


def case_id_of(request: Request) -> int:
    """The case id in the path."""
    try:
        return int(request.path_params["case_id"])
    except ValueError:
        raise NotFound("There is no such case.") from None


async def load_case(conn: AsyncConnection, case_id: int) -> tuple[Any, Any] | None:
    """The case and its tenant."""
    case = (await conn.execute(select(cases).where(cases.c.id == case_id))).first()
    if case is None:
        return None
    tenant = (await conn.execute(select(tenants).where(tenants.c.id == case.tenant_id))).first()
    return None if tenant is None else (case, tenant)


def message_json(row: Any, when: str) -> dict[str, Any]:
    """One message as the page's poller receives it."""
    return {
        "when": when,
        "id": row.id,
        "direction": row.direction,
        "author": row.author,
        "channel": row.channel,
        "text": row.text if row.text is not None else f"[{row.template}]",
        "status": row.status,
        "at": row.created_at.isoformat(),
    }


def _not_found(request: Request) -> Response:
    return render(request, "message.html", 404, title="Not found", message="There is no such case.")


@guard("admin", "adviser")
async def _case_page(request: Request, me: StaffSession) -> Response:
    case_id = case_id_of(request)
    rt = runtime(request)
    at = now(request)
    async with rt.db.read() as conn:
        found = await load_case(conn, case_id)
        if found is None:
            return _not_found(request)
        case, tenant = found
        position = (await conn.execute(select(rent_positions).where(rent_positions.c.tenant_id == tenant.id))).first()
        shown = await transcript(conn, case)
        collected = await answers(conn, tenant.id) if shown.consent else {}
        events = (
            await conn.execute(
                select(case_events, staff.c.email)
                .outerjoin(staff, staff.c.id == case_events.c.staff_id)
                .where(case_events.c.case_id == case_id)
                .order_by(case_events.c.id)
            )
        ).all()
        people = (
            await conn.execute(
                select(staff.c.id, staff.c.email, staff.c.role).where(staff.c.active.is_(True)).order_by(staff.c.email)
            )
        ).all()
    async with rt.db.write() as conn:
        await record(conn, at, me.actor, "case.view", f"case:{case_id}", f"tenant:{tenant.id}")
    names = {p.id: p.email for p in people}
    return render(
        request,
        "case.html",
        case=case,
        tenant=tenant,
        first_name=first_name(tenant.name),
        position=position,
        urgency=urgency(position, today(request)),
        transcript=shown,
        answers=collected,
        events=events,
        volunteers=[p for p in people if p.role == "volunteer"],
        assignee=names.get(case.assignee_id),
        volunteer=names.get(case.volunteer_id),
        channel=reply_channel(tenant),
        outcomes=OUTCOMES,
        nonce=secrets.token_urlsafe(12),
        mine=case.assignee_id == me.staff_id,
        last_id=shown.messages[-1].id if shown.messages else 0,
    )


@guard("admin", "adviser", as_json=True)
async def _case_messages(request: Request, me: StaffSession) -> Response:
    case_id = case_id_of(request)
    try:
        after = int(request.query_params.get("after", "0"))
    except ValueError:
        return JSONResponse({"error": "'after' must be a message id"}, status_code=400)
    async with runtime(request).db.read() as conn:
        found = await load_case(conn, case_id)
        if found is None:
            return JSONResponse({"error": "no such case"}, status_code=404)
        case, _ = found
        shown = await transcript(conn, case, after)
    return JSONResponse(
        {
            "status": case.status,
            "consent": shown.consent,
            "hidden": shown.hidden,
            "messages": [message_json(m, local_time(request, m.created_at)) for m in shown.messages],
        },
        headers={"Cache-Control": "no-store"},
    )


def routes() -> list[BaseRoute]:
    """The case page and its poller."""
    return [
        Route("/console/cases/{case_id}", _case_page, methods=["GET"]),
        Route("/console/cases/{case_id}/messages.json", _case_messages, methods=["GET"]),
    ]
