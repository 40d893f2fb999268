"""Referrals to the kommune, and the steps tracked beside them (boligstøtte, free debt counselling).

With the tenant's active consent to share with a kommune unit for this case, the adviser makes a referral: the
rent position, the letters received (påkrav, ophævelse, court), the household (children under 18, address),
the help sought and the tenant's contact, as they stand — each part only when the consent names its kind
(`bot.host.consents.may_share`, asked again whenever the referral is shown, so a withdrawn or lapsed consent
stops the next request). A printable page and a JSON download for the adviser, both audited; there is no API
route, and nothing of it goes by SMS. The kommune's decision (date and outcome) is recorded on the case page.

Each form of the case page here does its work once (bot/console/once.py): the same form sent again (a double click, a
resend after a slow answer) changes nothing, writes no second audit entry and texts the tenant no second time; the
case page says it was done already.

A form of the case page refused for what was entered (a FormError) comes back at itself there, with why and what was
entered (`send_back_to`); a refusal for the case's state (a CaseError) is a page of its own.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select, update
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.console.audit import record
from bot.console.case_page import case_id_of, case_in_path, recorded_already, send_back_to
from bot.console.ids import id_from, path_id
from bot.console.messaging import send_to_tenant, telegram_open
from bot.console.once import case_form
from bot.console.sessions import StaffSession, guard
from bot.console.sharing import DATA_KIND_LABELS, DECISIONS, HELP_KINDS, STEP_KINDS, STEP_STATUSES, STEPS_UNDER_WAY
from bot.console.web import (
    FormError,
    NotFound,
    field,
    form_nonce,
    money,
    now,
    parse_day,
    read_form,
    redirect,
    render,
    runtime,
    today,
)
from bot.host.cases import CaseError
from bot.host.consents import SHARE_SCOPE, may_share
from bot.host.tasks import add_task, set_task_status
from bot.i18n import N_
from bot.store.schema import case_tasks, consents, court_cases, referrals, rent_positions, tenants
from bot.tenants.csv_rows import after_today

__all__ = ["REFERRAL_KINDS", "contents_of", "routes"]

# The parts of a referral, in the order they are shown; "conversation" is never part of one.
REFERRAL_KINDS = ("rent_position", "letters", "household", "contact")


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _kroner(ore: int | None) -> str | None:
    return None if ore is None else str((Decimal(ore) / 100).quantize(Decimal("0.01")))


def _part(conn: Connection, tenant_id: int, kind: str) -> dict[str, Any]:
    position = conn.execute(select(rent_positions).where(rent_positions.c.tenant_id == tenant_id)).first()
    tenant = conn.execute(select(tenants).where(tenants.c.id == tenant_id)).one()
    if kind == "rent_position":
        if position is None:
            return {}
        return {
            "balance": _kroner(position.balance_ore),
            "balance_as_of": _iso(position.balance_as_of),
            "monthly_rent": _kroner(position.monthly_rent_ore),
            "due_day": position.due_day,
            "last_payment_on": _iso(position.last_payment_on),
        }
    if kind == "letters":
        filings = conn.execute(
            select(court_cases).where(court_cases.c.tenant_id == tenant_id).order_by(court_cases.c.id)
        ).all()
        return {
            "demand_sent_on": _iso(position.demand_sent_on) if position else None,
            "demand_received_on": _iso(position.demand_received_on) if position else None,
            "termination_on": _iso(position.termination_on) if position else None,
            "court_cases": [
                {
                    "filed_on": _iso(c.filed_on),
                    "court_date": _iso(c.court_date),
                    "retskreds": c.retskreds,
                    "status": c.status,
                    "outcome": c.outcome,
                }
                for c in filings
            ],
        }
    if kind == "household":
        return {"children_under_18": tenant.children, "address": tenant.address}
    return {
        "name": tenant.name,
        "phone": tenant.phone,
        "telegram": tenant.telegram_chat_id is not None,
        "language": tenant.language,
    }


def contents_of(
    conn: Connection, tenant_id: int, case_id: int, recipient: str | None, help_sought: list[str], now: datetime
) -> dict[str, Any]:
    """What a referral to this kommune unit may hold now: each part the consent covers, and which it does not."""
    covered = [k for k in REFERRAL_KINDS if may_share(conn, tenant_id, case_id, "kommune", recipient, k, now)]
    return {
        "recipient": recipient,
        "case_id": case_id,
        "as_of": now.isoformat(),
        "help_sought": help_sought,
        **{kind: _part(conn, tenant_id, kind) for kind in covered},
        "left_out": [kind for kind in REFERRAL_KINDS if kind not in covered],
    }


def _help(form: FormData) -> list[str]:
    chosen = [str(value) for value in form.getlist("help")]
    if not chosen or any(kind not in HELP_KINDS for kind in chosen):
        raise FormError(N_("Choose the help the tenant seeks."))
    return [kind for kind in HELP_KINDS if kind in chosen]


_NO_CONSENT = N_(
    "A referral needs the tenant's active consent to share with that kommune unit for this case "
    "(on Telegram or a signed form)."
)


@guard("admin", "adviser", send_back=send_back_to("make-referral", "consent_id", "help"))
async def _create(request: Request, me: StaffSession) -> Response:
    case, tenant = await case_in_path(request)
    form = await read_form(request)
    once = case_form(case.id, "referral", "referral", form_nonce(form))
    if await once.done_before(request):
        return once.already()
    if case.status == "closed":
        raise CaseError(N_("The case is closed."))
    help_sought = _help(form)
    consent_id = id_from(field(form, "consent_id", max_length=20))
    if consent_id is None:
        raise FormError(N_("Choose the consent the referral rests on."))
    rt = runtime(request)
    at = now(request)
    async with rt.db.write() as conn:
        if await once.done_inside(conn):
            return once.already()
        consent = (
            await conn.execute(
                select(consents).where(
                    consents.c.id == consent_id,
                    consents.c.tenant_id == tenant.id,
                    consents.c.scope == SHARE_SCOPE,
                    consents.c.recipient_kind == "kommune",
                    consents.c.case_id == case.id,
                    consents.c.withdrawn_at.is_(None),
                )
            )
        ).first()
        if consent is None:
            raise CaseError(_NO_CONSENT)
        # The same referral, made already and not decided (from a page shown before it was made): that one, not a
        # second that would count twice in the report.
        undecided = (
            await conn.execute(
                select(referrals.c.id, referrals.c.help_sought).where(
                    referrals.c.case_id == case.id, referrals.c.consent_id == consent.id, referrals.c.decision.is_(None)
                )
            )
        ).all()
        same = next((r.id for r in undecided if sorted(r.help_sought or []) == sorted(help_sought)), None)
        if same is not None:
            return redirect(f"/console/referrals/{same}")
        contents = await conn.run_sync(contents_of, tenant.id, case.id, consent.recipient, help_sought, at)
        if len(contents["left_out"]) == len(REFERRAL_KINDS):
            raise CaseError(_NO_CONSENT)
        referral_id = (
            await conn.execute(
                referrals.insert()
                .values(
                    tenant_id=tenant.id,
                    case_id=case.id,
                    consent_id=consent.id,
                    created_by=me.staff_id,
                    help_sought=help_sought,
                    contents=contents,
                    created_at=at,
                    updated_at=at,
                )
                .returning(referrals.c.id)
            )
        ).scalar_one()
        await once.record(conn, me.staff_id, at)
        detail = f"tenant:{tenant.id} referral:{referral_id} consent:{consent.id}"
        await record(conn, at, me.actor, "referral.create", f"case:{case.id}", detail)
    return redirect(f"/console/referrals/{referral_id}")


async def _referral(request: Request) -> tuple[Any, Any, dict[str, Any]]:
    """The referral, its tenant and its contents as they may be shown now (the gate asked again)."""
    referral_id = path_id(request, "referral_id", N_("There is no such referral."))
    at = now(request)
    async with runtime(request).db.read() as conn:
        referral = (await conn.execute(select(referrals).where(referrals.c.id == referral_id))).first()
        if referral is None:
            raise NotFound(N_("There is no such referral."))
        consent = (await conn.execute(select(consents).where(consents.c.id == referral.consent_id))).first()
        tenant = (await conn.execute(select(tenants).where(tenants.c.id == referral.tenant_id))).one()
        recipient = consent.recipient if consent is not None else None
        stored = referral.contents if isinstance(referral.contents, dict) else {}
        allowed = await conn.run_sync(
            lambda sync: [
                k for k in REFERRAL_KINDS if may_share(sync, tenant.id, referral.case_id, "kommune", recipient, k, at)
            ]
        )
    if not allowed:
        raise CaseError(_NO_CONSENT)
    shown = {key: value for key, value in stored.items() if key not in REFERRAL_KINDS or key in allowed}
    shown["left_out"] = [kind for kind in REFERRAL_KINDS if kind not in allowed or kind not in stored]
    return referral, tenant, shown


@guard("admin", "adviser")
async def _print(request: Request, me: StaffSession) -> Response:
    referral, tenant, contents = await _referral(request)
    rt = runtime(request)
    async with rt.db.write() as conn:
        detail = f"tenant:{tenant.id} referral:{referral.id}"
        await record(conn, now(request), me.actor, "referral.view", f"case:{referral.case_id}", detail)
    return render(
        request,
        "referral.html",
        referral=referral,
        contents=contents,
        org_name=rt.settings.org_name,
        kinds=DATA_KIND_LABELS,
        help_kinds=HELP_KINDS,
        decisions=DECISIONS,
        parse_day=_day_or_none,
        kroner=_kroner_shown,
    )


def _kroner_shown(value: object) -> str:
    """A stored amount ("14200.00") as the reader's language writes it ("14.200,00 kr.", "DKK 14,200.00")."""
    if not isinstance(value, str) or not value:
        return "–"
    return money(int(Decimal(value) * 100))


def _day_or_none(value: object) -> date | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


@guard("admin", "adviser")
async def _download(request: Request, me: StaffSession) -> Response:
    referral, tenant, contents = await _referral(request)
    rt = runtime(request)
    async with rt.db.write() as conn:
        detail = f"tenant:{tenant.id} referral:{referral.id}"
        await record(conn, now(request), me.actor, "referral.download", f"case:{referral.case_id}", detail)
    body = {
        "referral": referral.id,
        "source": rt.settings.org_name,
        "made_at": referral.created_at.isoformat(),
        "decision": referral.decision,
        "decided_on": _iso(referral.decided_on),
        **contents,
    }
    return Response(
        json.dumps(body, ensure_ascii=False, indent=2) + "\n",
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="referral-{referral.id}.json"',
            "Cache-Control": "no-store",
        },
    )


def _date(form: FormData, name: str) -> date:
    return parse_day(field(form, name, max_length=10), name)


async def _decision_form(request: Request, _posted: FormData) -> tuple[str, int] | None:
    """The decision's form on the page of the referral's case (None: no such referral)."""
    referral_id = path_id(request, "referral_id", N_("There is no such referral."))
    async with runtime(request).db.read() as conn:
        case_id = await conn.scalar(select(referrals.c.case_id).where(referrals.c.id == referral_id))
    return None if case_id is None else (f"decide-referral-{referral_id}", case_id)


@guard("admin", "adviser")
async def _decision_page(request: Request, me: StaffSession) -> Response:
    """The decision's address opened as a page (its refusal, shown there, reloaded without scripts, or bookmarked): the
    page of the referral's case, at its referrals."""
    place = await _decision_form(request, FormData())
    if place is None:
        raise NotFound(N_("There is no such referral."))
    return redirect(f"/console/cases/{place[1]}#referrals")


@guard("admin", "adviser", send_back=send_back_to(_decision_form, "decision", "decided_on"))
async def _decision(request: Request, me: StaffSession) -> Response:
    """The kommune's answer: its date and outcome."""
    referral_id = path_id(request, "referral_id", N_("There is no such referral."))
    async with runtime(request).db.read() as conn:
        case_id = await conn.scalar(select(referrals.c.case_id).where(referrals.c.id == referral_id))
    if case_id is None:
        raise NotFound(N_("There is no such referral."))
    form = await read_form(request)
    once = case_form(case_id, "referral_decision", "decision", form_nonce(form))
    if await once.done_before(request):
        return once.already()
    decision = field(form, "decision", max_length=32)
    if decision not in DECISIONS:
        raise FormError(N_("Choose the kommune's decision."))
    decided_on = _date(form, "decided_on")
    at = now(request)
    if after_today(decided_on, today(request)):  # the import's rule: just after midnight it is tomorrow's date there
        raise FormError(N_("The decision cannot be dated in the future."))
    async with runtime(request).db.write() as conn:
        if await once.done_inside(conn):
            return once.already()
        referral = (await conn.execute(select(referrals).where(referrals.c.id == referral_id))).first()
        if referral is None:
            raise NotFound(N_("There is no such referral."))
        await conn.execute(
            update(referrals)
            .where(referrals.c.id == referral_id)
            .values(decision=decision, decided_on=decided_on, updated_at=at)
        )
        await once.record(conn, me.staff_id, at)
        detail = f"tenant:{referral.tenant_id} referral:{referral_id} decision={decision}"
        await record(conn, at, me.actor, "referral.decision", f"case:{referral.case_id}", detail)
    return redirect(f"/console/cases/{referral.case_id}#referrals")


@guard("admin", "adviser", send_back=send_back_to("add-step", "kind"))
async def _add_step(request: Request, me: StaffSession) -> Response:
    """Track a step beside the referral: boligstøtte from Udbetaling Danmark, or free debt counselling."""
    case, tenant = await case_in_path(request)
    form = await read_form(request)
    once = case_form(case.id, "step_added", "step_added", form_nonce(form))
    if await once.done_before(request):
        return once.already()
    if case.status == "closed":
        raise CaseError(N_("The case is closed."))
    kind = field(form, "kind", max_length=24)
    if kind not in STEP_KINDS:
        raise FormError(N_("Choose a step."))
    at = now(request)
    async with runtime(request).db.write() as conn:
        if await once.done_inside(conn):
            return once.already()
        under_way = await conn.scalar(
            select(case_tasks.c.id).where(
                case_tasks.c.case_id == case.id,
                case_tasks.c.kind == kind,
                case_tasks.c.status.in_(STEPS_UNDER_WAY),
            )
        )
        if under_way is not None:
            raise CaseError(N_("This step is already under way on the case: move it on rather than add another."))
        task_id = await conn.run_sync(
            lambda sync: add_task(sync, case_id=case.id, tenant_id=tenant.id, kind=kind, now=at, created_by=me.staff_id)
        )
        await once.record(conn, me.staff_id, at)
        await record(conn, at, me.actor, "step.add", f"case:{case.id}", f"tenant:{tenant.id} task:{task_id} {kind}")
    return redirect(f"/console/cases/{case.id}#referrals")


async def _step_form(request: Request, _posted: FormData) -> tuple[str, int] | None:
    """The step's form on the page of the case in the path."""
    return f"move-step-{path_id(request, 'task_id', N_('There is no such step.'))}", case_id_of(request)


@guard("admin", "adviser", send_back=send_back_to(_step_form, "status"))
async def _move_step(request: Request, me: StaffSession) -> Response:
    case, tenant = await case_in_path(request)
    task_id = path_id(request, "task_id", N_("There is no such step."))
    form = await read_form(request)
    once = case_form(case.id, "step_moved", "step_moved", form_nonce(form))
    if await once.done_before(request):
        return once.already()
    status = field(form, "status", max_length=16)
    at = now(request)
    async with runtime(request).db.write() as conn:
        if await once.done_inside(conn):
            return once.already()
        task = (
            await conn.execute(
                select(case_tasks).where(
                    case_tasks.c.id == task_id,
                    case_tasks.c.case_id == case.id,
                    case_tasks.c.kind.in_(tuple(STEP_KINDS)),
                )
            )
        ).first()
        if task is None:
            raise NotFound(N_("There is no such step."))
        if status not in STEP_STATUSES[task.kind]:
            raise FormError(N_("Choose a status from the list."))
        finished = status not in ("open", "applied")
        await conn.run_sync(
            lambda sync: set_task_status(sync, status, at, case_tasks.c.id == task_id, finished=finished)
        )
        await once.record(conn, me.staff_id, at)
        detail = f"tenant:{tenant.id} task:{task_id} {task.kind}={status}"
        await record(conn, at, me.actor, "step.update", f"case:{case.id}", detail)
    return redirect(f"/console/cases/{case.id}#referrals")


@guard("admin", "adviser", send_back=send_back_to("help-text"))
async def _help_text(request: Request, me: StaffSession) -> Response:
    """Send the tenant the text about the kommune's help (it says to apply before paying) — on Telegram only."""
    case, tenant = await case_in_path(request)
    if case.status == "closed":
        raise CaseError(N_("The case is closed."))
    if not telegram_open(tenant):
        raise CaseError(N_("The text about help goes on Telegram only: tell the tenant by phone or in person."))
    nonce = form_nonce(await read_form(request))
    rt = runtime(request)
    at = now(request)
    async with rt.db.write() as conn:
        queued = await send_to_tenant(
            conn,
            tenant,
            case_id=case.id,
            template="help.kommune",
            values={},
            now=at,
            key=f"case:{case.id}:help:{nonce}",
            author=me.actor,
        )
        if not queued:  # the same form sent again (the key its text went out by): sent once, audited once
            return recorded_already(case.id, "help_text")
        await record(conn, at, me.actor, "message.send", f"case:{case.id}", "template=help.kommune")
    rt.sender.wake()
    return redirect(f"/console/cases/{case.id}#referrals")


def routes() -> list[BaseRoute]:
    """Referrals (page, download, decision) and the steps beside them; no API route reaches any of it."""
    return [
        Route("/console/cases/{case_id}/referrals", _create, methods=["POST"]),
        Route("/console/cases/{case_id}/steps", _add_step, methods=["POST"]),
        Route("/console/cases/{case_id}/steps/{task_id}", _move_step, methods=["POST"]),
        Route("/console/cases/{case_id}/help-text", _help_text, methods=["POST"]),
        Route("/console/referrals/{referral_id}.json", _download, methods=["GET"]),
        Route("/console/referrals/{referral_id}", _print, methods=["GET"]),
        Route("/console/referrals/{referral_id}/decision", _decision, methods=["POST"]),
        Route("/console/referrals/{referral_id}/decision", _decision_page, methods=["GET"]),
    ]
