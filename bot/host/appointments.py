"""A volunteer's appointment with a tenant: booked by the adviser, confirmed to the tenant, reminded the day before.

An appointment is a `case_tasks` row of kind `appointment`: the volunteer (assignee), when (`at`), where
(`place`) and the kind of advice. The tenant gets two texts, `appointment.booked` at once and
`appointment.reminder` the day before, with the day, the time and the place only: no names of debt-advice
services, nothing about money. Both are queued when the appointment is booked, as outbox rows with their own
idempotency keys (`appt:<task id>:booked`, `appt:<task id>:reminder`), so a restart or a double click never
sends one twice and nothing has to plan them later; the reminder waits in the outbox until its `not_before`.

Both texts are proactive: they keep quiet hours, the pause, one proactive message a day and the tenant's opt-out
like any reminder. They go even while an adviser holds the case: the rule that the bot and a person never talk
over each other is about answering the tenant's messages, and these are the adviser's own arrangement, not the
bot's conversation. On the eve the reminder is the day's one message (the tenant meets a person the next day):
the morning's rent planning counts a tenant with an appointment reminder that day as already contacted, and their
rent reminder comes at the policy's next chance (`bot.reminders.reads.contacted_on`). The court eve's reminder has
no next chance (the court meets the next day): it goes beside the appointment's texts, the one day a tenant gets
two proactive messages, and the sender never drops an appointment's reminder as "one a day".

Moving an appointment ends its row as `moved` and books a new one: the old reminder is held before it goes (its
reason `appointment moved`), and the new time gets its own confirmation and reminder.

An appointment its volunteer may no longer see ends as `cancelled` (`cancel_unseen`): the tenant took back the
consent the booking asked for, or the case closed. Its reminder is held before it goes (reason `appointment
cancelled`) and the case's events say why: a tenant is never reminded of a meeting the volunteer cannot find.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, insert, select

from bot.host.cases import CaseError, TypedRefused
from bot.host.consents import ConsentRefused, require_volunteer_consent, volunteer_sees
from bot.host.tasks import add_task, set_task_status
from bot.i18n import N_, clock, local_day
from bot.outbox.enqueue import enqueue
from bot.outbox.render import Renderer
from bot.outbox.route import best_channel
from bot.outbox.sms_rules import sms_overflow, sms_segments
from bot.settings import Settings
from bot.store.message_status import hold_unsent
from bot.store.scene import Scene
from bot.store.schema import case_events, case_tasks, cases, messages, outbox, tenants
from bot.tenants.names import first_name
from scheduler.quiet import next_allowed_send

__all__ = [
    "ADVICE_KINDS",
    "ADVICE_SERVICES",
    "APPOINTMENT",
    "MOVED_REASON",
    "REMINDER_KEYS",
    "TEXTS",
    "activity",
    "book_appointment",
    "cancel_appointment",
    "cancel_unseen",
    "cancel_volunteers",
    "is_reminder_key",
    "mark_appointment",
    "marked_from",
    "move_appointment",
    "naming",
    "reminder_time",
    "told_of",
]

APPOINTMENT = "appointment"
# The texts an appointment sends the tenant: the confirmation (of a new time: `appointment.moved`, which names the
# time it replaces), the reminder the day before and the word that it is cancelled.
TEXTS = ("appointment.booked", "appointment.moved", "appointment.reminder", "appointment.cancelled")
# What a volunteer organisation counts its activity by.
ADVICE_KINDS = ("budget", "debt_overview", "repayment_plan", "other")
# The outbox's reasons for a reminder held because its appointment moved or was cancelled (bot/console/delivery.py
# words them).
MOVED_REASON = "appointment moved"
CANCELLED_REASON = "appointment cancelled"
CANCELLED = "cancelled"
# Why `cancel_unseen` cancelled: the case event's text (bot/console/labels.py words it).
BECAUSE = ("consent_ended", "case_closed", "adviser_cancelled", "volunteer_left")
# The reminders' idempotency keys, as a LIKE pattern: the rent planning finds a tenant's reminder of the day by it
# (bot/reminders/reads.py, contacted_on) and leaves that tenant's rent reminder to the next day.
REMINDER_KEYS = "appt:%:reminder"
# An appointment's reminder and its cancellation never give way to "one a day" (bot/reminders/recheck.py).
_REMINDER_KEY = re.compile(r"^appt:\d+:(reminder|cancelled)$")
_ENDS = ("held", "missed")
# The place goes to the tenant by SMS: an address, never the name of a debt-advice service (a text that names one
# tells whoever reads the phone what the appointment is about). The SMS rule's debt words are checked as well.
ADVICE_SERVICES = ("forbrugerrådet", "folkehjælp", "på fode igen", "kfum", "gældsrådgivning", "pengeskole")
_t = case_tasks.c
# An open appointment's columns as cancelling one reads them.
_OPEN_APPOINTMENT = (_t.id, _t.case_id, _t.tenant_id, _t.assignee_id, _t.place, _t.at)


def is_reminder_key(key: str) -> bool:
    """Whether an outbox idempotency key is an appointment's reminder or cancellation (neither gives way)."""
    return _REMINDER_KEY.match(key) is not None


def _tz(settings: Settings) -> ZoneInfo:
    return ZoneInfo(settings.timezone)


def _allowed(at: datetime, settings: Settings) -> datetime:
    return next_allowed_send(at, _tz(settings), settings.quiet_start, settings.quiet_end, settings.quiet_on_holidays)


def reminder_time(at: datetime, now: datetime, settings: Settings) -> datetime | None:
    """When the day-before reminder of an appointment at `at` goes: the last day before it on which proactive
    messages may go (a Sunday or holiday before it is skipped back to the day before that), from the plan hour.
    None when that moment has passed (booked on the eve: the confirmation is enough)."""
    tz = _tz(settings)
    day = at.astimezone(tz).date()
    for back in range(1, 5):
        eve = day - timedelta(days=back)
        start = datetime.combine(eve, time(settings.plan_hour), tz).astimezone(at.tzinfo)
        moment = _allowed(start, settings)
        if moment.astimezone(tz).date() == eve:
            return moment if moment > now else None
    return None


def _day_and_clock(at: datetime, settings: Settings) -> tuple[date, str]:
    """An appointment's local day and its time as "HH:MM" (a text's `clock` filter writes it as its language does)."""
    local = at.astimezone(_tz(settings))
    return local.date(), local.strftime("%H:%M")


def appointment_values(tenant: Any, at: datetime, place: str, settings: Settings) -> dict[str, Any]:
    """What a text about an appointment tells the tenant: their first name, the local day and time, the place."""
    day, clock = _day_and_clock(at, settings)
    return {
        "first_name": first_name(tenant.name),
        "day": day,
        "time": clock,
        "place": place.rstrip(". "),  # the texts end the place with their own full stop
    }


def _texts_to(
    tenant: Any, case_id: int, at: datetime, place: str, now: datetime, settings: Settings, author: str
) -> dict[str, Any] | None:
    """What every text of this appointment to the tenant shares: proactive, on the tenant's best channel; None for a
    tenant who gets nothing proactive (an opted-out or wrong number; the volunteer's list still shows the booking)."""
    if tenant.status != "active":
        return None
    return {
        "now": now,
        "channel": best_channel(tenant.phone, tenant.telegram_chat_id, bool(tenant.telegram_blocked)) or "sms",
        "values": appointment_values(tenant, at, place, settings),
        "language": tenant.language,
        "tenant_id": tenant.id,
        "case_id": case_id,
        "author": author,
        "proactive": True,
    }


def _queue(
    conn: Connection,
    task_id: int,
    tenant: Any,
    case_id: int,
    at: datetime,
    place: str,
    now: datetime,
    settings: Settings,
    author: str,
    moved_from: datetime | None = None,
) -> None:
    """The confirmation now (after quiet hours) and the reminder the day before, as proactive outbox rows; the
    confirmation of a moved appointment the tenant was told of names the time it replaces (`moved_from`)."""
    common = _texts_to(tenant, case_id, at, place, now, settings, author)
    if common is None:
        return
    scene = Scene.of(conn)
    confirm_at = _allowed(now, settings)
    template = "appointment.booked"
    if moved_from is not None:
        template = "appointment.moved"
        old_day, old_time = _day_and_clock(moved_from, settings)
        common["values"] = {**common["values"], "old_day": old_day, "old_time": old_time}
    enqueue(
        scene,
        template=template,
        idempotency_key=f"appt:{task_id}:booked",
        not_before=confirm_at,
        **common,
    )
    eve = reminder_time(at, now, settings)
    # A confirmation that goes on the eve itself (booked late in the evening) is the reminder too: one a day.
    tz = _tz(settings)
    if eve is not None and eve.astimezone(tz).date() > confirm_at.astimezone(tz).date():
        key = f"appt:{task_id}:reminder"
        enqueue(scene, template="appointment.reminder", idempotency_key=key, not_before=eve, **common)


# The hours an appointment may begin in (local time): a meeting at 03:00 is a slip for 15:00, and the tenant would be
# told 03:00.
_EARLIEST, _LATEST = time(7, 0), time(21, 0)


def _check(at: datetime, place: str, advice_kind: str, now: datetime, settings: Settings) -> None:
    if at <= now:
        raise TypedRefused(N_("The appointment must be in the future."))
    local = at.astimezone(_tz(settings)).time()
    if not _EARLIEST <= local <= _LATEST:
        raise TypedRefused(
            N_("An appointment begins between %(earliest)s and %(latest)s: check the time (%(time)s)."),
            earliest=clock(_EARLIEST),
            latest=clock(_LATEST),
            time=clock(local),
        )
    if not place.strip():
        raise TypedRefused(N_("Say where the appointment is."))
    if any(name in place.lower() for name in ADVICE_SERVICES):
        raise TypedRefused(
            N_("The place goes to the tenant by SMS: write the address, not the name of the advice service.")
        )
    if advice_kind not in ADVICE_KINDS:
        raise TypedRefused(N_("Choose a kind of advice."))


def _fits_sms(
    renderer: Renderer, tenant: Any, at: datetime, place: str, settings: Settings, moved_from: datetime | None
) -> None:
    """Refuse a place that makes a text carrying it to the tenant longer by SMS than its parts: the confirmation (of a
    new time: the moved one), the reminder the day before and the volunteer's reminder, in the tenant's language with
    their name, as the sender would render them. Its parts are `sms_segment_budget`, or what the text takes with no
    place at all where that is more (a long name in a language written in UCS-2): the place is what must not add one."""
    values = appointment_values(tenant, at, place, settings)
    confirmation = "appointment.booked"
    if moved_from is not None:
        old_day, old_time = _day_and_clock(moved_from, settings)
        values = {**values, "old_day": old_day, "old_time": old_time}
        confirmation = "appointment.moved"
    over = 0
    for template in (confirmation, "appointment.reminder", VOLUNTEER_REMINDER):
        text = renderer.render(template, values, tenant.language, "sms").text
        without = renderer.render(template, {**values, "place": ""}, tenant.language, "sms").text
        parts = max(settings.sms_segment_budget, sms_segments(without)[1])
        over = max(over, sms_overflow(text, parts))
    if over:
        raise TypedRefused(
            N_("The place is too long for the tenant's SMS: write it in %(most)s characters at most."),
            most=max(len(values["place"]) - over, 0),
        )


def _insert(
    conn: Connection,
    case_id: int,
    tenant_id: int,
    volunteer_id: int,
    at: datetime,
    place: str,
    advice_kind: str,
    created_by: int,
    now: datetime,
) -> int:
    return add_task(
        conn,
        case_id=case_id,
        tenant_id=tenant_id,
        kind=APPOINTMENT,
        now=now,
        assignee_id=volunteer_id,
        created_by=created_by,
        at=at,
        place=place.strip(),
        advice_kind=advice_kind,
    )


def book_appointment(
    conn: Connection,
    *,
    case_id: int,
    volunteer_id: int,
    at: datetime,
    place: str,
    advice_kind: str,
    staff_id: int,
    now: datetime,
    settings: Settings,
    renderer: Renderer,
) -> int:
    """Book a volunteer's appointment on an open case; the tenant's confirmation and reminder are queued. Returns
    the task id. One open appointment per case: the volunteer moves that one rather than a second being booked. The
    volunteer sees the tenant's first name and the place: only with the tenant's consent to share their contact (and
    their address, for an appointment at it) with the volunteer's organisation for this case."""
    _check(at, place, advice_kind, now, settings)
    case = conn.execute(select(cases.c.tenant_id, cases.c.status).where(cases.c.id == case_id)).first()
    if case is None or case.status == "closed":
        raise CaseError(N_("The case is closed."))
    if conn.execute(select(_t.id).where(_t.case_id == case_id, _t.kind == APPOINTMENT, _t.status == "open")).first():
        raise CaseError(N_("This case has an appointment already: the volunteer can move it."))
    try:
        require_volunteer_consent(conn, case_id, volunteer_id, now, place=place)
    except ConsentRefused as refused:
        raise CaseError(refused.msgid, **refused.values) from None
    tenant = conn.execute(select(tenants).where(tenants.c.id == case.tenant_id)).one()
    _fits_sms(renderer, tenant, at, place, settings, None)
    task_id = _insert(conn, case_id, case.tenant_id, volunteer_id, at, place, advice_kind, staff_id, now)
    conn.execute(
        insert(case_events).values(case_id=case_id, staff_id=staff_id, kind="appointment", text="booked", at=now)
    )
    _queue(conn, task_id, tenant, case_id, at, place, now, settings, f"staff:{staff_id}")
    return task_id


def _mine(conn: Connection, task_id: int, volunteer_id: int) -> Any:
    task = conn.execute(
        select(case_tasks)
        .where(_t.id == task_id, _t.kind == APPOINTMENT, _t.status == "open", _t.assignee_id == volunteer_id)
        .with_for_update()
    ).first()
    if task is None:
        raise CaseError(N_("This appointment is not yours, or it is marked already."))
    return task


def _end(conn: Connection, task_id: int, status: str, now: datetime) -> None:
    set_task_status(conn, status, now, _t.id == task_id)


# A volunteer's prepared reminder of an appointment (bot/console/volunteer.py): its outbox key ends by naming the
# appointment (`naming`), so the appointment moved or cancelled holds it (it says the old day and time) and a
# reminder of the new time may go the same day.
VOLUNTEER_REMINDER = "volunteer.appointment_reminder"


def naming(task_id: int) -> str:
    """The end of a volunteer's reminder's outbox key that names the appointment it reminds of."""
    return f":appt:{task_id}"


def _hold_texts(
    conn: Connection, task_id: int, case_id: int, now: datetime, reason: str, texts: tuple[str, ...] = ("reminder",)
) -> None:
    """The appointment's texts among `texts` (`booked`, `reminder`) that have not gone do not go, nor a volunteer's
    reminder of it."""
    keys = [f"appt:{task_id}:{text}" for text in texts]
    o = outbox.c
    volunteers = select(messages.c.id).where(
        messages.c.case_id == case_id, messages.c.template == VOLUNTEER_REMINDER, messages.c.status == "queued"
    )
    ours = o.idempotency_key.in_(keys) | (o.message_id.in_(volunteers) & o.idempotency_key.like(f"%{naming(task_id)}"))
    hold_unsent(conn, and_(ours, o.state.in_(("pending", "waiting"))), reason, now)


def marked_from(at: datetime | None, now: datetime, settings: Settings) -> date | None:
    """The local day from which an appointment at `at` can be marked held or missed (its own day, see
    `mark_appointment`), when that day is still ahead; None when it can be marked now."""
    if at is None:
        return None
    tz = _tz(settings)
    day = at.astimezone(tz).date()
    return day if day > now.astimezone(tz).date() else None


def mark_appointment(
    conn: Connection, task_id: int, volunteer_id: int, status: str, now: datetime, settings: Settings
) -> int:
    """The volunteer marks their appointment held or missed, from its day on; returns its case id.

    Not before: one marked a day early by a slip of the hand would leave the volunteer's list while the tenant, reminded
    the day before, still comes. An appointment that is to happen on another day is moved instead."""
    if status not in _ENDS:
        raise CaseError(N_("An appointment is marked held or missed, or it is moved."))
    task = _mine(conn, task_id, volunteer_id)
    if marked_from(task.at, now, settings) is not None:
        local = task.at.astimezone(_tz(settings))
        raise CaseError(
            N_("The appointment is on %(day)s at %(time)s: mark it held or missed on that day, or move it."),
            day=local_day(local.date()),
            time=clock(local.time()),
        )
    _end(conn, task_id, status, now)
    conn.execute(
        insert(case_events).values(case_id=task.case_id, staff_id=volunteer_id, kind="appointment", text=status, at=now)
    )
    return int(task.case_id)


def move_appointment(
    conn: Connection,
    task_id: int,
    volunteer_id: int,
    at: datetime,
    place: str | None,
    now: datetime,
    settings: Settings,
    renderer: Renderer,
) -> int:
    """The volunteer moves their appointment to a new time (and place): the old one ends as `moved`, its reminder
    is held, and the new one is confirmed and reminded like a booking. Returns the new task id."""
    task = _mine(conn, task_id, volunteer_id)
    where = (place or "").strip() or str(task.place or "")
    _check(at, where, str(task.advice_kind), now, settings)
    # As for a booking: the consent must stand now, and cover the tenant's address when the new place is their home.
    try:
        require_volunteer_consent(conn, task.case_id, volunteer_id, now, place=where)
    except ConsentRefused as refused:
        raise CaseError(refused.msgid, **refused.values) from None
    # The tenant hears that the time moved only if they were told of it (its confirmation went).
    told = task.id in told_of(conn, [task], now)
    tenant = conn.execute(select(tenants).where(tenants.c.id == task.tenant_id)).one()
    moved_from = task.at if told else None
    _fits_sms(renderer, tenant, at, where, settings, moved_from)
    _end(conn, task_id, "moved", now)
    # Its confirmation too, when it has not gone yet (booked in quiet hours): the tenant hears of the new time only.
    _hold_texts(conn, task_id, task.case_id, now, MOVED_REASON, ("booked", "reminder"))
    kind = str(task.advice_kind)
    new_id = _insert(conn, task.case_id, task.tenant_id, volunteer_id, at, where, kind, volunteer_id, now)
    conn.execute(
        insert(case_events).values(
            case_id=task.case_id, staff_id=volunteer_id, kind="appointment", text="moved", at=now
        )
    )
    _queue(conn, new_id, tenant, int(task.case_id), at, where, now, settings, f"staff:{volunteer_id}", moved_from)
    return new_id


def told_of(conn: Connection, tasks: Sequence[Any], now: datetime) -> set[int]:
    """The appointments among `tasks` (rows with `id` and `at`) the tenant was told of (the confirmation went) that
    are still ahead: cancelling one of them tells the tenant it is off."""
    ahead = {f"appt:{t.id}:booked": int(t.id) for t in tasks if t.at is not None and t.at > now}
    if not ahead:
        return set()
    sent = conn.execute(
        select(outbox.c.idempotency_key).where(outbox.c.idempotency_key.in_(list(ahead)), outbox.c.state == "sent")
    ).scalars()
    return {ahead[key] for key in sent}


def cancel_unseen(conn: Connection, tenant_id: int, now: datetime, because: str, settings: Settings) -> int:
    """End as `cancelled` the tenant's open appointments whose volunteer may no longer see them (`volunteer_sees`: the
    consent the booking asked for has ended, or the case closed); each case gets an event saying `because` (one of
    BECAUSE). Texts not sent yet are held; a tenant who had the confirmation of an appointment still ahead is told it
    is cancelled (day and time only). Returns how many ended. Called where a consent ends or a case closes."""
    if because not in BECAUSE:
        raise ValueError(f"unknown reason {because!r}")
    found = conn.execute(
        select(*_OPEN_APPOINTMENT).where(_t.tenant_id == tenant_id, _t.kind == APPOINTMENT, _t.status == "open")
    ).all()
    ended = 0
    for task in found:
        if task.assignee_id is not None and volunteer_sees(conn, task.case_id, task.assignee_id, now, place=task.place):
            continue
        _cancel(conn, task, now, because, settings)
        ended += 1
    return ended


def cancel_appointment(
    conn: Connection, case_id: int, task_id: int, staff_id: int, now: datetime, settings: Settings
) -> None:
    """The adviser who holds the case cancels its open appointment (the tenant cannot come, the volunteer left):
    as `cancel_unseen` does, with the adviser's name on the case event. CaseError when there is no such one."""
    task = conn.execute(
        select(*_OPEN_APPOINTMENT).where(
            _t.id == task_id, _t.case_id == case_id, _t.kind == APPOINTMENT, _t.status == "open"
        )
    ).first()
    if task is None:
        raise CaseError(N_("This case has no such open appointment."))
    _cancel(conn, task, now, "adviser_cancelled", settings, staff_id)


def cancel_volunteers(conn: Connection, volunteer_id: int, now: datetime, settings: Settings) -> int:
    """A volunteer's account is closed: their open appointments are cancelled (nobody would come), the tenants who
    were told of one hear it is cancelled. Returns how many."""
    found = conn.execute(
        select(*_OPEN_APPOINTMENT).where(_t.assignee_id == volunteer_id, _t.kind == APPOINTMENT, _t.status == "open")
    ).all()
    for task in found:
        _cancel(conn, task, now, "volunteer_left", settings)
    return len(found)


def _cancel(
    conn: Connection,
    task: Any,
    now: datetime,
    because: str,
    settings: Settings,
    staff_id: int | None = None,
) -> None:
    """End one open appointment as `cancelled` (its event says `because`); its texts not sent yet are held, and a
    tenant who had its confirmation of a time still ahead is told it is cancelled (day and time only)."""
    _end(conn, task.id, CANCELLED, now)
    _hold_texts(conn, task.id, task.case_id, now, CANCELLED_REASON, ("booked", "reminder"))
    conn.execute(
        insert(case_events).values(case_id=task.case_id, staff_id=staff_id, kind="appointment", text=because, at=now)
    )
    if task.id in told_of(conn, [task], now):
        tenant = conn.execute(select(tenants).where(tenants.c.id == task.tenant_id)).one()
        author = f"staff:{staff_id}" if staff_id is not None else "system"
        common = _texts_to(tenant, task.case_id, task.at, str(task.place or ""), now, settings, author)
        if common is not None:
            key = f"appt:{task.id}:cancelled"
            enqueue(
                Scene.of(conn),
                template="appointment.cancelled",
                idempotency_key=key,
                not_before=_allowed(now, settings),
                **common,
            )


def activity(conn: Connection, tz: ZoneInfo, volunteer_id: int | None = None) -> list[tuple[str, str, int]]:
    """Appointments held, by month (`YYYY-MM`, local time) and kind of advice, newest month first: one volunteer's,
    or everyone's. For the volunteer organisation's own reporting (grants are counted by activity)."""
    query = select(_t.at, _t.advice_kind).where(_t.kind == APPOINTMENT, _t.status == "held", _t.at.is_not(None))
    if volunteer_id is not None:
        query = query.where(_t.assignee_id == volunteer_id)
    counts: Counter[tuple[str, str]] = Counter()
    for at, kind in conn.execute(query):
        counts[(at.astimezone(tz).strftime("%Y-%m"), str(kind))] += 1

    def order(item: tuple[tuple[str, str], int]) -> tuple[int, int]:
        (month, kind), _ = item
        rank = ADVICE_KINDS.index(kind) if kind in ADVICE_KINDS else len(ADVICE_KINDS)
        return -int(month.replace("-", "")), rank

    ordered = sorted(counts.items(), key=order)
    return [(month, kind, n) for (month, kind), n in ordered]
