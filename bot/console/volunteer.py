"""The volunteers' view: only their own tasks and appointments, only pre-approved texts, no amounts and no history.

A task or appointment shows the tenant's first name, channel and phone number (a `tel:` link, so a volunteer on a
phone taps it to call; what the tenant's consent to share their contact covers) or, for a tenant with no number,
that they are reached only with the prepared texts. An appointment (bot/host/appointments.py) shows the day, time
and place and the kind of advice too; the volunteer marks it held or missed, or moves it (the tenant gets a new
confirmation, and the reminder moves with it). The volunteer's held appointments are counted by month and kind of
advice, for the volunteer organisation's own reporting. A prepared text about an appointment is offered, and sent,
only for a task whose tenant has one still to come with this volunteer; the one about a call only for a tenant with
a number to call. A task or appointment shows only while the tenant's consent to share with the volunteer's
organisation stands (`volunteer_sees`): after a withdrawal the list says how many left it (for 14 days, a task the
withdrawal gave back to the adviser too: bot/host/cases.py, `tasks_back_unseen`), and the adviser has the case. A
task whose case closed stays on the list for a while as ended, as the days it was given and due only (a closed case
shares nothing of the tenant, and the task's words may name them), so it is seen to have ended, not just gone.

A prepared text is a text the tenant did not ask for: sent in the night's quiet hours it waits for their end
(`after_the_night`, the rule a release of the case keeps), and the page says when it goes. The same prepared text
goes at most once a day for a task (its outbox key names the task, the text and the local day it goes on), so a
second click, or a Send pressed again after the page reloaded, queues nothing and the page says it went already. Each
task card says when each of its prepared texts last went (or until when it waits).

A prepared text may ask for an answer ("write here if another time suits you better"): the card shows what the tenant
wrote back after the task's first prepared text went, and nothing from before it (`_answers`). Their words show only
while their consent lets their conversation go to the volunteer's organisation for the case, and never words about
money (an amount, a debt word: the adviser's); otherwise the card says that they answered and when, and why the words
are not shown. Each answer is marked not answered until the volunteer marks it answered (they called, say: a case
event the adviser sees) or the adviser replies to the tenant; "Needs an adviser" hands it on with the task. One still
open when the task leaves the volunteer is the adviser's to answer (the case page and the inbox mark it:
bot/console/unanswered.py, `left_unanswered`), and "Done" says so to the volunteer.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, func, select
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.console.audit import record, record_shown
from bot.console.delivery import DeliveryFacts, delivery, facts_by_message
from bot.console.ids import id_from, path_id
from bot.console.labels import VOLUNTEER_TEMPLATES
from bot.console.messaging import place_fits_sms, send_to_tenant
from bot.console.once import Once
from bot.console.sent_back import NONE_SENT_BACK, SentBack, row_form, send_back_on
from bot.console.sessions import StaffSession, guard
from bot.console.unanswered import ANSWERED, left_unanswered, written_back
from bot.console.web import (
    FormError,
    NotFound,
    day_and_time,
    field,
    form_nonce,
    local_time,
    now,
    redirect,
    render,
    runtime,
)
from bot.host.appointments import (
    APPOINTMENT,
    CANCELLED,
    activity,
    appointment_values,
    mark_appointment,
    marked_from,
    move_appointment,
    naming,
)
from bot.host.cases import CONSENT_ENDED, CaseError, after_the_night, finish_task, form_event, reply_channel
from bot.host.consents import may_share, volunteer_sees
from bot.i18n import N_
from bot.i18n import gettext as _
from bot.outbox.sms_rules import amount_like, forbidden_words_in
from bot.store.schema import audit_log, audit_names, case_events, case_tasks, cases, messages, staff, tenants
from bot.tenants.case_closing import TASK_ENDED
from bot.tenants.names import first_name

__all__ = ["routes"]

# The texts about an appointment: only for a task whose tenant has one coming with this volunteer.
_ABOUT_AN_APPOINTMENT = frozenset({"volunteer.appointment_reminder"})
# The texts that announce a call: only for a tenant with a number to call.
_ABOUT_A_CALL = frozenset({"volunteer.call_tomorrow"})


def _phone_to_call(tenant: Any) -> str | None:
    """The number a volunteer may call (E.164): the tenant's, unless they have none (Telegram only) or said it is
    not theirs (WRONG NUMBER: the person answering would hear whom the organisation is after)."""
    return None if tenant.status == "wrong_number" else tenant.phone or None


def _not_offered(template: str, has_appointment: bool, phone: str | None) -> str | None:
    """Why a task does not offer this prepared text (a msgid), or None when it does."""
    if template in _ABOUT_AN_APPOINTMENT and not has_appointment:
        return N_("This tenant has no appointment with you to come: the reminder of one cannot go.")
    if template in _ABOUT_A_CALL and phone is None:
        return N_("There is no phone number to call this tenant on: the text about a call cannot go.")
    return None


def _texts_for(case_id: int, with_appointment: dict[int, dict[str, Any]], phone: str | None) -> dict[str, str]:
    """The prepared texts a task offers (and the only ones its form may send): one about an appointment only when
    the case has an appointment of this volunteer's still to come, one about a call only with a number to call."""
    has_one = case_id in with_appointment
    return {k: v for k, v in VOLUNTEER_TEMPLATES.items() if _not_offered(k, has_one, phone) is None}


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
        allowed = row is not None and await conn.run_sync(volunteer_sees, case_id, me.staff_id, now(request))
    if row is None:
        raise NotFound(N_("This task is not yours, or it is finished."))
    if not allowed:
        raise CaseError(_WITHDRAWN)
    return int(row.case_id), row


@guard("volunteer")
async def _tasks(request: Request, me: StaffSession) -> Response:
    page = await _tasks_page(request, me)
    assert page is not None  # None only for a form sent back
    return page


async def _tasks_page(
    request: Request, me: StaffSession, status_code: int = 200, sent_back: SentBack | None = None
) -> Response | None:
    """The volunteer's tasks and appointments; with `sent_back`, one of its forms refused and shown again at itself
    (`send_back_on`); None, and nothing audited, when that form is not on the list as it is now."""
    rt = runtime(request)
    async with rt.db.read() as conn:
        rows = (
            await conn.execute(
                select(
                    cases.c.id,
                    cases.c.volunteer_task,
                    cases.c.volunteer_due,
                    cases.c.tenant_id,
                    tenants.c.name,
                    tenants.c.phone,
                    tenants.c.telegram_chat_id,
                    tenants.c.telegram_blocked,
                    tenants.c.status,
                )
                .join(tenants, tenants.c.id == cases.c.tenant_id)
                .where(cases.c.volunteer_id == me.staff_id, cases.c.status == "volunteer")
                .order_by(cases.c.volunteer_due, cases.c.id)
            )
        ).all()
        shown = await conn.run_sync(_still_shared, [(r.id, None) for r in rows], me.staff_id, now(request))
        withheld = shown.count(False) + await _given_back_lately(conn, me, now(request))
        rows = [r for r, show in zip(rows, shown, strict=True) if show]
    zone = ZoneInfo(rt.settings.timezone)
    async with rt.db.read() as conn:
        listed = await _appointments(conn, me)
        wanted = [(a["case_id"], a["place"]) for a in listed]
        shown = await conn.run_sync(_still_shared, wanted, me.staff_id, now(request))
        withheld += shown.count(False)
        appointments = [a for a, show in zip(listed, shown, strict=True) if show]
        for a in appointments:  # Held and Missed are offered from the appointment's day on, as marking allows
            a["marked_from"] = marked_from(a["at"], now(request), rt.settings)
        cancelled = await _cancelled_ahead(conn, me, now(request))
        ended = await _ended_with_case(conn, me, now(request), zone)
        counts = await conn.run_sync(activity, zone, me.staff_id)
        last_sent = await _last_sent(conn, [r.id for r in rows])
        answers = await conn.run_sync(_answers, [(r.id, r.tenant_id) for r in rows], me.staff_id, now(request))
    coming = _coming(appointments, now(request))
    tasks = [
        {
            "id": r.id,
            "first_name": first_name(r.name),
            "channel": reply_channel(r),
            "phone": _phone_to_call(r),
            "task": r.volunteer_task,
            "due": r.volunteer_due,
            "texts": _texts_for(r.id, coming, _phone_to_call(r)),
            "sent": [
                (label, _sent_when(request, last_sent[r.id, key]))
                for key, label in VOLUNTEER_TEMPLATES.items()
                if (r.id, key) in last_sent
            ],
            "answers": answers.get(r.id, []),
        }
        for r in rows
    ]
    page = render(
        request,
        "tasks.html",
        status_code,
        # A form refused for what was entered (a move, a text, a hand-on): why, at its form, and what was entered; the
        # page is then shown at the form's address, and says its own (base.html).
        sent_back=sent_back or NONE_SENT_BACK,
        own_address=None if sent_back is None else "/console/tasks",
        tasks=tasks,
        sent=_sent_notice(request, last_sent),
        moved=request.query_params.get("moved") == "1",
        appointments=appointments,
        activity=counts,
        withheld=withheld,
        cancelled=cancelled,
        ended=ended,
        nonce=secrets.token_urlsafe(12),
        already=_ALREADY.get(request.query_params.get("already", "")),
        finished=_FINISHED.get(request.query_params.get("finished", "")),
    )
    if sent_back is not None and not sent_back.shown_on(page):
        return None  # the form's row is not on the list any more: nothing was shown, nothing is audited
    if tasks or appointments:
        seen = [f"case:{t['id']}" for t in tasks] + [f"task:{a['id']}" for a in appointments]
        async with rt.db.write() as conn:
            await record_shown(conn, now(request), me.actor, "tasks.view", seen)
    return page


async def _last_sent(conn: AsyncConnection, case_ids: list[int]) -> dict[tuple[int, str], DeliveryFacts]:
    """The last of each prepared text sent for these tasks, by (case, template): what became of it."""
    if not case_ids:
        return {}
    m = messages.c
    last = (
        select(func.max(m.id))
        .where(m.case_id.in_(case_ids), m.template.in_(list(VOLUNTEER_TEMPLATES)), m.direction == "out")
        .group_by(m.case_id, m.template)
    )
    found = (await conn.execute(select(m.id, m.case_id, m.template).where(m.id.in_(last)))).all()
    facts = await facts_by_message(conn, [row.id for row in found])
    return {(int(row.case_id), str(row.template)): facts[row.id] for row in found if row.id in facts}


# Why a task card does not show the words of an answer (msgids).
_NOT_SHARED = N_("Their words are not shared with your organisation: call them, or hand it on to an adviser.")
_ABOUT_MONEY = N_("They wrote about money, which is for the adviser: hand it on to an adviser.")
_NO_WORDS = N_("No words: a button, a picture or a file.")


@dataclass(frozen=True, slots=True)
class Answer:
    """What the tenant wrote back after the task's prepared text: when, their words where the volunteer may read them
    (else why not, a msgid), and whether nobody answered it yet."""

    at: datetime
    words: str | None
    why_not: str | None
    open: bool


def _answers(
    conn: Connection, wanted: list[tuple[int, int]], volunteer_id: int, at: datetime
) -> dict[int, list[Answer]]:
    """For each (case, tenant) of the volunteer's tasks, what the tenant wrote back to it (`written_back`), their words
    where their consent lets the volunteer's organisation read them; a case with none is left out."""
    organisation = conn.execute(select(staff.c.organisation).where(staff.c.id == volunteer_id)).scalar_one_or_none()
    back = written_back(conn, [case_id for case_id, _ in wanted])
    found: dict[int, list[Answer]] = {}
    for case_id, tenant_id in wanted:
        if case_id not in back:
            continue
        shared = bool(organisation) and may_share(
            conn, tenant_id, case_id, "volunteer_org", organisation, "conversation", at
        )
        found[case_id] = [Answer(w.at, *_words(w.text, shared), open=w.open) for w in back[case_id]]
    return found


def _words(text: str | None, shared: bool) -> tuple[str | None, str | None]:
    """The words of an answer a volunteer may read, or None and why not."""
    if not shared:
        return None, _NOT_SHARED
    if not text:
        return None, _NO_WORDS
    if amount_like(text, bare_numbers=True) or forbidden_words_in(text):
        return None, _ABOUT_MONEY
    return text, None


def _sent_when(request: Request, facts: DeliveryFacts) -> str:
    """When a prepared text went ('sent 6. dec. kl. 09.00'), or what became of it when it has not gone ('queued until
    6. dec. kl. 09.00', held, failed)."""
    if facts.sent_at is not None:
        return _("sent %(when)s") % {"when": local_time(request, facts.sent_at)}
    paused = bool(getattr(request.state, "paused", False))  # read for this request (`SendingStateOnEveryPage`)
    return delivery(facts, now(request), lambda at: local_time(request, at), paused=paused).label


# What became of the Send just pressed (`_send`'s redirect): gone now, waiting for quiet hours, or sent today before.
_SENT_NOW, _SENT_LATER, _SENT_ALREADY = "now", "later", "already"


def _sent_notice(request: Request, last_sent: dict[tuple[int, str], DeliveryFacts]) -> str | None:
    """The notice after a Send: on its way, when it goes (pressed in quiet hours), or that this text went for this task
    today already and goes no more today, with when."""
    outcome = request.query_params.get("sent")
    if outcome not in (_SENT_NOW, _SENT_LATER, _SENT_ALREADY):
        return None
    task, template = request.query_params.get("task", ""), request.query_params.get("text", "")
    # A number as the console reads one (a digit of another script, "²", passed `isdigit` and failed `int`: a 500).
    task_id = id_from(task)
    facts = last_sent.get((task_id, template)) if task_id is not None else None
    if outcome == _SENT_LATER and facts is not None and facts.sent_at is None and facts.next_attempt_at is not None:
        return _("The message goes %(when)s, after quiet hours.") % {"when": local_time(request, facts.next_attempt_at)}
    if outcome == _SENT_ALREADY and facts is not None:
        return _("This message went to the tenant for this task today already (%(when)s): it is not sent again.") % {
            "when": _sent_when(request, facts)
        }
    return _("The message is on its way.")


_t = case_tasks.c


_WITHDRAWN = N_(
    "The tenant no longer consents to share this with your organisation, so it has left your list: the adviser "
    "has the case."
)


def _still_shared(
    conn: Connection, wanted: list[tuple[int, str | None]], volunteer_id: int, at: datetime
) -> list[bool]:
    """For each (case, place) — a case's task with no place, an appointment with its place — whether the tenant's
    consent to share with this volunteer's organisation stands now."""
    return [volunteer_sees(conn, case_id, volunteer_id, at, place=place) for case_id, place in wanted]


def _coming(appointments: list[dict[str, Any]], at: datetime) -> dict[int, dict[str, Any]]:
    """The cases with an appointment still to come among this volunteer's open ones, each with its next one
    (`appointments` come soonest first)."""
    coming: dict[int, dict[str, Any]] = {}
    for a in appointments:
        if a["at"] is not None and a["at"] > at:
            coming.setdefault(a["case_id"], a)
    return coming


async def _cancelled_ahead(conn: AsyncConnection, me: StaffSession, at: datetime) -> list[datetime]:
    """When this volunteer's cancelled appointments still ahead were to be (the day and time only: the tenant's
    consent may have ended, and nothing else of them is theirs to see), so no one goes to a meeting that is off."""
    found = await conn.execute(
        select(_t.at)
        .where(_t.kind == APPOINTMENT, _t.status == CANCELLED, _t.assignee_id == me.staff_id, _t.at > at)
        .order_by(_t.at)
    )
    return [row.at for row in found]


# How long a task its case's closing ended stays on the volunteer's list, marked ended.
_ENDED_SHOWN = timedelta(days=14)


async def _ended_with_case(
    conn: AsyncConnection, me: StaffSession, at: datetime, zone: ZoneInfo
) -> list[dict[str, Any]]:
    """This volunteer's tasks that ended because their case closed (bot/tenants/case_closing.py), lately, newest
    first: when each was given, was due and ended, nothing of the tenant (erasure blanks the due day too)."""
    e = case_events.c
    # When the task was given: the case's last `task` event before it ended.
    gave = case_events.alias("gave")
    given = (
        select(func.max(gave.c.at))
        .where(gave.c.case_id == e.case_id, gave.c.kind == "task", gave.c.id < e.id)
        .scalar_subquery()
    )
    found = await conn.execute(
        select(e.at, given.label("given"), cases.c.volunteer_due)
        .join(cases, cases.c.id == e.case_id)
        .where(e.kind == TASK_ENDED, e.staff_id == me.staff_id, e.at > at - _ENDED_SHOWN)
        .order_by(e.at.desc(), e.id.desc())
    )
    return [{"at": r.at, "given": r.given and r.given.astimezone(zone).date(), "due": r.volunteer_due} for r in found]


async def _given_back_lately(conn: AsyncConnection, me: StaffSession, at: datetime) -> int:
    """How many of this volunteer's tasks went back to their advisers lately because the tenant took back the consent
    (bot/host/cases.py, `tasks_back_unseen`): the list says they left it, as for one whose consent no longer stands.
    The audit log is where the volunteer is named (the case's event is the service's)."""
    a = audit_log.c
    naming_me = select(audit_names.c.audit_id).where(audit_names.c.name == f"staff:{me.staff_id}")
    found = await conn.execute(
        select(func.count()).where(
            a.id.in_(naming_me),
            a.action == "task.take_back",
            a.actor == "system",
            a.detail.contains(f"because={CONSENT_ENDED}", autoescape=True),
            a.at > at - _ENDED_SHOWN,
        )
    )
    return int(found.scalar_one())


async def _appointments(conn: AsyncConnection, me: StaffSession) -> list[dict[str, Any]]:
    """This volunteer's open appointments: first name, channel, number to call, when, where, the kind of advice (and
    the case)."""
    rows = (
        await conn.execute(
            select(
                _t.id,
                _t.case_id,
                _t.at,
                _t.place,
                _t.advice_kind,
                tenants.c.name,
                tenants.c.phone,
                tenants.c.telegram_chat_id,
                tenants.c.telegram_blocked,
                tenants.c.status,
            )
            .join(tenants, tenants.c.id == _t.tenant_id)
            .where(
                _t.kind == APPOINTMENT,
                _t.status == "open",
                _t.assignee_id == me.staff_id,
                tenants.c.status != "erased",
            )
            .order_by(_t.at, _t.id)
        )
    ).all()
    return [
        {
            "id": r.id,
            "case_id": r.case_id,
            "first_name": first_name(r.name),
            "channel": reply_channel(r),
            "phone": _phone_to_call(r),
            "at": r.at,
            "place": r.place,
            "advice_kind": r.advice_kind,
        }
        for r in rows
    ]


async def _mark(request: Request, me: StaffSession, status: str) -> Response:
    task_id = path_id(request, "task_id", N_("There is no such appointment."))
    at = now(request)
    rt = runtime(request)
    async with rt.db.write() as conn:
        case_id = await conn.run_sync(mark_appointment, task_id, me.staff_id, status, at, rt.settings)
        await record(conn, at, me.actor, f"appointment.{status}", f"case:{case_id}", f"task:{task_id}")
    return redirect("/console/tasks")


@guard("volunteer")
async def _held(request: Request, me: StaffSession) -> Response:
    return await _mark(request, me, "held")


@guard("volunteer")
async def _missed(request: Request, me: StaffSession) -> Response:
    return await _mark(request, me, "missed")


# A move refused for what was entered (a day or time that is none, a place that cannot go by SMS): the tasks page with
# that appointment's form at itself, why, and the day, time and place as entered, to correct rather than type again on
# a phone; when the appointment is not on the page any more, the refusal page every form has says why.
_move_sent_back = send_back_on(_tasks_page, row_form("move", "task_id"), "day", "time", "place")


@guard("volunteer", send_back=_move_sent_back)
async def _move(request: Request, me: StaffSession) -> Response:
    task_id = path_id(request, "task_id", N_("There is no such appointment."))
    form = await request.form()
    rt = runtime(request)
    at_local = day_and_time(form, ZoneInfo(rt.settings.timezone))
    place = field(form, "place", max_length=300, required=False) or None
    if place is not None and not place_fits_sms(place, rt.settings.forbidden_words):
        raise FormError(
            N_("The place goes to the tenant by SMS: write an address, no amounts and no words about debt.")
        )
    at = now(request)
    when = at_local.astimezone(at.tzinfo)
    async with rt.db.write() as conn:
        new_id = await conn.run_sync(move_appointment, task_id, me.staff_id, when, place, at, rt.settings, rt.renderer)
        await record(conn, at, me.actor, "appointment.move", f"task:{task_id}", f"new=task:{new_id}")
    rt.sender.wake()
    return redirect("/console/tasks?moved=1")


# A prepared text refused (one the task no longer offers: its appointment cancelled meanwhile): at its form, with why.
@guard("volunteer", send_back=send_back_on(_tasks_page, row_form("send", "case_id"), "template"))
async def _send(request: Request, me: StaffSession) -> Response:
    case_id, tenant = await _my_task(request, me)
    form = await request.form()
    template = field(form, "template", max_length=80)
    if template not in VOLUNTEER_TEMPLATES:
        raise FormError(N_("choose one of the prepared texts"))
    rt = runtime(request)
    at = now(request)
    async with rt.db.read() as conn:
        coming = _coming(await _appointments(conn, me), at)
    if (why := _not_offered(template, case_id in coming, _phone_to_call(tenant))) is not None:
        raise FormError(why)
    if tenant.status != "active":
        raise CaseError(N_("this tenant cannot receive messages now: tell the adviser"))
    # The reminder of an appointment says when and where: the next one this volunteer has with the tenant.
    values = {"first_name": first_name(tenant.name)}
    about = None
    if template in _ABOUT_AN_APPOINTMENT:
        next_one = coming[case_id]
        values = appointment_values(tenant, next_one["at"], next_one["place"], rt.settings)
        about = int(next_one["id"])
    # Not in the night (a text nobody asked for), and once a day: the day it goes on.
    goes = after_the_night(at, rt.settings)
    async with rt.db.write() as conn:
        queued = await send_to_tenant(
            conn,
            tenant,
            case_id=case_id,
            template=template,
            values=values,
            now=at,
            key=_sent_key(case_id, template, goes.astimezone(ZoneInfo(rt.settings.timezone)).date(), about),
            author=me.actor,
            not_before=goes,
        )
        if queued:
            await record(conn, at, me.actor, "message.send", f"case:{case_id}", f"template={template}")
    rt.sender.wake()
    outcome = _SENT_ALREADY if not queued else _SENT_LATER if goes > at else _SENT_NOW
    return redirect(f"/console/tasks?sent={outcome}&task={case_id}&text={template}#task-{case_id}")


def _sent_key(case_id: int, template: str, day: date, appointment: int | None = None) -> str:
    """The outbox key of a task's prepared text: one a day, whoever presses Send and however often; a reminder of an
    appointment one a day for that appointment (moved, the reminder of its new time may go: bot/host/appointments.py
    holds the old one)."""
    key = f"case:{case_id}:volunteer:{template}:{day.isoformat()}"
    return key if appointment is None else key + naming(appointment)


# What the task list says once "Done" or "Needs an adviser" did its work (`?finished=…`): the task left the list.
_FINISHED = {
    "task_done": N_("Marked done: the task has left your list, and the adviser sees it on the case."),
    "needs_adviser": N_("Handed on: the task has left your list, and the case is back in the advisers' queue."),
    # Done with what the tenant wrote back still not answered: the adviser is to answer it (`left_unanswered`).
    "task_done_unanswered": N_(
        "Marked done: the task has left your list. What the tenant wrote back was not answered: the adviser sees it "
        "on the case, marked not answered, to answer it."
    ),
}
# What the task list says after "Done" or "Needs an adviser" was sent again (`?already=…`): it did nothing more.
_ALREADY = {
    "task_done": N_("This task was marked done already: the form was sent twice, and it is done once."),
    "needs_adviser": N_(
        "This task was handed to an adviser already: the form was sent twice, and it is handed on once."
    ),
}


async def _finish(request: Request, me: StaffSession, needs_adviser: bool) -> Response:
    """The volunteer's "Done" or "Needs an adviser", a form that does its work once (bot/console/once.py): the same
    form sent again (a double click, back and resubmit, a phone's retry) finds its task gone from the volunteer, does
    nothing, and the list says it was done already."""
    kind = "needs_adviser" if needs_adviser else "task_done"
    already = partial(redirect, f"/console/tasks?already={kind}")
    form = await request.form()
    # Looked at only when the form carries one, and before the task is looked for (a task done is no longer the
    # volunteer's); a form without one to a task that is not theirs is refused as that (404), not as damaged (422).
    sent = field(form, "nonce", max_length=64, required=False)
    if sent:
        again = Once(path_id(request, "case_id", "There is no such task."), kind, sent, already)
        if await again.done_before(request):
            return again.already()
    case_id, _ = await _my_task(request, me)
    once = Once(case_id, kind, form_nonce(form), already)
    why = field(form, "why", max_length=500, required=False) if needs_adviser else None
    at = now(request)
    rt = runtime(request)
    async with rt.db.write() as conn:
        if await once.done_inside(conn):
            return once.already()
        await finish_task(conn, case_id, me.staff_id, needs_adviser, at, rt.settings, why)
        await once.mark(conn)
        action = "task.needs_adviser" if needs_adviser else "task.done"
        await record(conn, at, me.actor, action, f"case:{case_id}")
        # Done with the tenant's answer still open: the volunteer is told it went to the adviser unanswered.
        left = not needs_adviser and bool(await conn.run_sync(left_unanswered, [case_id]))
    return redirect(f"/console/tasks?finished={kind}{'_unanswered' if left else ''}")


@guard("volunteer")
async def _done(request: Request, me: StaffSession) -> Response:
    return await _finish(request, me, needs_adviser=False)


# A reason too long: at its form, as typed, with a new one-time value (nothing was handed on).
@guard("volunteer", send_back=send_back_on(_tasks_page, row_form("needs-adviser", "case_id"), "why"), typed="why")
async def _needs_adviser(request: Request, me: StaffSession) -> Response:
    return await _finish(request, me, needs_adviser=True)


@guard("volunteer")
async def _answered(request: Request, me: StaffSession) -> Response:
    """The volunteer answered what the tenant wrote back (they called, say): the task card marks it answered, and the
    case's events say so for the adviser. Once for each form (a second click records nothing)."""
    case_id, _ = await _my_task(request, me)
    form = await request.form()
    nonce = form_nonce(form)
    at = now(request)
    async with runtime(request).db.write() as conn:
        if await conn.run_sync(form_event, case_id, me.staff_id, ANSWERED, None, at, nonce):
            await record(conn, at, me.actor, "task.answered", f"case:{case_id}")
    return redirect(f"/console/tasks#task-{case_id}")


def routes() -> list[BaseRoute]:
    """The task list and its four actions; the appointments' three."""
    return [
        Route("/console/tasks", _tasks, methods=["GET"]),
        Route("/console/tasks/{case_id}/send", _send, methods=["POST"]),
        Route("/console/tasks/{case_id}/done", _done, methods=["POST"]),
        Route("/console/tasks/{case_id}/needs-adviser", _needs_adviser, methods=["POST"]),
        Route("/console/tasks/{case_id}/answered", _answered, methods=["POST"]),
        Route("/console/appointments/{task_id}/held", _held, methods=["POST"]),
        Route("/console/appointments/{task_id}/missed", _missed, methods=["POST"]),
        Route("/console/appointments/{task_id}/move", _move, methods=["POST"]),
    ]
