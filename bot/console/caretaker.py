"""The caretaker's view: the door knocks and postcards for tenants nobody reached, and nothing else.

A caretaker sees a tenant's first name, address and the task — no amounts, no history, no messages, no case —
like a volunteer. Every view (the list, a printed postcard) is in the audit log. The caretaker marks a knock
reached (the "contact made" event the outcome page counts) or not reached (a postcard follows), and a postcard
sent. No postcard prints without an address (nor is a knock or postcard offered then: bot/host/outreach.py,
`next_steps`). The postcard is `templates/<lang>/outreach.postcard.sms.txt`, in the tenant's language: it is
printed, but anyone can read a postcard, so it keeps the SMS rule and `keephome check` checks it as an SMS.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from sqlalchemy import or_, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.console.audit import record, record_shown
from bot.console.ids import path_id
from bot.console.sessions import StaffSession, guard
from bot.console.web import NotFound, now, redirect, render, runtime
from bot.host.cases import OPEN_STATUSES, CaseError, among
from bot.host.outreach import CARETAKER_STEPS, KNOCK, NOT_REACHED, POSTCARD, REACHED, SENT, finish_step
from bot.i18n import N_
from bot.store.schema import case_tasks, cases, tenants
from bot.tenants.names import first_name

__all__ = ["POSTCARD_TEMPLATE", "routes"]

POSTCARD_TEMPLATE = "outreach.postcard"
_t = case_tasks.c


def _visible(me: StaffSession) -> list[Any]:
    """The open knocks and postcards this caretaker may see: theirs or given to no one, on open cases."""
    return [
        among(_t.kind, CARETAKER_STEPS),
        _t.status == "open",
        or_(_t.assignee_id == me.staff_id, _t.assignee_id.is_(None)),
        among(cases.c.status, OPEN_STATUSES),
        tenants.c.status != "erased",
    ]


# How a visit can end (the codes `TASK_EVENT_LABELS` words): a mark sent twice names the first.
_MARKS = (f"{KNOCK}:{REACHED}", f"{KNOCK}:{NOT_REACHED}", f"{POSTCARD}:{SENT}")
_COLUMNS = (_t.id, _t.kind, _t.created_at, _t.assignee_id, tenants.c.name, tenants.c.address, tenants.c.language)


def _query(me: StaffSession) -> Any:
    return (
        select(*_COLUMNS)
        .join(cases, cases.c.id == _t.case_id)
        .join(tenants, tenants.c.id == _t.tenant_id)
        .where(*_visible(me))
    )


async def _my_visit(request: Request, me: StaffSession) -> Any:
    task_id = path_id(request, "task_id", N_("There is no such task."))
    async with runtime(request).db.read() as conn:
        row = (await conn.execute(_query(me).where(_t.id == task_id))).first()
    if row is None:
        raise NotFound(N_("This task is not yours, or it is finished."))
    return row


@guard("caretaker")
async def _visits(request: Request, me: StaffSession) -> Response:
    async with runtime(request).db.read() as conn:
        rows = (await conn.execute(_query(me).order_by(_t.created_at, _t.id))).all()
    visits = [
        {"id": r.id, "kind": r.kind, "since": r.created_at, "first_name": first_name(r.name), "address": r.address}
        for r in rows
    ]
    if visits:
        async with runtime(request).db.write() as conn:
            await record_shown(conn, now(request), me.actor, "visits.view", [f"task:{v['id']}" for v in visits])
    already = request.query_params.get("already", "")
    return render(
        request,
        "visits.html",
        visits=visits,
        done=request.query_params.get("done") == "1",
        already=already if already in _MARKS else None,
    )


@guard("caretaker")
async def _postcard(request: Request, me: StaffSession) -> Response:
    visit = await _my_visit(request, me)
    if not (visit.address or "").strip():
        raise CaseError(N_("No address is stored for this tenant, so there is no postcard to print: ask the adviser."))
    rt = runtime(request)
    name = first_name(visit.name)
    # Rendered as an SMS: the SMS rule holds for a postcard (no amounts, no debt or eviction words, no dates).
    text = rt.renderer.render(POSTCARD_TEMPLATE, {"first_name": name}, visit.language, "sms").text
    async with rt.db.write() as conn:
        await record(conn, now(request), me.actor, "postcard.print", f"task:{visit.id}")
    return render(request, "postcard.html", visit=visit, first_name=name, text=text)


async def _marked_before(request: Request, me: StaffSession, kind: str) -> str | None:
    """How this visit ended, when it ended already as a caretaker ends one (not cancelled with its case), and was
    this caretaker's or given to no one: the same mark sent again (the browser's back and resubmit, a phone's
    retry) then does nothing more."""
    task_id = path_id(request, "task_id", N_("There is no such task."))
    async with runtime(request).db.read() as conn:
        status = (
            await conn.execute(
                select(_t.status).where(
                    _t.id == task_id,
                    _t.kind == kind,
                    among(_t.status, (REACHED, NOT_REACHED, SENT)),
                    or_(_t.assignee_id == me.staff_id, _t.assignee_id.is_(None)),
                )
            )
        ).scalar()
    return None if status is None else f"{kind}:{status}"


async def _finish(request: Request, me: StaffSession, kind: str, outcome: str) -> Response:
    marked = await _marked_before(request, me, kind)
    if marked is not None:
        return redirect(f"/console/visits?{urlencode({'already': marked})}")
    visit = await _my_visit(request, me)
    if visit.kind != kind:
        raise NotFound(N_("This task is not yours, or it is finished."))
    at = now(request)
    async with runtime(request).db.write() as conn:
        await conn.run_sync(
            finish_step, visit.id, outcome, me.staff_id, at, next_assignee=me.staff_id, kinds=CARETAKER_STEPS
        )
        await record(conn, at, me.actor, f"{kind}.{outcome}", f"task:{visit.id}")
    return redirect("/console/visits?done=1")


@guard("caretaker")
async def _reached(request: Request, me: StaffSession) -> Response:
    return await _finish(request, me, KNOCK, REACHED)


@guard("caretaker")
async def _not_reached(request: Request, me: StaffSession) -> Response:
    return await _finish(request, me, KNOCK, NOT_REACHED)


@guard("caretaker")
async def _sent(request: Request, me: StaffSession) -> Response:
    return await _finish(request, me, POSTCARD, SENT)


def routes() -> list[BaseRoute]:
    """The caretaker's list, the printable postcard and the three marks."""
    return [
        Route("/console/visits", _visits, methods=["GET"]),
        Route("/console/visits/{task_id}/postcard", _postcard, methods=["GET"]),
        Route("/console/visits/{task_id}/reached", _reached, methods=["POST"]),
        Route("/console/visits/{task_id}/not-reached", _not_reached, methods=["POST"]),
        Route("/console/visits/{task_id}/sent", _sent, methods=["POST"]),
    ]
