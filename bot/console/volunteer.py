"""The volunteers' view: only their own tasks, only pre-approved texts, no amounts and no history."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.console.audit import record
from bot.console.ids import path_id
from bot.console.messaging import reply_channel, send_to_tenant
from bot.console.sessions import StaffSession, guard
from bot.console.web import FormError, NotFound, field, now, redirect, render, runtime
from bot.host.cases import CaseError, finish_task
from bot.store.schema import cases, tenants
from bot.tenants.names import first_name

__all__ = ["VOLUNTEER_TEMPLATES", "routes"]

# Pre-approved texts (templates/<lang>/volunteer.*): short, kind, nothing about money.
VOLUNTEER_TEMPLATES = {
    "volunteer.appointment_reminder": "Reminder of the appointment",
    "volunteer.call_tomorrow": "We will call tomorrow",
}


async def _my_task(request: Request, me: StaffSession) -> tuple[Any, Any]:
    """The task's case and tenant, only when the task is this volunteer's."""
    case_id = path_id(request, "case_id", "There is no such task.")
    async with runtime(request).db.read() as conn:
        row = (
            await conn.execute(
                select(cases.c.id.label("case_id"), tenants)
                .join(tenants, tenants.c.id == cases.c.tenant_id)
                .where(cases.c.id == case_id, cases.c.volunteer_id == me.staff_id, cases.c.status == "volunteer")
            )
        ).first()
    if row is None:
        raise NotFound("This task is not yours, or it is finished.")
    return int(row.case_id), row


@guard("volunteer")
async def _tasks(request: Request, me: StaffSession) -> Response:
    rt = runtime(request)
    async with rt.db.read() as conn:
        rows = (
            await conn.execute(
                select(
                    cases.c.id,
                    cases.c.volunteer_task,
                    cases.c.volunteer_due,
                    tenants.c.name,
                    tenants.c.phone,
                    tenants.c.telegram_chat_id,
                    tenants.c.telegram_blocked,
                )
                .join(tenants, tenants.c.id == cases.c.tenant_id)
                .where(cases.c.volunteer_id == me.staff_id, cases.c.status == "volunteer")
                .order_by(cases.c.volunteer_due, cases.c.id)
            )
        ).all()
    tasks = [
        {
            "id": r.id,
            "first_name": first_name(r.name),
            "channel": reply_channel(r),
            "task": r.volunteer_task,
            "due": r.volunteer_due,
        }
        for r in rows
    ]
    if tasks:
        async with rt.db.write() as conn:
            await record(conn, now(request), me.actor, "tasks.view", None, ",".join(f"case:{t['id']}" for t in tasks))
    sent = request.query_params.get("sent") == "1"
    return render(request, "tasks.html", tasks=tasks, texts=VOLUNTEER_TEMPLATES, sent=sent)


@guard("volunteer")
async def _send(request: Request, me: StaffSession) -> Response:
    case_id, tenant = await _my_task(request, me)
    template = field(await request.form(), "template", max_length=80)
    if template not in VOLUNTEER_TEMPLATES:
        raise FormError("choose one of the prepared texts")
    if tenant.status != "active":
        raise CaseError("this tenant cannot receive messages now: tell the adviser")
    rt = runtime(request)
    at = now(request)
    async with rt.db.write() as conn:
        await send_to_tenant(
            conn,
            tenant,
            case_id=case_id,
            template=template,
            values={"first_name": first_name(tenant.name)},
            now=at,
            key=f"case:{case_id}:volunteer:{uuid.uuid4().hex}",
            author=me.actor,
        )
        await record(conn, at, me.actor, "message.send", f"case:{case_id}", f"template={template}")
    rt.sender.wake()
    return redirect("/console/tasks?sent=1")


async def _finish(request: Request, me: StaffSession, needs_adviser: bool) -> Response:
    case_id, _ = await _my_task(request, me)
    at = now(request)
    async with runtime(request).db.write() as conn:
        await finish_task(conn, case_id, me.staff_id, needs_adviser, at)
        action = "task.needs_adviser" if needs_adviser else "task.done"
        await record(conn, at, me.actor, action, f"case:{case_id}")
    return redirect("/console/tasks")


@guard("volunteer")
async def _done(request: Request, me: StaffSession) -> Response:
    return await _finish(request, me, needs_adviser=False)


@guard("volunteer")
async def _needs_adviser(request: Request, me: StaffSession) -> Response:
    return await _finish(request, me, needs_adviser=True)


def routes() -> list[BaseRoute]:
    """The task list and its three actions."""
    return [
        Route("/console/tasks", _tasks, methods=["GET"]),
        Route("/console/tasks/{case_id}/send", _send, methods=["POST"]),
        Route("/console/tasks/{case_id}/done", _done, methods=["POST"]),
        Route("/console/tasks/{case_id}/needs-adviser", _needs_adviser, methods=["POST"]),
    ]
