"""Consents from the case page: ask on Telegram to the full wording, record a signed form or oral consent, end
one the tenant withdrew by phone.

Asking sends the tenant the whole wording (recipient, source, kinds of data, purpose, that it can be
withdrawn) with yes/no buttons, as the share_consent flow; only a tenant with a linked Telegram chat can be
asked, and never over SMS. Oral consent is refused for anyone but the organisation's own advisers. Every
change is audited.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.console.audit import record
from bot.console.case_page import case_in_path, recorded_already, send_back_to
from bot.console.ids import path_id
from bot.console.messaging import telegram_open
from bot.console.sessions import StaffSession, guard
from bot.console.sharing import withdrawal_detail
from bot.console.web import FormError, NotFound, field, form_nonce, now, parse_day, read_form, redirect, runtime, today
from bot.host.appointments import cancel_unseen
from bot.host.cases import HELD_STATUSES, CaseError, form_event, tasks_back_unseen
from bot.host.consents import DATA_KINDS, ConsentRefused, record_consent, withdraw_consent
from bot.host.handlers import apply_events
from bot.host.turn import Turn, save_state
from bot.i18n import N_
from bot.outbox.enqueue import queued
from bot.store.scene import Scene
from bot.store.schema import consents
from bot.tenants.csv_rows import after_today
from bot.tenants.names import first_name
from conversations import engine
from conversations.model import Context

__all__ = ["routes"]

_SHARE_KINDS = ("kommune", "volunteer_org")


def _kinds(form: FormData) -> list[str]:
    chosen = [str(value) for value in form.getlist("kinds")]
    unknown = [kind for kind in chosen if kind not in DATA_KINDS]
    if unknown:
        raise FormError(N_("Choose the kinds of data from the list."))
    return [kind for kind in DATA_KINDS if kind in chosen]


def _recipient(form: FormData, kinds: tuple[str, ...]) -> tuple[str, str | None]:
    kind = field(form, "recipient_kind", max_length=16)
    if kind not in kinds:
        raise FormError(N_("Choose who receives the data."))
    if kind == "organisation":
        return kind, None
    # The withdrawal word lists recipients by name, separated by "|".
    name = field(form, "recipient", max_length=200).replace("|", "/")
    return kind, name


@guard("admin", "adviser", send_back=send_back_to("ask-consent", "recipient_kind", "recipient", "kinds", "purpose"))
async def _ask(request: Request, me: StaffSession) -> Response:
    """Send the tenant the full wording on Telegram with yes/no buttons."""
    case, tenant = await case_in_path(request)
    if case.status not in HELD_STATUSES or case.assignee_id != me.staff_id:
        raise CaseError(N_("Take the case first: only the adviser who holds it can ask the tenant."))
    if not telegram_open(tenant):
        raise CaseError(
            N_("The tenant has no linked Telegram chat: a consent to share is asked on Telegram or on a signed form.")
        )
    form = await read_form(request)
    kind, recipient = _recipient(form, _SHARE_KINDS)
    kinds = _kinds(form)
    if not kinds:
        raise FormError(N_("Choose at least one kind of data."))
    purpose = field(form, "purpose", max_length=300)
    nonce = form_nonce(form)
    rt = runtime(request)
    at = now(request)
    values: dict[str, str | int] = {
        "recipient_kind": kind,
        "recipient": recipient or "",
        "source": rt.settings.org_name,
        "kinds": ",".join(kinds),
        "purpose": purpose,
    }
    # The wording exactly as the tenant is shown it: kept with the consent as its evidence.
    wording = rt.renderer.render("share_consent.ask", values, tenant.language, "telegram").text
    data = {**values, "case_id": case.id, "wording": wording}
    context = Context(first_name(tenant.name), tenant.language, "telegram", None, rt.settings.flow_settings())
    state, events = engine.start("share_consent", context, at, data)
    turn = Turn(
        tenant_id=tenant.id,
        conversation_id=None,
        channel="telegram",
        language=tenant.language,
        now=at,
        today=today(request),
        key=f"share:{case.id}:{nonce}",
    )

    def asked(conn: Connection) -> None:
        scene = Scene.of(conn)
        if queued(conn, f"{turn.key}:0"):
            return  # a double submit: asked once
        started = turn.in_conversation(save_state(scene, turn, state))
        apply_events(scene, started, events, rt.settings)

    async with rt.db.write() as conn:
        await conn.run_sync(asked)
        detail = f"tenant:{tenant.id} recipient_kind={kind} kinds={','.join(kinds)}"
        await record(conn, at, me.actor, "consent.ask", f"case:{case.id}", detail)
    rt.sender.wake()
    return redirect(f"/console/cases/{case.id}#consents")


def _given_at(raw: str, zone: ZoneInfo, at: datetime, today: date) -> datetime:
    """Noon of the day the form was signed (no later than `at`). `today` is the organisation's day: a later one is
    refused by the import's rule, `after_today`, in the form's own words."""
    day = parse_day(raw, "signed_on")
    if after_today(day, today):
        raise FormError(N_("The form cannot be signed in the future."))
    return min(datetime.combine(day, time(12), zone), at)


# A form left short comes back at itself on the case page, with why and what was entered (the boxes ticked apart).
@guard(
    "admin",
    "adviser",
    send_back=send_back_to(
        "record-consent", "method", "recipient_kind", "recipient", "kinds", "purpose", "signed_on", "wording"
    ),
    typed="wording",
)
async def _record(request: Request, me: StaffSession) -> Response:
    """Record a consent the tenant gave the adviser: a signed form, or oral for the adviser's own advice. A form left
    short (a signed form's day missing) comes back on the case page at the form, with what was entered."""
    case, tenant = await case_in_path(request)
    if case.status == "closed":
        raise CaseError(N_("The case is closed."))
    return await _recorded(request, me, case, tenant, await read_form(request))


async def _recorded(request: Request, me: StaffSession, case: Any, tenant: Any, form: FormData) -> Response:
    """The consent recorded (FormError when the form does not say what is needed)."""
    method = field(form, "method", max_length=16)
    if method not in ("signed_form", "oral"):
        raise FormError(N_("Choose how the consent was given."))
    kind, recipient = _recipient(form, ("organisation", *_SHARE_KINDS))
    if method == "oral" and kind != "organisation":
        raise FormError(N_("Oral consent covers only our own advice: to share, use a signed form or Telegram."))
    kinds = _kinds(form)
    purpose = field(form, "purpose", max_length=300, required=kind != "organisation")
    wording = field(form, "wording", max_length=4000, required=False)
    if kind != "organisation" and not kinds:
        raise FormError(N_("Choose at least one kind of data."))
    rt = runtime(request)
    at = now(request)
    zone = ZoneInfo(rt.settings.timezone)
    signed_on = field(form, "signed_on", max_length=10) if method == "signed_form" else None
    given_at = at if signed_on is None else _given_at(signed_on, zone, at, today(request))
    nonce = form_nonce(form)
    async with rt.db.write() as conn:
        # The same form sent again (a browser's resubmit, a phone's retry) records nothing the second time.
        if not await conn.run_sync(form_event, case.id, me.staff_id, "consent_recorded", None, at, nonce):
            return recorded_already(case.id, "consent")
        try:
            consent_id = await conn.run_sync(
                lambda sync: record_consent(
                    sync,
                    tenant_id=tenant.id,
                    case_id=case.id,
                    recipient_kind=kind,
                    recipient=recipient,
                    source=rt.settings.org_name,
                    data_kinds=kinds,
                    purpose=purpose,
                    wording=wording,
                    method=method,
                    recorded_by=me.staff_id,
                    given_at=given_at,
                    now=at,
                )
            )
        except ConsentRefused as exc:
            raise FormError(exc.msgid, **exc.values) from None
        detail = f"tenant:{tenant.id} consent:{consent_id} method={method} recipient_kind={kind}"
        await record(conn, at, me.actor, "consent.record", f"case:{case.id}", detail)
    return redirect(f"/console/cases/{case.id}#consents")


@guard("admin", "adviser")
async def _withdraw(request: Request, me: StaffSession) -> Response:
    """The tenant told the adviser to withdraw one consent: it ends at once."""
    case, tenant = await case_in_path(request)
    consent_id = path_id(request, "consent_id", N_("There is no such consent."))
    rt = runtime(request)
    at = now(request)
    async with rt.db.write() as conn:
        row = (await conn.execute(select(consents.c.tenant_id).where(consents.c.id == consent_id))).first()
        if row is None or row.tenant_id != tenant.id:
            raise NotFound(N_("There is no such consent."))
        if not await conn.run_sync(withdraw_consent, consent_id, at):
            # Withdrawn before (the form sent twice, or by a colleague, or by the tenant's own word): nothing is
            # recorded again, and the case page says when it ended, and by whom when a person recorded it.
            return redirect(f"/console/cases/{case.id}?withdrawn={consent_id}#consents")
        await conn.run_sync(cancel_unseen, tenant.id, at, "consent_ended", rt.settings)
        await conn.run_sync(tasks_back_unseen, tenant.id, at, rt.settings)
        detail = withdrawal_detail(tenant.id, consent_id)
        await record(conn, at, me.actor, "consent.withdraw", f"case:{case.id}", detail)
    return redirect(f"/console/cases/{case.id}#consents")


def routes() -> list[BaseRoute]:
    """The consent actions of a case (all CSRF-checked by the guard)."""
    return [
        Route("/console/cases/{case_id}/consents/ask", _ask, methods=["POST"]),
        Route("/console/cases/{case_id}/consents/record", _record, methods=["POST"]),
        Route("/console/cases/{case_id}/consents/{consent_id}/withdraw", _withdraw, methods=["POST"]),
    ]
