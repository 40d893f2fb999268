"""A tenant's page for advisers: contact, rent position, cases, and opening a case by hand."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.console.audit import record, record_shown
from bot.console.crisis import crisis_holds, hold_words
from bot.console.ids import path_id
from bot.console.inbox import checks, reason_words, urgency
from bot.console.labels import COURT_OUTCOME_LABELS, COURT_STEP_LABELS, MEETING_LABELS
from bot.console.sent_back import NONE_SENT_BACK, SentBack, send_back_on
from bot.console.sessions import StaffSession, guard
from bot.console.unanswered import of_tenant
from bot.console.web import NotFound, field, local_day, now, redirect, render, runtime, today
from bot.host.cases import OPEN_STATUSES, has_consent, open_case
from bot.i18n import N_, language_words, shown
from bot.i18n import gettext as _
from bot.store.schema import cases, tenants
from bot.tenants.court import clock_position, court_view
from bot.tenants.lookup import SeveralTenants, tenant_by_typed_ref, tenants_matching
from scheduler.rent_day import early_demand

__all__ = ["SEARCH_SHOWN", "early_demand_words", "routes", "tenant_view"]

# The tenants a search lists: enough to pick the one on the phone from, few enough to read; more means typing more.
SEARCH_SHOWN = 50


def _tenant_id(request: Request) -> int:
    return path_id(request, "tenant_id", N_("There is no such tenant."))


async def _tenant(request: Request, tenant_id: int) -> Any:
    async with runtime(request).db.read() as conn:
        tenant = (
            await conn.execute(select(tenants).where(tenants.c.id == tenant_id, tenants.c.status != "erased"))
        ).first()
    if tenant is None:
        raise NotFound(N_("There is no such tenant."))
    return tenant


def early_demand_words(position: Any) -> str | None:
    """The adviser's note beside a påkrav sent before the law allows for the rent it concerns
    (`scheduler.rent_day.early_demand`), or None. A computed legal date: staff pages only, never the tenant."""
    if position is None:
        return None
    early = early_demand(position.demand_sent_on, position.due_day)
    if early is None:
        return None
    values = {"earliest": local_day(early.earliest), "due": local_day(early.due)}
    return (
        _(
            "sent before %(earliest)s, the earliest day a påkrav may be sent for rent due %(due)s: it may have no "
            "legal effect; check which rent it concerns"
        )
        % values
    )


@guard("admin", "adviser")
async def _lookup(request: Request, me: StaffSession) -> Response:
    ref = request.query_params.get("ref", "").strip()[:64]
    if not ref:  # the page itself (a search sent empty lands here too): the form, nothing found yet
        return render(request, "tenant_search.html", typed="", count=0, matching=[])
    # A reference as typed, in either case ("demo-07" finds DEMO-07), as the data page finds it; else the tenants
    # with that phone number or with it in their name (a tenant who phones seldom knows their reference).
    async with runtime(request).db.read() as conn:
        try:
            found = await conn.run_sync(tenant_by_typed_ref, ref)
        except SeveralTenants as exc:
            return render(request, "message.html", 422, title=_("Find a tenant"), message=shown(exc))
        count, matching = (0, []) if found is not None else await conn.run_sync(tenants_matching, ref, SEARCH_SHOWN)
    if found is None and count == 1:
        found = int(matching[0].id)
    if found is not None:
        return redirect(f"/console/tenants/{found}")
    if not count:  # the search again, with what was typed in its box to correct (a name spelled otherwise)
        return render(request, "tenant_search.html", 404, typed=ref, count=0, matching=[])
    # A list of tenants' names is a view of their data: audited with each tenant it showed.
    async with runtime(request).db.write() as conn:
        await record_shown(conn, now(request), me.actor, "tenants.search", [f"tenant:{row.id}" for row in matching])
    return render(request, "tenant_search.html", typed=ref, count=count, matching=matching)


@guard("admin", "adviser")
async def _tenant_page(request: Request, me: StaffSession) -> Response:
    page = await tenant_view(request, me)
    assert page is not None  # None only for a form sent back
    return page


async def tenant_view(
    request: Request, me: StaffSession, status_code: int = 200, sent_back: SentBack | None = None
) -> Response | None:
    """The tenant's page; with `sent_back`, one of its forms (to open a case, a court form) refused and shown again at
    itself (it shows the tenant's data again, so the view is audited as any). None, and nothing audited, when that
    form is not on the page (the tenant has an open case meanwhile): the refusal page every form has says why, and
    shows nothing of the tenant."""
    tenant = await _tenant(request, _tenant_id(request))
    rt = runtime(request)
    at = now(request)
    async with rt.db.read() as conn:
        # As the legal clock reads it: a termination behind a court case called off no longer counts as the court
        # stage (the page shows no termination date of its own).
        position = await conn.run_sync(clock_position, tenant.id)
        history = (
            await conn.execute(select(cases).where(cases.c.tenant_id == tenant.id).order_by(cases.c.id.desc()))
        ).all()
        court = await conn.run_sync(court_view, tenant.id)
        zone = ZoneInfo(rt.settings.timezone)
        holds = await conn.run_sync(crisis_holds, zone, [tenant.id], today(request), rt.settings.crisis_hold_days)
        # What the tenant told the bot (paid, a promised day) is their answer, as their words of crisis are: shown
        # only while their adviser consent stands, the rule of the case page and the inbox (bot/console/transcript.py).
        consented = await conn.run_sync(has_consent, tenant.id)
        # The tenant's messages keephome could not answer, marked for an adviser to answer (their words by the rule
        # above, as the admin page shows them).
        unanswered = await conn.run_sync(of_tenant, tenant)
    page = render(
        request,
        "tenant.html",
        status_code,
        # A form refused (to open a case, a court form): why, at the form, and what was entered; the page is then shown
        # at the form's address, and says its own (base.html).
        sent_back=sent_back or NONE_SENT_BACK,
        own_address=None if sent_back is None else f"/console/tenants/{tenant.id}",
        tenant=tenant,
        # The tenant's language in words, in the reader's language, as the case page names it.
        language=language_words(tenant.language),
        position=position,
        urgency=urgency(position, today(request), rt.settings.demand_delivery_days),
        checks=checks(position, today(request), rt.settings.demand_delivery_days) if consented else [],
        promise_shown=consented,
        early_demand=early_demand_words(position),
        # Rent reminders held after words of crisis: why only with the tenant's consent (bot/console/crisis.py).
        crisis=hold_words(holds.get(tenant.id), consented),
        cases=history,
        # A tenant has one open case: the page leads to it instead of offering to open another.
        open_case_id=next((case.id for case in history if case.status in OPEN_STATUSES), None),
        court=court,
        court_meetings=MEETING_LABELS,
        court_outcomes=COURT_OUTCOME_LABELS,
        court_steps=COURT_STEP_LABELS,
        court_back=f"/console/tenants/{tenant.id}",
        reason_words=reason_words,
        unanswered=unanswered,
    )
    if sent_back is not None and not sent_back.shown_on(page):
        return None
    async with rt.db.write() as conn:
        await record(conn, at, me.actor, "tenant.view", f"tenant:{tenant.id}")
    return page


@guard("admin", "adviser", send_back=send_back_on(tenant_view, "open-case", "reason"))
async def _open_case(request: Request, me: StaffSession) -> Response:
    tenant = await _tenant(request, _tenant_id(request))
    reason = field(await request.form(), "reason", max_length=200)
    at = now(request)
    async with runtime(request).db.write() as conn:
        opened = await conn.run_sync(
            open_case,
            tenant.id,
            origin="manual",
            reason=reason,
            now=at,
            today=today(request),
            delivery_days=runtime(request).settings.demand_delivery_days,
            staff_id=me.staff_id,
        )
        await record(conn, at, me.actor, "case.open", f"case:{opened.case_id}", f"tenant:{tenant.id}")
    return redirect(f"/console/cases/{opened.case_id}")


def routes() -> list[BaseRoute]:
    """Finding a tenant, their page and a case opened by hand."""
    return [
        Route("/console/tenants", _lookup, methods=["GET"]),
        Route("/console/tenants/{tenant_id}", _tenant_page, methods=["GET"]),
        Route("/console/tenants/{tenant_id}/cases", _open_case, methods=["POST"]),
    ]
