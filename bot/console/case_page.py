"""The case page: rent position, contact, the conversation as far as consent allows, notes and actions."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.console.audit import record
from bot.console.crisis import crisis_holds, hold_words
from bot.console.delivery import Delivery, DeliveryFacts, delivery, recent_facts
from bot.console.ids import MAX_ID, path_id, whole_number
from bot.console.inbox import TENANT_ASKED, origin_words, reason_words, urgency
from bot.console.labels import (
    ANSWER_LABELS,
    COURT_OUTCOME_LABELS,
    COURT_STEP_LABELS,
    MEETING_LABELS,
    QUESTION_LABELS,
    flow_label,
    label,
)
from bot.console.seen import seen_by_sessions
from bot.console.sent_back import NONE_SENT_BACK, SentBack, send_back_on
from bot.console.sessions import SendBack, StaffSession, guard
from bot.console.sharing import STEP_KINDS, ConsentShown, sharing_panel
from bot.console.tenant_page import early_demand_words
from bot.console.transcript import MAX_MESSAGES, WHOLE_MESSAGES, Answered, Shown, answers, read_along, transcript
from bot.console.unanswered import TENANT_SHOWN, Unanswered, dealt_with, left_unanswered, of_tenant
from bot.console.web import NotFound, local_day, local_time, money, now, read_form, redirect, render, runtime, today
from bot.host.appointments import ADVICE_KINDS, APPOINTMENT, told_of
from bot.host.cases import OUTCOMES, reply_channel
from bot.host.consents import ADVISER_SCOPE, volunteer_refusals
from bot.host.outreach import CALL, NO_ADDRESS, OUTREACH_STEPS, call_due, next_steps, offer_outreach
from bot.i18n import N_, language_words
from bot.i18n import gettext as _
from bot.store.schema import case_events, case_tasks, cases, inbound, staff, tenants
from bot.store.staff_names import staff_name
from bot.tenants.court import clock_position, court_view
from bot.tenants.names import first_name
from conversations.engine import answer_keys

__all__ = [
    "ALREADY",
    "answer_rows",
    "case_id_of",
    "case_in_path",
    "case_page",
    "load_case",
    "message_json",
    "message_when",
    "recorded_already",
    "routes",
    "send_back_to",
    "unanswered_json",
]


def case_id_of(request: Request) -> int:
    """The case id in the path (404 for anything that cannot be one, however long)."""
    return path_id(request, "case_id", N_("There is no such case."))


async def load_case(conn: AsyncConnection, case_id: int) -> tuple[Any, Any] | None:
    """The case and its tenant."""
    case = (await conn.execute(select(cases).where(cases.c.id == case_id))).first()
    if case is None:
        return None
    tenant = (await conn.execute(select(tenants).where(tenants.c.id == case.tenant_id))).first()
    return None if tenant is None else (case, tenant)


async def case_in_path(request: Request) -> tuple[Any, Any]:
    """The case in the path and its tenant, read on its own connection; 404 when there is none."""
    async with runtime(request).db.read() as conn:
        found = await load_case(conn, case_id_of(request))
    if found is None:
        raise NotFound(N_("There is no such case."))
    return found


# What the case page says after a form that makes a record was sent again (`?already=…`): it recorded nothing.
ALREADY = {
    "note": N_("This note was recorded already: the form was sent twice, and it is kept once."),
    "contact": N_("The contact was recorded already: the form was sent twice, and it is counted once."),
    "consent": N_("This consent was recorded already: the form was sent twice, and it is kept once."),
    # The forms that change the case (bot/console/case_actions.py, bot/console/once.py): the first did it, the second
    # nothing.
    "step": N_("This call was recorded already: the form was sent twice, and it is recorded once."),
    "appointment": N_("This appointment was booked already: the form was sent twice, and it is booked once."),
    "task": N_("This task was given already: the form was sent twice, and it is given once."),
    "closed": N_("The case was closed already: the form was sent twice, and it is closed once."),
    "taken": N_("You took this case already: the form was sent twice, and it is taken once."),
    "released": N_("This case was released to the queue already: the form was sent twice, and it is released once."),
    "cancelled": N_("This appointment was cancelled already: the form was sent twice, and it is cancelled once."),
    "task_taken_back": N_("This task was taken back already: the form was sent twice, and it is taken back once."),
    # The referral forms (bot/console/referrals.py): the text about the kommune's help is sent once by its key.
    "referral": N_("This referral was made already: the form was sent twice, and it is made once."),
    "decision": N_("This decision was recorded already: the form was sent twice, and it is recorded once."),
    "step_added": N_("This step is tracked already: the form was sent twice, and it is tracked once."),
    "step_moved": N_("This step was moved on already: the form was sent twice, and it is moved once."),
    "help_text": N_("The text about help was sent already: the form was sent twice, and it is sent once."),
}


def recorded_already(case_id: int, what: str) -> Response:
    """The case page, saying the form was sent again and recorded nothing the second time (`ALREADY`)."""
    return redirect(f"/console/cases/{case_id}?already={what}")


async def authors(conn: AsyncConnection, shown: list[Shown], tenant_first_name: str) -> dict[str, str]:
    """Who wrote each message, as the adviser reads it: the tenant's first name, 'bot' or a staff member's name."""
    ids = {int(m.author.removeprefix("staff:")) for m in shown if m.author.startswith("staff:")}
    # "system": what keephome sent on its own for a change no person made there (an account closed, a notice).
    names = {"tenant": tenant_first_name, "bot": _("bot"), "system": _("keephome, automatically")}
    if ids:
        found = await conn.execute(select(staff.c.id, staff_name()).where(staff.c.id.in_(ids)))
        names.update({f"staff:{row.id}": row.name for row in found})
    return names


def _adviser_consent_withdrawn(shown: list[ConsentShown]) -> datetime | None:
    """When the tenant withdrew their consent to an adviser reading along, if none stands now (else None)."""
    theirs = [c for c in shown if c.row.scope == ADVISER_SCOPE]
    if not theirs or any(c.state == "active" for c in theirs) or theirs[-1].state != "withdrawn":
        return None
    withdrawn_at: datetime = theirs[-1].row.withdrawn_at
    return withdrawn_at


def _ended_before(shown: list[ConsentShown], consent_id: str) -> ConsentShown | None:
    """The consent a withdrawal was asked of when it had ended already (`?withdrawn=<id>`), as the page lists it."""
    return next((c for c in shown if str(c.row.id) == consent_id and c.state != "active"), None)


def _formatter(request: Request) -> Callable[[datetime | None], str]:
    return partial(local_time, request)


def deliveries(request: Request, shown: list[Shown]) -> dict[int, Delivery]:
    """What became of each message to the tenant among these, in words."""
    at, formatter = now(request), _formatter(request)
    paused = bool(getattr(request.state, "paused", False))  # read for this request (`SendingStateOnEveryPage`)
    return {m.id: delivery(m.delivery, at, formatter, paused=paused) for m in shown if m.delivery is not None}


def message_when(request: Request, created_at: datetime, facts: DeliveryFacts | None) -> str:
    """When a message is dated on the case page: when it was made, and for one to the tenant that went out later (a
    reminder made in the evening that waited for the morning), when it went out too. Its delivery receipt's time is
    not its sending's (a late receipt would date it later still), so only the sender's own record counts."""
    made = local_time(request, created_at)
    sent = None if facts is None or facts.sent_at is None else local_time(request, facts.sent_at)
    if sent is None or sent == made:
        return made
    return _("queued %(queued)s · sent %(sent)s") % {"queued": made, "sent": sent}


def _sent_when(request: Request, facts: DeliveryFacts) -> str | None:
    """`message_when` from the delivery facts alone (the poller's update of a message shown earlier)."""
    return None if facts.created_at is None else message_when(request, facts.created_at, facts)


def message_json(row: Shown, when: str, by: str, state: Delivery | None = None) -> dict[str, Any]:
    """One message as the page's poller receives it."""
    return {
        "delivery": state.as_json() if state is not None else None,
        "when": when,
        "id": row.id,
        "direction": row.direction,
        "author": row.author,
        "by": by,
        "channel": row.channel,
        "text": row.text,
        "status": row.status,
        "at": row.created_at.isoformat(),
    }


def unanswered_json(request: Request, u: Unanswered, who: str) -> dict[str, Any]:
    """A tenant's message keephome could not answer as the page's poller receives it: marked as the page marks it
    (templates/console/_unanswered.html), its words only where the page's rule lets them be read (`u.shown`), and
    otherwise why not."""
    if u.shown:
        note = None if u.text is not None else _("[no words: a button, a photo or another attachment]")
    elif len(u.senders) > 1:
        note = _("These tenants share one number or chat: correct it in your system and re-import.")
    else:
        note = _("Not shown: the tenant has not agreed that an adviser reads their messages.")
    return {
        "id": u.id,
        "by": who,
        "channel": label("channel", u.channel),
        "when": local_time(request, u.received_at),
        "mark": _("keephome could not answer this message — answer it yourself"),
        "shown": u.shown,
        "text": u.text if u.shown else None,
        "note": note,
    }


def _answer(key: str, value: Any) -> str:
    """One answer in words: an amount in kroner, a date and a chosen option in the reader's language, the tenant's own
    words as written."""
    if key == "amount" and isinstance(value, int):
        return money(value)
    if key == "pay_on" and isinstance(value, str):
        try:
            return local_day(date.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, str) and value in ANSWER_LABELS:
        return _(ANSWER_LABELS[value])
    return str(value)


def answer_rows(answered: list[Answered], zone: ZoneInfo) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """The tenant's answers as the adviser reads them, one group per conversation (newest first): what it was
    about, the day it was last answered, and each question with its answer."""
    groups: list[tuple[str, str, list[tuple[str, str]]]] = []
    for conversation in answered:
        about = flow_label(conversation.flow, conversation.trigger)
        data = conversation.data
        rows = [
            (_(QUESTION_LABELS[key]) if key in QUESTION_LABELS else key.replace("_", " "), _answer(key, data[key]))
            for key in answer_keys(conversation.flow, data)
        ]
        at = conversation.at if conversation.at.tzinfo else conversation.at.replace(tzinfo=UTC)
        groups.append((about[:1].upper() + about[1:], local_day(at.astimezone(zone).date()), rows))
    return groups


def _local_day_of(zone: ZoneInfo, at: datetime | None) -> str:
    """The day of `at` in the organisation's zone in the reader's language ("4. dec. 2026", "4 Dec 2026"): for a
    moment of which only the day was entered (a signed form's consent is stored at noon of its day), showing no
    invented time."""
    if at is None:
        return local_day(None)
    return local_day((at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(zone).date())


def _thread(shown: list[Shown], unanswered: list[Unanswered]) -> list[Shown | Unanswered]:
    """The conversation as the page lists it: the messages, and the tenant's messages keephome could not answer
    (kept only as they came in) where they came, by time."""

    def at(m: Shown | Unanswered) -> tuple[datetime, int]:
        return (m.created_at, 0) if isinstance(m, Shown) else (m.received_at, 1)

    return sorted([*shown, *unanswered], key=at)


def _not_found(request: Request) -> Response:
    return render(request, "message.html", 404, title=_("Not found"), message=_("There is no such case."))


async def _offer_due_call(request: Request, case_id: int, at: datetime) -> None:
    """The phone call the outreach job would offer this case now (its rule, bot/host/outreach.py), offered as the
    page is shown: the adviser sees it at once, not after the job's next run."""
    rt = runtime(request)
    # Looked at first: a page shown takes the writer (on SQLite the one the webhooks' commits wait for) only
    # when there is a call to offer.
    async with rt.db.read() as conn:
        if not await conn.run_sync(call_due, at, rt.settings.no_answer_days, case_id):
            return
    try:
        async with rt.db.write() as conn:
            await conn.run_sync(offer_outreach, at, rt.settings.no_answer_days, case_id)
    except IntegrityError:
        pass  # the job offered it at the same moment: the page shows that one


@dataclass(frozen=True)
class VolunteerChoice:
    """A volunteer on the case page's forms that give a task or book an appointment: `why` says, beside the name,
    why it would be refused (None when it may go to them); `selected` is the one the form starts with."""

    id: int
    name: str
    organisation: str | None
    why: str | None
    selected: bool


def _volunteer_choices(volunteers: list[Any], refused: Collection[int]) -> list[VolunteerChoice]:
    """Each volunteer with why a task or an appointment would be refused to them (`volunteer_refusals`: the page's
    paragraph on consent says what to ask for); the first it may go to is chosen, never one it would be refused to."""
    first = next((v.id for v in volunteers if v.id not in refused), None)
    choices = []
    for v in volunteers:
        why = None
        if v.id in refused:
            why = (
                _("no consent from the tenant to share with this organisation")
                if v.organisation
                else _("organisation not recorded: an admin records it on the Staff page")
            )
        choices.append(VolunteerChoice(v.id, v.name, v.organisation, why, v.id == first))
    return choices


async def _closing_cancels(conn: AsyncConnection, appointments: list[Any], at: datetime) -> list[dict[str, Any]]:
    """The case's open appointments with a volunteer, which closing the case cancels (`cancel_unseen`: the consent
    the volunteer needed lapses with the case), each with whether the tenant is then told: they had its
    confirmation and it is still ahead."""
    found = [a for a in appointments if a.status == "open"]
    if not found:
        return []
    told = await conn.run_sync(told_of, found, at)
    return [{"at": a.at, "place": a.place, "told": a.id in told} for a in found]


# Where a refused form was posted from, when its path names no case (a referral's decision, a tenant's court case):
# its id on the case page and that case; None when it was not on a case page (that page's refusal says why then).
FormPlace = Callable[[Request, FormData], Awaitable[tuple[str, int] | None]]


def send_back_to(form: str | FormPlace, *fields: str) -> SendBack:
    """What a refused case-page form answers (`guard(..., send_back=...)`): the case page with the form `form` (its id
    on the page of the case in the path, or where `form` finds it) sent back at itself, why, and what was entered in
    its `fields` (`send_back_on`)."""

    async def sent_back(request: Request, me: StaffSession, status: int, why: str) -> Response | None:
        posted = await read_form(request)
        place = (form, case_id_of(request)) if isinstance(form, str) else await form(request, posted)
        if place is None:
            return None
        return await send_back_on(partial(_page, case_id=place[1]), place[0], *fields)(request, me, status, why)

    return sent_back


@guard("admin", "adviser")
async def _case_page(request: Request, me: StaffSession) -> Response:
    return await case_page(request, me)


async def case_page(request: Request, me: StaffSession) -> Response:
    """The case page of the case in the path."""
    page = await _page(request, me, 200, None)
    return page if page is not None else _not_found(request)


async def _page(
    request: Request, me: StaffSession, status_code: int, sent_back: SentBack | None, case_id: int | None = None
) -> Response | None:
    """The case page of the case in the path (or `case_id`); with `sent_back`, one of its forms sent back at itself (a
    refusal: it offers no call, and writes nothing but the view's audit entry, as the page shows the tenant's data
    again). None when that form is not on the page as the case is now (it moved on meanwhile: no call to end, no
    longer held): nothing to come back at, and the refusal is the page every form has."""
    case_id = case_id_of(request) if case_id is None else case_id
    rt = runtime(request)
    at = now(request)
    if sent_back is None:
        await _offer_due_call(request, case_id, at)
    async with rt.db.read() as conn:
        found = await load_case(conn, case_id)
        if found is None:
            return _not_found(request)
        case, tenant = found
        # One read: the legal clock's columns and the ledger's termination day beside them (`clock_columns`).
        position = await conn.run_sync(clock_position, tenant.id)
        whole = request.query_params.get("whole") == "1"
        shown = await transcript(conn, case, rt.renderer, limit=WHOLE_MESSAGES if whole else MAX_MESSAGES)
        names = await authors(conn, shown.messages, first_name(tenant.name))
        # The tenant's messages keephome could not answer, marked for the adviser to answer; their words as the
        # transcript's rule shows the tenant's: with their consent, or written while told that a person reads along.
        along = None if shown.consent else await read_along(conn, case.id, inbound.c.received_at)
        unanswered = await conn.run_sync(of_tenant, tenant, along)
        # What the tenant wrote back to a volunteer's task that has left the volunteer, not answered: the adviser's.
        left = (await conn.run_sync(left_unanswered, [case.id])).get(case.id, [])
        collected = await answers(conn, tenant.id)
        court = await conn.run_sync(court_view, tenant.id)
        zone = ZoneInfo(rt.settings.timezone)
        holds = await conn.run_sync(crisis_holds, zone, [tenant.id], today(request), rt.settings.crisis_hold_days)
        events = (
            await conn.execute(
                select(case_events, staff_name("staff_name"))
                .outerjoin(staff, staff.c.id == case_events.c.staff_id)
                .where(case_events.c.case_id == case_id)
                .order_by(case_events.c.id)
            )
        ).all()
        people = (
            await conn.execute(
                select(staff.c.id, staff_name(), staff.c.role, staff.c.organisation)
                .where(staff.c.active.is_(True))
                .order_by(staff.c.email)
            )
        ).all()
        tasks = (
            await conn.execute(
                select(case_tasks)
                .where(case_tasks.c.case_id == case_id, case_tasks.c.kind.in_((*OUTREACH_STEPS, APPOINTMENT)))
                .order_by(case_tasks.c.id)
            )
        ).all()
        closing_cancels = await _closing_cancels(conn, [t for t in tasks if t.kind == APPOINTMENT], at)
        sharing = await sharing_panel(conn, case, tenant, at)
        volunteers = [p for p in people if p.role == "volunteer"]
        refused = await conn.run_sync(volunteer_refusals, case.id, [v.id for v in volunteers], at)
    emails = {p.id: p.name for p in people}
    holders = [i for i in (case.assignee_id, case.volunteer_id) if i is not None and i not in emails]
    if holders:  # a holder no longer active (deactivated) is still named, not "None"
        async with rt.db.read() as conn:
            named = await conn.execute(select(staff.c.id, staff_name()).where(staff.c.id.in_(holders)))
            emails.update({row.id: row.name for row in named})
    page = render(
        request,
        "case.html",
        status_code,
        # A refused form shown again at itself (`send_back_to`): why, at the form, and what was entered; the page is
        # then shown at the form's address, and says its own (base.html).
        sent_back=sent_back or NONE_SENT_BACK,
        own_address=None if sent_back is None else f"/console/cases/{case_id}",
        case=case,
        tenant=tenant,
        first_name=first_name(tenant.name),
        position=position,
        # The promised day is the tenant's answer: shown with their consent only (as their answers are).
        promise_shown=shown.consent,
        # The legal clock as the one rule reads it (a termination behind a called-off court case is no court stage);
        # the rent table shows the ledger's position as it stands (its termination day: `ledger_termination_on`).
        urgency=urgency(position, today(request), rt.settings.demand_delivery_days),
        early_demand=early_demand_words(position),
        # Rent reminders held after words of crisis: why only with the tenant's consent (bot/console/crisis.py).
        crisis=hold_words(holds.get(tenant.id), shown.consent),
        transcript=shown,
        thread=_thread(shown.messages, unanswered),
        # The reply's form names them: replying marks these dealt with, not one that came after the page was shown.
        unanswered=unanswered,
        # Marked in the thread where their words are shown; said (how many, the last when) whatever the consent, as
        # the inbox says when the tenant last replied.
        left_unanswered=left,
        left_ids={w.id for w in left},
        answers=answer_rows(collected, ZoneInfo(rt.settings.timezone)),
        events=events,
        # Each volunteer with why a task or an appointment would be refused to them, if it would (disabled).
        volunteers=_volunteer_choices(volunteers, refused),
        # The volunteer organisations the tenant's consent lets their contact go to for this case.
        volunteers_consented=sorted({str(v.organisation) for v in volunteers if v.id not in refused}),
        caretakers=[p for p in people if p.role == "caretaker"],
        # The steps beside a referral (boligstøtte, debt counselling) are shown with the referral.
        tasks=[t for t in tasks if t.kind not in STEP_KINDS],
        sharing=sharing,
        open_call=next((t for t in tasks if t.kind == CALL and t.status == "open"), None),
        # What closing the case does to its open appointments with a volunteer (said on the close form).
        closing_cancels=closing_cancels,
        # The caretaker's steps a call not answered may lead to: none without the tenant's address.
        after_call=next_steps(CALL, tenant.address),
        no_address=NO_ADDRESS,
        advice_kinds=ADVICE_KINDS,
        emails=emails,
        advisers=[p for p in people if p.role in ("adviser", "admin") and p.id != case.assignee_id],
        assignee=emails.get(case.assignee_id),
        volunteer=emails.get(case.volunteer_id),
        authors=names,
        deliveries=deliveries(request, shown.messages),
        # When each message is dated, as the poller dates it (`message_when`).
        message_when=lambda m: message_when(request, m.created_at, m.delivery),
        reason_words=reason_words,
        origin=origin_words(case.origin),
        reason=reason_words(case.reason),
        # The reason says the tenant agreed to share their answers: when they have withdrawn that since, it says so.
        reason_withdrawn=_adviser_consent_withdrawn(sharing["consents"]) if case.reason == TENANT_ASKED else None,
        language=language_words(tenant.language),
        channel=reply_channel(tenant),
        outcomes=OUTCOMES,
        court=court,
        court_meetings=MEETING_LABELS,
        court_outcomes=COURT_OUTCOME_LABELS,
        court_steps=COURT_STEP_LABELS,
        court_back=f"/console/cases/{case_id}",
        # The day of a moment in the organisation's zone (a signed form's consent: only its day was entered).
        local_day_of=partial(_local_day_of, ZoneInfo(rt.settings.timezone)),
        nonce=secrets.token_urlsafe(12),
        # A form that makes a record or changes the case, sent again (a reload repeating the POST, a phone's retry),
        # did nothing the second time.
        already=ALREADY.get(request.query_params.get("already", "")),
        # A consent's withdrawal sent again, or by a second person: it had ended already (when, and by whom).
        withdrawn_again=_ended_before(sharing["consents"], request.query_params.get("withdrawn", "")),
        mine=case.assignee_id == me.staff_id,
        last_id=shown.messages[-1].id if shown.messages else 0,
    )
    if sent_back is not None and not sent_back.shown_on(page):
        return None
    async with rt.db.write() as conn:
        await record(conn, at, me.actor, "case.view", f"case:{case_id}", f"tenant:{tenant.id}")
    seen_by_sessions(request).shown(me.session_id, case_id, (m.id for m in shown.messages))
    seen_by_sessions(request).shown(me.session_id, _unanswered_scope(case_id), (u.id for u in unanswered))
    return page


def _unanswered_scope(case_id: int) -> str:
    """What a session was shown of the tenant's messages keephome could not answer, beside the case's own messages
    (an inbound row's id is no message's)."""
    return f"unanswered:{case_id}"


@guard("admin", "adviser", as_json=True)
async def _case_messages(request: Request, me: StaffSession) -> Response:
    case_id = case_id_of(request)
    # A refusal raised here (a FormError, NotFound) answers the page's script in the reader's language (guard).
    after = whole_number(request.query_params.get("after", "0"), "after", maximum=MAX_ID)
    # The messages keephome could not answer that the page marks for its reader to answer (as many as it shows).
    marked = [whole_number(raw, "open", maximum=MAX_ID) for raw in request.query_params.getlist("open")[:TENANT_SHOWN]]
    rt = runtime(request)
    async with rt.db.read() as conn:
        found = await load_case(conn, case_id)
        if found is None:
            raise NotFound(N_("There is no such case."))
        case, tenant = found
        shown = await transcript(conn, case, rt.renderer, after)
        names = await authors(conn, shown.messages, first_name(tenant.name))
        # Messages shown earlier move on (queued -> sent -> delivered, or failed): their states come along.
        recent = await recent_facts(conn, tenant.id, MAX_MESSAGES)
        # The tenant's messages keephome could not answer, as the page lists them (`case_page`): all of them each
        # time, since one may fail after later ones did; the page adds those it does not show yet.
        along = None if shown.consent else await read_along(conn, case.id, inbound.c.received_at)
        unanswered = await conn.run_sync(of_tenant, tenant, along)
        settled = await conn.run_sync(dealt_with, tenant, marked)
    seen = seen_by_sessions(request)
    new = seen.unseen(me.session_id, case_id, (m.id for m in shown.messages))
    scope = _unanswered_scope(case_id)
    new_unanswered = seen.unseen(me.session_id, scope, (u.id for u in unanswered))
    if new or new_unanswered:
        # The transcript read outside the page view: audited like a view, once per message shown.
        parts = [f"tenant:{tenant.id}"]
        if new:
            parts.append(f"messages={len(new)} through={max(int(i) for i in new)}")
        if new_unanswered:
            parts.append(f"unanswered={len(new_unanswered)} through=inbound:{max(int(i) for i in new_unanswered)}")
        async with rt.db.write() as conn:
            await record(conn, now(request), me.actor, "case.messages", f"case:{case_id}", " ".join(parts))
        seen.shown(me.session_id, case_id, new)
        seen.shown(me.session_id, scope, new_unanswered)
    at, formatter = now(request), _formatter(request)
    paused = bool(getattr(request.state, "paused", False))
    states = {message_id: delivery(facts, at, formatter, paused=paused) for message_id, facts in recent.items()}
    return JSONResponse(
        {
            "status": case.status,
            # The status in the reader's language, as the page shows it.
            "status_label": label("case_status", case.status),
            "consent": shown.consent,
            "hidden": shown.hidden,
            "messages": [
                message_json(
                    m,
                    message_when(request, m.created_at, recent.get(m.id, m.delivery)),
                    names.get(m.author, m.author),
                    states.get(m.id),
                )
                for m in shown.messages
            ],
            # The tenant's messages keephome could not answer, oldest first, marked as the page marks them.
            "unanswered": [unanswered_json(request, u, first_name(tenant.name)) for u in unanswered],
            # Those of them the page marks that someone dealt with meanwhile (a reply from another page, an admin).
            "dealt_with": settled,
            # What became of the messages shown, and when each went out: a queued one is dated anew once it has.
            "deliveries": {
                str(message_id): {**state.as_json(), "when": _sent_when(request, recent[message_id])}
                for message_id, state in states.items()
            },
        },
        headers={"Cache-Control": "no-store"},
    )


def routes() -> list[BaseRoute]:
    """The case page and its poller."""
    return [
        Route("/console/cases/{case_id}", _case_page, methods=["GET"]),
        Route("/console/cases/{case_id}/messages.json", _case_messages, methods=["GET"]),
    ]
