"""The court path in the console: what an adviser records of a court case, and the kommune notice.

An adviser (or admin) records a filing the ledger has not brought, the retskreds, the kind of meeting, whether the
court reached the tenant by phone, and the outcome; every write goes through `bot.tenants.court`, the one writer
of court cases and rent events, with an audit entry. The kommune notice of almenlejeloven § 92 stk. 2 is a
print-friendly page per tenant — that a rent case was filed with the fogedret on a day, the tenant's name and
address, the organisation's name, nothing more — whose view is audited; "record the notice as sent" stamps the day.
Volunteers and caretakers get 403 here, as on every adviser page.

A court form refused for what was entered (a FormError) comes back at itself on the page it was posted from, the case
page (`send_back_to`) or the tenant's page (`send_back_on`), with why and what was entered; so does the notice's
"record as sent" on the notice.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from sqlalchemy import select
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.console.audit import record
from bot.console.case_page import send_back_to
from bot.console.ids import path_id
from bot.console.sent_back import NONE_SENT_BACK, SentBack, send_back_on
from bot.console.sessions import SendBack, StaffSession, guard
from bot.console.tenant_page import tenant_view
from bot.console.web import (
    FormError,
    NotFound,
    field,
    field_name,
    now,
    parse_day,
    read_form,
    redirect,
    render,
    runtime,
    today,
)
from bot.i18n import N_, local_day
from bot.store.schema import cases, tenants
from bot.tenants import court
from bot.tenants.csv_rows import after_today

__all__ = ["routes"]

_BACK = re.compile(r"^/console/(cases|tenants)/\d{1,18}$")
_CASE_PAGE = re.compile(r"^/console/cases/(\d{1,18})$")


def _on_case_page(form_id: str) -> Callable[[Request, FormData], Awaitable[tuple[str, int] | None]]:
    """Where a court form was posted from: the page of the tenant's case its `back` names (the form `form_id` there),
    or None (not a case page of this tenant)."""

    async def place(request: Request, posted: FormData) -> tuple[str, int] | None:
        back = posted.get("back")
        found = _CASE_PAGE.match(back) if isinstance(back, str) else None
        if found is None:
            return None
        case_id = int(found.group(1))
        async with runtime(request).db.read() as conn:
            tenant_id = await conn.scalar(select(cases.c.tenant_id).where(cases.c.id == case_id))
        return (form_id, case_id) if tenant_id == _tenant_id(request) else None

    return place


def _send_back(form_id: str, *fields: str) -> SendBack:
    """What a refused court form answers: the page it was posted from (its `back`: a case page of the tenant, or the
    tenant's own page) with the form sent back at itself, why and what was entered; None (the refusal page every form
    has) when `back` names neither."""
    on_case_page = send_back_to(_on_case_page(form_id), *fields)
    on_tenant_page = send_back_on(tenant_view, form_id, *fields)

    async def sent_back(request: Request, me: StaffSession, status: int, why: str) -> Response | None:
        back = (await read_form(request)).get("back")
        if back == f"/console/tenants/{_tenant_id(request)}":
            return await on_tenant_page(request, me, status, why)
        return await on_case_page(request, me, status, why)

    return sent_back


def _tenant_id(request: Request) -> int:
    return path_id(request, "tenant_id", N_("There is no such tenant."))


async def _tenant(request: Request) -> Any:
    tenant_id = _tenant_id(request)
    async with runtime(request).db.read() as conn:
        found = (
            await conn.execute(select(tenants).where(tenants.c.id == tenant_id, tenants.c.status != "erased"))
        ).first()
    if found is None:
        raise NotFound(N_("There is no such tenant."))
    return found


def _back(form: FormData, tenant_id: int) -> Response:
    """Back to the page the form was on (a case page or the tenant's page), never anywhere else."""
    raw = form.get("back")
    return redirect(raw if isinstance(raw, str) and _BACK.match(raw) else f"/console/tenants/{tenant_id}")


def _day(form: FormData, name: str, *, default: date | None = None, today: date | None = None) -> date | None:
    """The form's day (empty: `default`). With `today`, a day past by definition (a filing, an outcome, a notice
    sent): one after it is refused by the import's rule, `after_today`, in the form's own words."""
    raw = field(form, name, max_length=10, required=False)
    if not raw:
        return default
    day = parse_day(raw, name)
    if today is not None and after_today(day, today):
        raise FormError(N_("'%(name)s' is in the future"), name=name)
    return day


def _refused(exc: court.CourtError) -> FormError:
    return FormError(exc.msgid, **exc.values)


@guard(
    "admin",
    "adviser",
    send_back=_send_back("court-filing", "filed_on", "court_date", "court_date_passed"),
)
async def _filing(request: Request, me: StaffSession) -> Response:
    tenant = await _tenant(request)
    form = await request.form()
    filed = _day(form, "filed_on", today=today(request))
    if filed is None:
        raise FormError(N_("'%(name)s' is required"), name="filed_on")
    court_date = _day(form, "court_date")
    if court_date is not None and filed <= court_date < today(request) and form.get("court_date_passed") != "yes":
        # History learned late is legitimate, a year typed wrong is not: a court date that has passed gets no court
        # eve reminder, so the adviser says it is meant.
        raise FormError(
            N_("The court date %(day)s has passed. If that is right, tick '%(confirm)s' and record the filing again."),
            day=local_day(court_date),
            confirm=field_name("court_date_passed"),
        )
    at = now(request)
    async with runtime(request).db.write() as conn:
        try:
            await conn.run_sync(court.record_filing, tenant.id, filed, court_date, at)
        except court.CourtError as exc:
            raise _refused(exc) from None
        detail = f"filed_on={filed.isoformat()} court_date={court_date.isoformat() if court_date else '-'}"
        await record(conn, at, me.actor, "court.filing", f"tenant:{tenant.id}", detail)
    return _back(form, tenant.id)


@guard(
    "admin",
    "adviser",
    send_back=_send_back("court-details", "retskreds", "meeting_kind", "reached_by_phone"),
)
async def _details(request: Request, me: StaffSession) -> Response:
    tenant = await _tenant(request)
    form = await request.form()
    retskreds = field(form, "retskreds", max_length=80, required=False) or None
    meeting = field(form, "meeting_kind", max_length=16, required=False) or None
    if meeting is not None and meeting not in court.MEETING_KINDS:
        raise FormError(N_("Choose where the fogedret meets."))
    phone = {"yes": True, "no": False, "": None}.get(field(form, "reached_by_phone", max_length=3, required=False))
    at = now(request)
    async with runtime(request).db.write() as conn:
        try:
            case_id = await conn.run_sync(
                court.record_details,
                tenant.id,
                at,
                retskreds=retskreds,
                meeting_kind=meeting,
                reached_by_phone=phone,
            )
        except court.CourtError as exc:
            raise _refused(exc) from None
        detail = f"tenant:{tenant.id} meeting={meeting or '-'} phone={phone}"
        await record(conn, at, me.actor, "court.details", f"court_case:{case_id}", detail)
    return _back(form, tenant.id)


@guard("admin", "adviser", send_back=_send_back("court-outcome-form", "outcome", "on", "court_date"))
async def _outcome(request: Request, me: StaffSession) -> Response:
    tenant = await _tenant(request)
    form = await request.form()
    outcome = field(form, "outcome", max_length=16)
    if outcome not in court.OUTCOMES:
        raise FormError(N_("Choose what became of the court case."))
    day = _day(form, "on", default=today(request), today=today(request))
    assert day is not None
    new_date = _day(form, "court_date") if outcome == "postponed" else None
    if outcome == "postponed" and new_date is None:
        raise FormError(N_("A postponement needs the new court date."))
    at = now(request)
    rt = runtime(request)
    async with rt.db.write() as conn:
        try:
            case_id = await conn.run_sync(
                court.record_outcome, tenant.id, outcome, day, at, new_court_date=new_date, today=today(request)
            )
        except court.CourtError as exc:
            raise _refused(exc) from None
        detail = f"tenant:{tenant.id} outcome={outcome} on={day.isoformat()}"
        if new_date is not None:
            detail += f" court_date={new_date.isoformat()}"
        await record(conn, at, me.actor, "court.outcome", f"court_case:{case_id}", detail)
    rt.sender.wake()
    return _back(form, tenant.id)


@guard("admin", "adviser")
async def _notice(request: Request, me: StaffSession) -> Response:
    page = await _notice_page(request, me)
    if page is None:
        raise NotFound(N_("No filing is recorded for this tenant."))
    return page


async def _notice_page(
    request: Request, me: StaffSession, status_code: int = 200, sent_back: SentBack | None = None
) -> Response | None:
    """The printable notice; with `sent_back`, its "record as sent" refused for the day typed and shown again at
    itself (the page posts to its own address). None, and nothing audited, when no filing is recorded for the tenant
    or the form is not on the page."""
    tenant = await _tenant(request)
    rt = runtime(request)
    async with rt.db.read() as conn:
        case = await conn.run_sync(court.notice_case, tenant.id)
    if case is None:
        return None
    # Only what § 92 stk. 2 asks for: the filing, the name, the address, and who sends it.
    page = render(
        request,
        "kommune_notice.html",
        status_code,
        sent_back=sent_back or NONE_SENT_BACK,
        tenant_id=tenant.id,
        tenant_name=tenant.name,
        address=tenant.address,
        filed_on=case.filed_on,
        notified_on=case.kommune_notified_on,
        org_name=rt.settings.org_name,
        today=today(request),
    )
    if sent_back is not None and not sent_back.shown_on(page):
        return None
    async with rt.db.write() as conn:
        target, detail = f"tenant:{tenant.id}", f"court_case:{case.id}"
        await record(conn, now(request), me.actor, "kommune_notice.view", target, detail)
    return page


# A day that is none or in the future: the notice again, with why at its form and the day as typed.
@guard("admin", "adviser", send_back=send_back_on(_notice_page, "notice-sent", "sent_on"))
async def _notice_sent(request: Request, me: StaffSession) -> Response:
    tenant = await _tenant(request)
    form = await request.form()
    day = _day(form, "sent_on", default=today(request), today=today(request))
    assert day is not None
    at = now(request)
    async with runtime(request).db.write() as conn:
        try:
            case_id = await conn.run_sync(court.record_notice_sent, tenant.id, day, at)
        except court.CourtError as exc:
            raise _refused(exc) from None
        detail = f"tenant:{tenant.id} sent_on={day.isoformat()}"
        await record(conn, at, me.actor, "kommune_notice.sent", f"court_case:{case_id}", detail)
    return redirect(f"/console/tenants/{tenant.id}/kommune-notice")


def routes() -> list[BaseRoute]:
    """The court case's forms and the kommune notice."""
    base = "/console/tenants/{tenant_id}"
    return [
        Route(f"{base}/court/filing", _filing, methods=["POST"]),
        Route(f"{base}/court/details", _details, methods=["POST"]),
        Route(f"{base}/court/outcome", _outcome, methods=["POST"]),
        Route(f"{base}/kommune-notice", _notice, methods=["GET"]),
        Route(f"{base}/kommune-notice", _notice_sent, methods=["POST"]),
    ]
