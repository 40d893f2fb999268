"""What an adviser does with a case: take, release, reply, note, record a call, hand to a volunteer, book a
volunteer's appointment, end an outreach step, close.

A form refused for what was entered (a FormError) comes back at itself on the case page, with why and what was
entered (`send_back_to`); a refusal for the case's state (a CaseError: closed, not the holder) is a page of its own.

Only the adviser who holds a case replies, releases it, gives a task or closes it; the check is made again
inside the write transaction, so a case reassigned meanwhile refuses the old holder. An admin hands a case
held by an absent adviser to someone else (audited), and then that person acts.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.console.audit import record
from bot.console.case_page import case_in_path, recorded_already, send_back_to
from bot.console.ids import id_from
from bot.console.labels import OUTCOME_LABELS, label
from bot.console.messaging import place_fits_sms, send_to_tenant, sms_warnings
from bot.console.once import Once, case_form, lock_case
from bot.console.sessions import StaffSession, guard, sentence
from bot.console.unanswered import TENANT_SHOWN, deal_with, theirs
from bot.console.web import (
    FormError,
    NotFound,
    day_and_time,
    field,
    field_name,
    form_nonce,
    now,
    parse_day,
    redirect,
    render,
    runtime,
    today,
)
from bot.host import cases as case_ops
from bot.host.appointments import ADVICE_KINDS, book_appointment, cancel_appointment, cancel_unseen
from bot.host.cases import HELD_STATUSES, CaseError, reply_channel
from bot.host.outreach import CALL, NOT_REACHED, REACHED, end_open_steps, finish_step, record_contact
from bot.i18n import N_, Label, Labels, shown
from bot.settings import Settings
from bot.store.schema import case_events, case_tasks, cases, rent_positions, staff
from bot.store.staff_names import staff_name
from scheduler.urgency import legal_dates

__all__ = ["routes"]

_NOT_HOLDER = N_("take the case first: only the adviser who holds it can do this (an admin can reassign it)")
_CLOSED = N_("The case is closed: nothing was done or sent.")


def _refusal(status: str | None, assignee_id: int | None, me: StaffSession, unheld: bool = False) -> None:
    """Refuse (409) unless this person holds the case; a closed case (in another tab, by someone else) says so.
    With `unheld`, a volunteer's case that nobody holds (its adviser left: bot/host/handover.py) is anyone's too."""
    if status == "closed":
        raise CaseError(_CLOSED)
    if unheld and status == "volunteer" and assignee_id is None:
        return
    if status not in HELD_STATUSES or assignee_id != me.staff_id:
        raise CaseError(_NOT_HOLDER)


def _holder(case: Any, me: StaffSession, unheld: bool = False) -> None:
    """Refuse (409) unless this person holds the case."""
    _refusal(case.status, case.assignee_id, me, unheld)


async def _still_holder(
    conn: AsyncConnection, case_id: int, me: StaffSession, unheld: bool = False, once: Once | None = None
) -> bool:
    """The same check inside the write transaction, on the row as it is now; False when `once`'s form did its work
    already (a second submit that waited for the first's write)."""
    row = await lock_case(conn, case_id)
    if row is None:
        raise CaseError(_NOT_HOLDER)
    if once is not None and await once.done(conn):
        return False
    _refusal(row.status, row.assignee_id, me, unheld)
    return True


def _back(case_id: int, part: str = "") -> Response:
    """Back to the case page; with `part`, at that card (a phone shows one card at a time: a note landed four screens
    below the top of the page, out of sight)."""
    return redirect(f"/console/cases/{case_id}" + (f"#{part}" if part else ""))


@guard("admin", "adviser", send_back=send_back_to("take-case"))
async def _take(request: Request, me: StaffSession) -> Response:
    case, tenant = await case_in_path(request)
    once = case_form(case.id, "taken", "taken", form_nonce(await request.form()))
    if await once.done_before(request):
        return once.already()
    rt = runtime(request)
    at = now(request)
    async with rt.db.write() as conn:
        if await once.done_inside(conn):
            return once.already()
        taken = await case_ops.take_case(conn, case.id, me.staff_id, at)
        await once.mark(conn)
        if tenant.status == "active":
            # Said at each take: taken again after a release (the tenant was told nobody reads along), a person reads
            # along again. A take sent twice does nothing the second time, and tells nothing more.
            told = [(tenant, case.id, f"case:{case.id}:taken:{taken}")]
            await conn.run_sync(
                lambda sync: case_ops.tell_of_change(
                    sync, told, template=case_ops.TAKEN, now=at, author=me.actor, settings=rt.settings
                )
            )
        await record(conn, at, me.actor, "case.take", f"case:{case.id}")
    rt.sender.wake()
    # Back where the work now is, as after a reply: the conversation's last message (the tenant told a person reads
    # along) has the keyboard's place (static/case.js), and the next Tab is the reply's field, not the header again.
    return _back(case.id, "thread")


async def _by_holder(
    request: Request,
    me: StaffSession,
    change: Callable[[AsyncConnection, int, int, datetime, Settings], Awaitable[None]],
    action: str,
    detail: Callable[[Any], str | None] = lambda case: None,
    unheld: bool = False,
    once_as: str | None = None,
) -> Response:
    """A change only the adviser who holds the case makes (checked again inside the write), with its audit entry;
    with `once_as`, the kind of the case event it makes, a form that does its work once (`case_form`)."""
    case, _ = await case_in_path(request)
    once = None if once_as is None else case_form(case.id, once_as, once_as, form_nonce(await request.form()))
    if once is not None and await once.done_before(request):
        return once.already()
    _holder(case, me, unheld)
    at = now(request)
    rt = runtime(request)
    async with rt.db.write() as conn:
        if not await _still_holder(conn, case.id, me, unheld, once=once):
            return once.already() if once is not None else _back(case.id)
        await change(conn, case.id, me.staff_id, at, rt.settings)
        if once is not None:
            await once.mark(conn)
        await record(conn, at, me.actor, action, f"case:{case.id}", detail(case))
    return _back(case.id)


@guard("admin", "adviser", send_back=send_back_to("take-back-task"))
async def _take_back(request: Request, me: StaffSession) -> Response:
    def volunteer(case: Any) -> str:
        return f"volunteer=staff:{case.volunteer_id}"

    # A task on a case nobody holds any more (its adviser left) is any adviser's to take back, with the case.
    return await _by_holder(
        request, me, case_ops.take_back_task, "task.take_back", volunteer, unheld=True, once_as="task_taken_back"
    )


@guard("admin", "adviser", send_back=send_back_to("release-case"))
async def _release(request: Request, me: StaffSession) -> Response:
    return await _by_holder(request, me, case_ops.release_case, "case.release", once_as="released")


async def _sms_warnings(request: Request, tenant_id: int, text: str) -> list[str]:
    """Why a text about this tenant breaks the SMS rule (`sms_warnings`), their rent case's legal dates included."""
    rt = runtime(request)
    async with rt.db.read() as conn:
        position = (await conn.execute(select(rent_positions).where(rent_positions.c.tenant_id == tenant_id))).first()
    dates = legal_dates(position, rt.settings.demand_delivery_days)
    return sms_warnings(text, rt.settings.forbidden_words, legal_dates=dates, today=today(request))


def _not_sent(request: Request, case: Any, text: str, refused: CaseError) -> Response:
    """A reply that cannot go as the case is now (released in another tab, taken by a colleague, the tenant opted out):
    why, and the text as typed to copy (409). It was a page of its own without it: a long reply was lost but for the
    browser's back button."""
    return render(request, "reply_refused.html", 409, case=case, text=text, refused=sentence(shown(refused)))


@guard("admin", "adviser", send_back=send_back_to("reply-form", "text"), typed="text")
async def _reply(request: Request, me: StaffSession) -> Response:
    case, tenant = await case_in_path(request)
    form = await request.form()
    text = field(form, "text", max_length=1000)
    nonce = form_nonce(form)
    try:
        _holder(case, me)
        if tenant.status != "active":
            raise CaseError(
                N_("the tenant cannot receive messages (status: %(status)s)"),
                status=label("tenant_status", tenant.status),
            )
    except CaseError as refused:
        return _not_sent(request, case, text, refused)
    # The tenant's messages keephome could not answer that the case page showed above the form: the reply answers them.
    answered = [i for raw in form.getlist("unanswered")[:TENANT_SHOWN] if (i := id_from(raw)) is not None]
    rt = runtime(request)
    channel = reply_channel(tenant)
    # The SMS rule holds for an adviser's reply too: no amount, no debt or eviction word, no date of the rent case
    # goes by SMS. The adviser gets the text back to change (or says it on the phone, or on Telegram once linked).
    warnings = await _sms_warnings(request, tenant.id, text) if channel == "sms" else []
    if warnings:
        return render(
            request,
            "reply_refused.html",
            422,
            case=case,
            text=text,
            nonce=nonce,
            warnings=warnings,
            unanswered=answered,
        )
    at = now(request)
    async with rt.db.write() as conn:
        try:
            await _still_holder(conn, case.id, me)
        except CaseError as refused:
            return _not_sent(request, case, text, refused)
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
            await record(conn, at, me.actor, "message.send", f"case:{case.id}", f"channel={channel}")
            # Dealt with as an admin marks one on the admin page (audited alike), by the reply on this case.
            for inbound_id in await conn.run_sync(theirs, tenant, answered):
                if await conn.run_sync(deal_with, inbound_id, at):
                    await record(conn, at, me.actor, "inbound.dealt_with", f"inbound:{inbound_id}", f"case:{case.id}")
    rt.sender.wake()
    return _back(case.id, "thread")


@guard("admin", "adviser", send_back=send_back_to("add-note", "text"), typed="text")
async def _note(request: Request, me: StaffSession) -> Response:
    case, _ = await case_in_path(request)
    form = await request.form()
    text = field(form, "text", max_length=4000, label=N_("Internal note"))
    nonce = form_nonce(form)
    at = now(request)
    async with runtime(request).db.write() as conn:
        if not await case_ops.add_note(conn, case.id, me.staff_id, text, at, form_nonce=nonce):
            return recorded_already(case.id, "note")
        await record(conn, at, me.actor, "case.note", f"case:{case.id}")
    return _back(case.id, "notes")


@guard("admin", "adviser", send_back=send_back_to("record-contact"))
async def _contact(request: Request, me: StaffSession) -> Response:
    """An adviser reached the tenant outside keephome (a phone call): the outcome page counts it as reached."""
    case, _ = await case_in_path(request)
    if case.status == "closed":
        raise CaseError(N_("the case is closed"))
    nonce = form_nonce(await request.form())
    at = now(request)
    async with runtime(request).db.write() as conn:
        if not await conn.run_sync(lambda sync: record_contact(sync, case.id, me.staff_id, at, form_nonce=nonce)):
            return recorded_already(case.id, "contact")
        await record(conn, at, me.actor, "case.contact", f"case:{case.id}")
    return _back(case.id, "notes")


@guard("admin", "adviser", send_back=send_back_to("call-step", "next", "caretaker_id"))
async def _step(request: Request, me: StaffSession) -> Response:
    """The adviser's phone call, offered when the tenant went quiet: reached (contact made) or not reached (the
    caretaker's door knock or postcard follows, for one caretaker or any)."""
    case, _ = await case_in_path(request)
    form = await request.form()
    once = case_form(case.id, "outreach", "step", form_nonce(form))
    if await once.done_before(request):
        return once.already()
    task_id = id_from(field(form, "task_id", max_length=20))
    outcome = field(form, "outcome", max_length=16)
    if task_id is None or outcome not in (REACHED, NOT_REACHED):
        raise FormError(N_("Say whether the call reached the tenant."))
    next_kind = field(form, "next", max_length=16, required=False) or None
    caretaker = id_from(field(form, "caretaker_id", max_length=20, required=False))  # none: any caretaker
    at = now(request)
    async with runtime(request).db.write() as conn:
        if await once.done_inside(conn):
            return once.already()
        if caretaker is not None and not await _active(conn, caretaker, ("caretaker",)):
            raise FormError(N_("Choose an active caretaker."))
        owned = await conn.execute(
            select(case_tasks.c.id).where(case_tasks.c.id == task_id, case_tasks.c.case_id == case.id)
        )
        if owned.first() is None:
            raise NotFound(N_("There is no such task."))
        await conn.run_sync(
            finish_step, task_id, outcome, me.staff_id, at, next_kind=next_kind, next_assignee=caretaker, kinds=(CALL,)
        )
        await once.mark(conn)
        await record(conn, at, me.actor, f"call.{outcome}", f"case:{case.id}", f"task:{task_id}")
    return _back(case.id, "case-tasks")


async def _active(conn: AsyncConnection, staff_id: int, roles: tuple[str, ...]) -> bool:
    found = await conn.execute(
        select(staff.c.id).where(staff.c.id == staff_id, staff.c.role.in_(roles), staff.c.active.is_(True))
    )
    return found.first() is not None


@guard(
    "admin",
    "adviser",
    send_back=send_back_to("book-appointment", "volunteer_id", "day", "time", "place", "advice_kind"),
)
async def _appointment(request: Request, me: StaffSession) -> Response:
    """Book a volunteer's appointment with the tenant; the tenant gets a confirmation and a reminder the day
    before, with the day, the time and the place only."""
    case, _ = await case_in_path(request)
    form = await request.form()
    once = case_form(case.id, "appointment", "appointment", form_nonce(form))
    if await once.done_before(request):
        return once.already()
    _holder(case, me)
    rt = runtime(request)
    at_local = day_and_time(form, ZoneInfo(rt.settings.timezone))
    place = field(form, "place", max_length=300)
    # The place goes to the tenant by SMS: an address, never the name of a debt-advice service.
    if not place_fits_sms(place, rt.settings.forbidden_words):
        raise FormError(
            N_("The place goes to the tenant by SMS: write an address, no amounts and no words about debt.")
        )
    advice_kind = field(form, "advice_kind", max_length=32)
    if advice_kind not in ADVICE_KINDS:
        raise FormError(N_("Choose a kind of advice."))
    volunteer_id = id_from(field(form, "volunteer_id", max_length=20))
    at = now(request)
    async with rt.db.write() as conn:
        if not await _still_holder(conn, case.id, me, once=once):
            return once.already()
        if volunteer_id is None or not await _active(conn, volunteer_id, ("volunteer",)):
            raise FormError(N_("Choose an active volunteer."))
        task_id = await conn.run_sync(
            lambda sync: book_appointment(
                sync,
                case_id=case.id,
                volunteer_id=volunteer_id,
                at=at_local.astimezone(at.tzinfo),
                place=place,
                advice_kind=advice_kind,
                staff_id=me.staff_id,
                now=at,
                settings=rt.settings,
                renderer=rt.renderer,
            )
        )
        await once.mark(conn)
        await record(
            conn, at, me.actor, "appointment.book", f"case:{case.id}", f"task:{task_id} volunteer=staff:{volunteer_id}"
        )
    rt.sender.wake()
    return _back(case.id, "case-tasks")


@guard("admin", "adviser", send_back=send_back_to("cancel-appointment", "task_id"))
async def _cancel_appointment(request: Request, me: StaffSession) -> Response:
    """The adviser who holds the case cancels its appointment (the tenant cannot come, the volunteer cannot): a tenant
    who was told of it hears that it is cancelled, day and time only; the volunteer's list no longer shows it."""
    case, _ = await case_in_path(request)
    form = await request.form()
    once = case_form(case.id, "appointment", "cancelled", form_nonce(form))
    if await once.done_before(request):
        return once.already()
    _holder(case, me)
    task_id = id_from(field(form, "task_id", max_length=20))
    if task_id is None:
        raise FormError(N_("This case has no such open appointment."))
    rt = runtime(request)
    at = now(request)
    async with rt.db.write() as conn:
        if not await _still_holder(conn, case.id, me, once=once):
            return once.already()
        await conn.run_sync(cancel_appointment, case.id, task_id, me.staff_id, at, rt.settings)
        await once.mark(conn)
        await record(conn, at, me.actor, "appointment.cancel", f"case:{case.id}", f"task:{task_id}")
    rt.sender.wake()
    return _back(case.id, "case-tasks")


def _due(form: FormData, today_: date) -> date:
    due = parse_day(field(form, "due", max_length=10), "due")
    if due < today_:
        raise FormError(N_("'%(name)s' is in the past"), name=field_name("due"))
    return due


@guard("admin", "adviser", send_back=send_back_to("give-task", "volunteer_id", "task", "due"), typed="task")
async def _task(request: Request, me: StaffSession) -> Response:
    case, _ = await case_in_path(request)
    form = await request.form()
    once = case_form(case.id, "task", "task", form_nonce(form))
    if await once.done_before(request):
        return once.already()
    _holder(case, me)
    task = field(form, "task", max_length=300)
    rt = runtime(request)
    # Volunteers see no amounts and no debt history (nor its dates): the task they are given follows the SMS rule.
    problems = await _sms_warnings(request, case.tenant_id, task)
    if problems:
        raise FormError(
            N_(
                "a volunteer's task follows the SMS rule (no amounts, no debt or eviction words, no dates of the rent "
                "case): %(problems)s"
            ),
            problems="; ".join(problems),
        )
    due = _due(form, today(request))
    volunteer_id = id_from(field(form, "volunteer_id", max_length=20))
    if volunteer_id is None:
        raise FormError(N_("choose a volunteer"))
    at = now(request)
    async with rt.db.write() as conn:
        if not await _still_holder(conn, case.id, me, once=once):
            return once.already()
        volunteer = (
            await conn.execute(
                select(staff.c.id).where(
                    staff.c.id == volunteer_id, staff.c.role == "volunteer", staff.c.active.is_(True)
                )
            )
        ).first()
        if volunteer is None:
            raise FormError(N_("choose an active volunteer"))
        await case_ops.give_task(conn, case.id, me.staff_id, volunteer_id, task, due, at)
        await once.mark(conn)
        await record(conn, at, me.actor, "case.task", f"case:{case.id}", f"volunteer=staff:{volunteer_id}")
    return _back(case.id)


@guard("admin", "adviser", send_back=send_back_to("close-case", "outcome", "note"), typed="note")
async def _close(request: Request, me: StaffSession) -> Response:
    case, tenant = await case_in_path(request)
    form = await request.form()
    once = case_form(case.id, "closed", "closed", form_nonce(form))
    if await once.done_before(request):
        return once.already()
    _holder(case, me)
    outcome = field(form, "outcome", max_length=32)
    note = field(form, "note", max_length=2000, required=False)
    if outcome not in case_ops.OUTCOMES:
        outcomes = Labels(OUTCOME_LABELS.get(code, code) for code in case_ops.OUTCOMES)
        raise FormError(N_("Choose an outcome: %(outcomes)s"), outcomes=outcomes)
    if case_ops.needs_note(outcome, note):
        # A form left short (422), said with the outcome's own words, before bot/host/cases.py refuses it.
        raise FormError(
            N_("the outcome “%(outcome)s” needs a note: say in the note what became of the case"),
            outcome=Label(OUTCOME_LABELS[outcome]),
        )
    rt = runtime(request)
    at = now(request)
    async with rt.db.write() as conn:
        if not await _still_holder(conn, case.id, me, once=once):
            return once.already()
        await case_ops.close_case(conn, case.id, me.staff_id, outcome, note, at)
        await once.mark(conn)
        await conn.run_sync(end_open_steps, case.id, at)
        cancelled = await conn.run_sync(cancel_unseen, tenant.id, at, "case_closed", rt.settings)
        if tenant.status == "active":
            # News nobody asked for: it waits for the night's quiet hours to end (told first if they write before).
            await send_to_tenant(
                conn,
                tenant,
                case_id=case.id,
                template=case_ops.CLOSED,
                values={},
                now=at,
                key=f"case:{case.id}:closed",
                author=me.actor,
                not_before=case_ops.after_the_night(at, rt.settings),
            )
        await record(conn, at, me.actor, "case.close", f"case:{case.id}", f"outcome={outcome}")
    rt.sender.wake()
    # The inbox says the case closed (and that its appointment was cancelled, when one was).
    return redirect(f"/console/?closed={case.id}" + (f"&cancelled={cancelled}" if cancelled else ""))


@guard("admin", send_back=send_back_to("reassign-case", "adviser_id"))
async def _reassign(request: Request, me: StaffSession) -> Response:
    """An admin hands a held case to another adviser (its holder is away); the case stays held."""
    case, _ = await case_in_path(request)
    new_id = id_from(field(await request.form(), "adviser_id", max_length=20))
    if new_id is None:
        raise FormError(N_("choose an adviser"))
    at = now(request)
    async with runtime(request).db.write() as conn:
        row = await lock_case(conn, case.id)
        if row.status not in HELD_STATUSES or row.assignee_id is None:
            raise CaseError(N_("only a case someone holds can be reassigned; anyone can take a waiting case"))
        if row.assignee_id == new_id:
            raise CaseError(N_("that adviser already holds the case"))
        person = (
            await conn.execute(
                select(staff_name()).where(
                    staff.c.id == new_id, staff.c.role.in_(("adviser", "admin")), staff.c.active.is_(True)
                )
            )
        ).first()
        if person is None:
            raise FormError(N_("choose an active adviser or admin"))
        await conn.execute(update(cases).where(cases.c.id == case.id).values(assignee_id=new_id, updated_at=at))
        await conn.execute(
            case_events.insert().values(
                case_id=case.id, staff_id=me.staff_id, kind="reassigned", text=f"to {person.name}", at=at
            )
        )
        await record(
            conn, at, me.actor, "case.reassign", f"case:{case.id}", f"from=staff:{row.assignee_id} to=staff:{new_id}"
        )
    return _back(case.id)


def routes() -> list[BaseRoute]:
    """The case's POST actions (all CSRF-checked by the guard)."""
    actions = {
        "take": _take,
        "release": _release,
        "take-back": _take_back,
        "reply": _reply,
        "note": _note,
        "contact": _contact,
        "step": _step,
        "appointment": _appointment,
        "cancel-appointment": _cancel_appointment,
        "task": _task,
        "close": _close,
        "reassign": _reassign,
    }
    return [Route(f"/console/cases/{{case_id}}/{name}", handler, methods=["POST"]) for name, handler in actions.items()]
