"""What an adviser does with a case: take, release, reply, note, hand to a volunteer, close."""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Any

from sqlalchemy import select
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.console.audit import record
from bot.console.case_page import case_id_of, load_case
from bot.console.messaging import reply_channel, send_to_tenant, sms_warnings
from bot.console.sessions import StaffSession, guard
from bot.console.web import FormError, NotFound, field, now, redirect, render, runtime, today
from bot.host import cases as case_ops
from bot.host.cases import HELD_STATUSES, CaseError
from bot.store.schema import staff

__all__ = ["routes"]

_NONCE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


async def _case(request: Request) -> tuple[Any, Any]:
    async with runtime(request).db.read() as conn:
        found = await load_case(conn, case_id_of(request))
    if found is None:
        raise NotFound("There is no such case.")
    return found


def _holder(case: Any, me: StaffSession) -> None:
    if case.assignee_id != me.staff_id and me.role != "admin":
        raise CaseError("take the case first: only the adviser who holds it can do this")


def _back(case_id: int) -> Response:
    return redirect(f"/console/cases/{case_id}")


@guard("admin", "adviser")
async def _take(request: Request, me: StaffSession) -> Response:
    case, tenant = await _case(request)
    rt = runtime(request)
    at = now(request)
    async with rt.db.write() as conn:
        await case_ops.take_case(conn, case.id, me.staff_id, at)
        if tenant.status == "active":
            await send_to_tenant(
                conn,
                tenant,
                case_id=case.id,
                template="case.taken",
                values={},
                now=at,
                key=f"case:{case.id}:taken:{uuid.uuid4().hex}",
                author=me.actor,
            )
        await record(conn, at, me.actor, "case.take", f"case:{case.id}")
    rt.sender.wake()
    return _back(case.id)


@guard("admin", "adviser")
async def _release(request: Request, me: StaffSession) -> Response:
    case, _ = await _case(request)
    _holder(case, me)
    at = now(request)
    async with runtime(request).db.write() as conn:
        await case_ops.release_case(conn, case.id, me.staff_id, at)
        await record(conn, at, me.actor, "case.release", f"case:{case.id}")
    return _back(case.id)


@guard("admin", "adviser")
async def _reply(request: Request, me: StaffSession) -> Response:
    case, tenant = await _case(request)
    _holder(case, me)
    if case.status not in HELD_STATUSES:
        raise CaseError("take the case before replying, so the bot and you do not talk over each other")
    if tenant.status != "active":
        raise CaseError(f"the tenant cannot receive messages (status: {tenant.status})")
    form = await request.form()
    text = field(form, "text", max_length=1000)
    nonce = field(form, "nonce", max_length=64)
    if not _NONCE.match(nonce):
        raise FormError("the form is damaged: reload the page")
    rt = runtime(request)
    channel = reply_channel(tenant)
    warnings = sms_warnings(text, rt.settings.forbidden_words) if channel == "sms" else []
    if warnings and form.get("confirm") != "1":
        return render(request, "reply_confirm.html", case=case, text=text, nonce=nonce, warnings=warnings)
    at = now(request)
    async with rt.db.write() as conn:
        queued = await send_to_tenant(
            conn,
            tenant,
            case_id=case.id,
            template="case.reply",
            values={"text": text},
            now=at,
            key=f"case:{case.id}:reply:{nonce}",
            author=me.actor,
            text=text,
        )
        if queued:
            if case.status == "taken":
                await case_ops.set_status(conn, case.id, "waiting_tenant", at)
            detail = f"channel={channel}" + (" confirmed_sms_warning" if warnings else "")
            await record(conn, at, me.actor, "message.send", f"case:{case.id}", detail)
    rt.sender.wake()
    return _back(case.id)


@guard("admin", "adviser")
async def _note(request: Request, me: StaffSession) -> Response:
    case, _ = await _case(request)
    text = field(await request.form(), "text", max_length=4000)
    at = now(request)
    async with runtime(request).db.write() as conn:
        await case_ops.add_note(conn, case.id, me.staff_id, text, at)
        await record(conn, at, me.actor, "case.note", f"case:{case.id}")
    return _back(case.id)


def _due(form: FormData, today_: date) -> date:
    raw = field(form, "due", max_length=10)
    try:
        due = date.fromisoformat(raw)
    except ValueError:
        raise FormError("'due' must be a date like 2026-03-01") from None
    if due < today_:
        raise FormError("'due' is in the past")
    return due


@guard("admin", "adviser")
async def _task(request: Request, me: StaffSession) -> Response:
    case, _ = await _case(request)
    _holder(case, me)
    form = await request.form()
    task = field(form, "task", max_length=300)
    due = _due(form, today(request))
    try:
        volunteer_id = int(field(form, "volunteer_id", max_length=20))
    except ValueError:
        raise FormError("choose a volunteer") from None
    rt = runtime(request)
    at = now(request)
    async with rt.db.write() as conn:
        volunteer = (
            await conn.execute(
                select(staff.c.id).where(
                    staff.c.id == volunteer_id, staff.c.role == "volunteer", staff.c.active.is_(True)
                )
            )
        ).first()
        if volunteer is None:
            raise FormError("choose an active volunteer")
        await case_ops.give_task(conn, case.id, me.staff_id, volunteer_id, task, due, at)
        await record(conn, at, me.actor, "case.task", f"case:{case.id}", f"volunteer=staff:{volunteer_id}")
    return _back(case.id)


@guard("admin", "adviser")
async def _close(request: Request, me: StaffSession) -> Response:
    case, tenant = await _case(request)
    form = await request.form()
    outcome = field(form, "outcome", max_length=32)
    note = field(form, "note", max_length=2000, required=False)
    if outcome not in case_ops.OUTCOMES:
        raise FormError(f"choose an outcome: {', '.join(case_ops.OUTCOMES)}")
    rt = runtime(request)
    at = now(request)
    async with rt.db.write() as conn:
        await case_ops.close_case(conn, case.id, me.staff_id, outcome, note, at)
        if tenant.status == "active" and case.status in HELD_STATUSES:
            await send_to_tenant(
                conn,
                tenant,
                case_id=case.id,
                template="case.closed",
                values={},
                now=at,
                key=f"case:{case.id}:closed",
                author=me.actor,
            )
        await record(conn, at, me.actor, "case.close", f"case:{case.id}", f"outcome={outcome}")
    rt.sender.wake()
    return redirect("/console/")


def routes() -> list[BaseRoute]:
    """The case's POST actions (all CSRF-checked by the guard)."""
    actions = {"take": _take, "release": _release, "reply": _reply, "note": _note, "task": _task, "close": _close}
    return [Route(f"/console/cases/{{case_id}}/{name}", handler, methods=["POST"]) for name, handler in actions.items()]
