"""Cases for advisers: opened by a consented handoff, an urgent outreach or by hand."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    bindparam,
    case,
    exists,
    func,
    literal,
    literal_column,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.host.consents import ADVISER_SCOPE, ConsentRefused, require_volunteer_consent, volunteer_sees
from bot.host.unseen import taken_over
from bot.i18n import N_, Explained
from bot.outbox.enqueue import enqueue
from bot.outbox.route import best_channel
from bot.settings import Settings
from bot.store.audit import write_entry
from bot.store.dialect import insert_for
from bot.store.message_status import hold_waiting
from bot.store.scene import Scene
from bot.store.schema import OPEN_CASE, case_events, cases, consents, messages, outbox, rent_positions, tenants
from bot.tenants.case_closing import OPEN_STATUSES, close_cases, hold_task_texts
from scheduler.quiet import after_quiet_hours
from scheduler.urgency import RentPosition, case_priority

__all__ = [
    "ADVISER_SCOPE",
    "CLOSED",
    "CONSENT_ENDED",
    "HELD_STATUSES",
    "NOTICE_WAITING",
    "OPEN_STATUSES",
    "OUTCOMES",
    "PAYMENT_PLAN",
    "RELEASED",
    "TAKEN",
    "UNDONE",
    "BeforeOpening",
    "CaseError",
    "Opened",
    "TypedRefused",
    "add_note",
    "after_the_night",
    "among",
    "bring_forward",
    "cases_back_from",
    "close_case",
    "consented_among",
    "finish_task",
    "form_done",
    "form_event",
    "give_task",
    "has_consent",
    "mark_form",
    "needs_note",
    "open_case",
    "release_case",
    "reply_channel",
    "set_status",
    "take_back",
    "take_back_task",
    "take_case",
    "tasks_back_from",
    "tasks_back_unseen",
    "tell_of_change",
    "tell_tenant",
]

# While a person holds the case the bot answers only the always-on keywords.
HELD_STATUSES = ("taken", "waiting_tenant", "volunteer")
# A payment plan agreed: the reminders about the rent it covers are not planned (`scheduler.policy`).
PAYMENT_PLAN = "payment_plan"
OUTCOMES = (
    "paid",
    PAYMENT_PLAN,
    "kommune",
    "boligstoette",
    "debt_counselling",
    "no_contact",
    "moved",
    "other",
)
# What a tenant hears when their case goes back to the queue from a person who held it (released, the adviser's
# account closed, a volunteer's task ended with nobody holding the case): nobody reads along now, the bot answers.
RELEASED = "case.released"
# What a tenant hears when an adviser takes their case: a person reads along now (bot/console/case_actions.py).
TAKEN = "case.taken"
# What a tenant hears when the adviser closes their case (bot/console/case_actions.py): after the night, as a release.
CLOSED = "case.closed"
# A take undoes a release still waiting for the morning (outbox.last_error of the release: the tenant's picture of who
# reads along did not change, so neither goes; bot/console/delivery.py words it).
UNDONE = "undone before it went"


class CaseError(Explained, ValueError):
    """A case change that does not fit the case's status, with a message for the person."""


class TypedRefused(CaseError):
    """A case change refused for what the person typed (a time in the night, a day gone, no place), not for the
    case's state: the console answers it as a form to check, and a form that can come back does, with what was typed."""


def among(column: Any, values: tuple[str, ...]) -> ColumnElement[bool]:
    """`column IN ('a', 'b')` with these fixed words written into the statement, so a statement built once is
    compiled once (an IN list of parameters is rendered again at every execution)."""
    if not all(value.isidentifier() and value.isascii() for value in values):
        raise ValueError("only plain words are written into a statement")
    result: ColumnElement[bool] = column.in_([literal_column(f"'{value}'") for value in values])
    return result


# Built once: the statements a handoff runs, with parameters only.
# A consent of the scope that stands (not withdrawn): `has_consent` and `consented_among`.
_STANDS = and_(consents.c.scope == bindparam("scope"), consents.c.withdrawn_at.is_(None))
_CONSENTED = select(consents.c.id).where(consents.c.tenant_id == bindparam("tenant"), _STANDS)
# What opening a case needs to know, in one statement: the rent position (its columns NULL when the tenant has
# none) and the household's children, whether the adviser consent stands, and the open case, if any.
_BEFORE_OPENING = (
    select(
        rent_positions,
        tenants.c.children,
        select(consents.c.id)
        .where(
            consents.c.tenant_id == tenants.c.id,
            consents.c.scope == ADVISER_SCOPE,
            consents.c.withdrawn_at.is_(None),
        )
        .exists()
        .label("adviser_consent"),
        select(cases.c.id)
        .where(cases.c.tenant_id == tenants.c.id, among(cases.c.status, OPEN_STATUSES))
        .limit(1)
        .scalar_subquery()
        .label("open_case_id"),
    )
    .select_from(tenants.outerjoin(rent_positions, rent_positions.c.tenant_id == tenants.c.id))
    .where(tenants.c.id == bindparam("tenant"))
)
_REFRESH = (
    update(cases)
    .where(cases.c.id == bindparam("case_id"))
    .values(
        priority=bindparam("new_priority", type_=cases.c.priority.type),
        consented=bindparam("new_consented", type_=cases.c.consented.type),
        updated_at=bindparam("now", type_=cases.c.updated_at.type),
    )
)
# A new case, unless the tenant has an open one after all: a transaction that read "none" as this one did, and
# opened one since (ux_cases_open_tenant; PostgreSQL has this insert wait for that transaction's end). It then
# returns no id, and the case opened meanwhile is refreshed instead.
_OPEN = {
    name: insert_for(name, cases)
    .on_conflict_do_nothing(index_elements=[cases.c.tenant_id], index_where=OPEN_CASE)
    .returning(cases.c.id)
    for name in ("postgresql", "sqlite")
}
_OPEN_TRIES = 3


def has_consent(conn: Connection, tenant_id: int, scope: str = ADVISER_SCOPE) -> bool:
    """Whether the tenant has a consent of this scope that is not withdrawn."""
    return conn.execute(_CONSENTED, {"tenant": tenant_id, "scope": scope}).first() is not None


def consented_among(conn: Connection, tenant_ids: Collection[int], scope: str = ADVISER_SCOPE) -> set[int]:
    """Which of these tenants have a consent of this scope that is not withdrawn (`has_consent` for a list)."""
    if not tenant_ids:
        return set()
    found = conn.execute(
        select(consents.c.tenant_id).where(consents.c.tenant_id.in_(list(tenant_ids)), _STANDS), {"scope": scope}
    )
    return {int(t) for t in found.scalars()}


class BeforeOpening(NamedTuple):
    """What opening a case needs to know of its tenant: the rent position (None when there is none), whether
    children live in the household (None: not known), whether the adviser consent stands, and the open case."""

    position: RentPosition | None
    children: bool | None
    consented: bool
    open_case_id: int | None


def _before_opening(conn: Connection, tenant_id: int) -> BeforeOpening:
    """What opening a case for this tenant needs, read in one statement."""
    known = conn.execute(_BEFORE_OPENING, {"tenant": tenant_id}).first()
    if known is None:
        return BeforeOpening(None, None, False, None)
    position = known if known.tenant_id is not None else None
    open_case_id = None if known.open_case_id is None else int(known.open_case_id)
    return BeforeOpening(position, known.children if position else None, bool(known.adviser_consent), open_case_id)


class Opened(NamedTuple):
    """The case `open_case` opened or refreshed, and whether the legal clock runs for its tenant (a termination
    or a court date is known): staff who asked hear of such a case at once."""

    case_id: int
    clock_runs: bool


def open_case(
    conn: Connection,
    tenant_id: int,
    *,
    origin: str,
    reason: str,
    now: datetime,
    today: date,
    delivery_days: int,
    staff_id: int | None = None,
    known: BeforeOpening | None = None,
) -> Opened:
    """Open a case, or refresh the open one (its reason and priority).

    `delivery_days` is KEEPHOME_DEMAND_DELIVERY_DAYS: the priority follows the påkrav deadline. `known` is what
    opening needs to know of the tenant when it was read with them in this transaction (a processor batch reads it
    with the tenant); without it, it is read here.
    """
    if known is None:
        known = _before_opening(conn, tenant_id)
    event = {"staff_id": staff_id, "text": reason, "at": now}
    for _ in range(_OPEN_TRIES):
        if known.open_case_id is not None:
            break
        opened = {
            "tenant_id": tenant_id,
            "status": "waiting",
            "origin": origin,
            "reason": reason,
            "priority": _priority(known, today, delivery_days),
            "consented": known.consented,
            "opened_at": now,
            "updated_at": now,
        }
        case_id = conn.execute(_OPEN[conn.dialect.name], opened).scalar_one_or_none()
        if case_id is not None:
            # The case's event is written with the transaction's other rows (one statement for a processor batch's
            # cases), not a round trip of its own: nothing reads a case's events in the transaction that opened it.
            Scene.of(conn).add((case_events, {**event, "case_id": int(case_id), "kind": "opened"}))
            return Opened(int(case_id), _clock_runs(known))
        # Another transaction opened the tenant's case since this one read: read again (a new statement sees what
        # that transaction committed) and refresh that case; if it was closed meanwhile too, open one again.
        known = _before_opening(conn, tenant_id)
    if known.open_case_id is None:
        raise RuntimeError(f"tenant {tenant_id}'s case was opened and closed elsewhere {_OPEN_TRIES} times meanwhile")
    refresh = {
        "case_id": known.open_case_id,
        "new_priority": _priority(known, today, delivery_days),
        "new_consented": known.consented,
        "now": now,
    }
    conn.execute(_REFRESH, refresh)
    Scene.of(conn).add((case_events, {**event, "case_id": known.open_case_id, "kind": "status"}))
    return Opened(known.open_case_id, _clock_runs(known))


def _priority(known: BeforeOpening, today: date, delivery_days: int) -> int:
    # Without rule 0 (words of crisis): that is the console's alone, which ranks open cases again for the day it
    # shows. The stored number goes to the organisation's systems (the API's case, the export), which are not told
    # what the tenant wrote.
    return case_priority(known.position, today, delivery_days, children=known.children)


def _clock_runs(known: BeforeOpening) -> bool:
    """Whether the legal clock runs for the tenant: a termination or a court date is known."""
    position = known.position
    return position is not None and (position.termination_on is not None or position.court_date is not None)


def _recorded(conn: Connection, case_id: int, staff_id: int | None, kind: str, text: str | None, now: datetime) -> int:
    """Record what happened to a case; returns the event's id (a notice to the tenant is keyed by it)."""
    made = conn.execute(
        case_events.insert()
        .values(case_id=case_id, staff_id=staff_id, kind=kind, text=text, at=now)
        .returning(case_events.c.id)
    )
    return int(made.scalar_one())


async def _event(
    conn: AsyncConnection, case_id: int, staff_id: int | None, kind: str, text: str | None, now: datetime
) -> int:
    """`_recorded` on an async connection."""
    return await conn.run_sync(_recorded, case_id, staff_id, kind, text, now)


def reply_channel(tenant: Any) -> str:
    """The channel the tenant is reached on (Telegram when linked and not blocked); SMS when none is."""
    return best_channel(tenant.phone, tenant.telegram_chat_id, bool(tenant.telegram_blocked)) or "sms"


def tell_tenant(
    conn: Connection,
    tenant: Any,
    *,
    case_id: int,
    template: str,
    now: datetime,
    key: str,
    author: str,
    values: Mapping[str, Any] | None = None,
    text: str | None = None,
    not_before: datetime | None = None,
) -> None:
    """Queue a message about their case on the tenant's channel (from `not_before`, when given); a key queued before
    queues nothing."""
    enqueue(
        Scene.of(conn),
        now=now,
        channel=reply_channel(tenant),
        template=template,
        values=values or {},
        language=tenant.language,
        idempotency_key=key,
        tenant_id=tenant.id,
        case_id=case_id,
        author=author,
        text=text,
        not_before=not_before,
    )


def _undo_waiting_release(conn: Connection, case_ids: Collection[int], now: datetime) -> set[int]:
    """Hold the release notices to these cases that still wait for quiet hours to end (never tried, so the tenant has
    not seen them); returns the cases whose notice was held."""
    if not case_ids:
        return set()
    Scene.of(conn).flush()  # a notice queued earlier in this transaction is not written yet
    held = hold_waiting(conn, case_ids, messages.c.template == RELEASED, UNDONE, now)
    if not held:
        return set()
    return {int(c) for c in conn.execute(select(messages.c.case_id).where(messages.c.id.in_(held))).scalars()}


# A notice about the tenant's case not tried yet (one waiting for quiet hours to end, `tell_of_change`): read with
# the tenant when they write (bot/inbound/handler.py), so that `bring_forward` runs only when it has something to do.
_NOTICES = (TAKEN, RELEASED, CLOSED)
NOTICE_WAITING = exists().where(
    outbox.c.tenant_id == tenants.c.id,
    outbox.c.template.in_(_NOTICES),
    outbox.c.state == "pending",
    outbox.c.attempts == 0,
)
_BRING_FORWARD = (
    update(outbox)
    .where(
        outbox.c.tenant_id == bindparam("tenant"),
        outbox.c.template.in_(_NOTICES),
        outbox.c.state == "pending",
        outbox.c.attempts == 0,
        outbox.c.next_attempt_at > bindparam("now"),
    )
    .values(next_attempt_at=bindparam("now"), not_before=bindparam("now"))
)


def bring_forward(conn: Connection, tenant_id: int, now: datetime) -> None:
    """The tenant wrote: they are awake, and a notice about their case that waits for quiet hours to end goes now,
    before the answer to what they wrote (queued earlier, it is claimed first). A tenant whose adviser let go of the
    case at night so reads that nobody follows it before the bot answers them, not the next morning after."""
    conn.execute(_BRING_FORWARD, {"tenant": tenant_id, "now": now})


def after_the_night(now: datetime, settings: Settings) -> datetime:
    """When a text about the tenant's case that nobody asked for may go: now, or when the night's quiet hours end
    (a release, a closing, a volunteer's prepared text). A quiet day does not hold it back, as it holds a rent
    reminder: it is word of what happens on the case ("we call you tomorrow" said on a Sunday still means Monday)."""
    return after_quiet_hours(now, ZoneInfo(settings.timezone), settings.quiet_start, settings.quiet_end)


def tell_of_change(
    conn: Connection,
    told: Sequence[tuple[Any, int, str]],
    *,
    template: str,
    now: datetime,
    author: str,
    settings: Settings,
    values: Mapping[str, Any] | None = None,
) -> None:
    """Tell each `(tenant, case, key)` that a person took their case (TAKEN) or let go of it (RELEASED); `values` say
    how (a release a volunteer's hand-on made says an adviser will look at the case, not that one let go of it).

    A take is told at once, at any hour, as the adviser's own reply goes: a person is at work on the case now, the bot
    answers only keywords from now on, and a tenant who writes at night must know a person reads it (without consent,
    only what they write after being told is shown to the adviser). A release is news nobody wrote and nothing waits
    on: it waits for the night's quiet hours to end (DESIGN.md), also on a quiet day, when the tenant still needs to
    know who reads what they write; meanwhile the bot answers them. Neither is a reminder, nor counts as the day's
    one proactive message. A take while its release still waits holds that release and goes no more than it: what
    the tenant believed (a person reads along) stays true, and the morning brings no message to undo.
    """
    if template == TAKEN:
        undone = _undo_waiting_release(conn, [case_id for _, case_id, _ in told], now)
        at = None
    else:
        undone = set()
        at = after_the_night(now, settings)
    for tenant, case_id, key in told:
        if case_id not in undone:
            tell_tenant(
                conn,
                tenant,
                case_id=case_id,
                template=template,
                now=now,
                key=key,
                author=author,
                values=values,
                not_before=at,
            )


def _told_back_in_queue(
    conn: Connection,
    moved: Sequence[tuple[int, int]],
    now: datetime,
    author: str,
    settings: Settings,
    values: Mapping[str, Any] | None = None,
) -> None:
    """Tell each active tenant whose held case went back to the queue (`moved`: the case and the event that moved it)
    that the person who read along no longer does, and that the bot answers meanwhile: once for each such event, so
    every release is told and a form sent twice (refused by the status) tells nothing more. `values`: how the notice
    words it (`HANDED_ON`)."""
    event_of = dict(moved)
    if not event_of:
        return
    told = conn.execute(
        select(
            cases.c.id.label("case_id"),
            tenants.c.id,
            tenants.c.phone,
            tenants.c.telegram_chat_id,
            tenants.c.telegram_blocked,
            tenants.c.language,
        )
        .join(tenants, tenants.c.id == cases.c.tenant_id)
        .where(cases.c.id.in_(list(event_of)), tenants.c.status == "active")
    ).all()
    keyed = [(tenant, tenant.case_id, f"case:{tenant.case_id}:released:{event_of[tenant.case_id]}") for tenant in told]
    tell_of_change(conn, keyed, template=RELEASED, now=now, author=author, settings=settings, values=values)


async def _tell_back_in_queue(
    conn: AsyncConnection,
    moved: Sequence[tuple[int, int]],
    now: datetime,
    author: str,
    settings: Settings,
    values: Mapping[str, Any] | None = None,
) -> None:
    """`_told_back_in_queue` on an async connection."""
    if moved:
        await conn.run_sync(lambda sync: _told_back_in_queue(sync, moved, now, author, settings, values))


def _author(staff_id: int | None) -> str:
    """Who a notice is written in the name of: the person whose change sent it, or the service."""
    return "system" if staff_id is None else f"staff:{staff_id}"


_CHANGED = N_("the case has changed meanwhile: reload the page")


def _moved(conn: Connection, case_id: int, allowed: tuple[str, ...], **values: Any) -> str:
    """Change a case only from an allowed status (a concurrent change makes this fail cleanly); returns the status
    it has now."""
    done = conn.execute(
        update(cases)
        .where(cases.c.id == case_id, cases.c.status.in_(allowed))
        .values(**values)
        .returning(cases.c.status)
    )
    status = done.scalar_one_or_none()
    if status is None:
        raise CaseError(_CHANGED)
    return str(status)


async def _move(conn: AsyncConnection, case_id: int, allowed: tuple[str, ...], **values: Any) -> str:
    """`_moved` on an async connection."""
    return await conn.run_sync(lambda sync: _moved(sync, case_id, allowed, **values))


async def take_case(conn: AsyncConnection, case_id: int, staff_id: int, now: datetime) -> int:
    """An adviser takes a waiting case; from now on the bot answers only the always-on keywords. Returns the take's
    event: the tenant is told once for each take (a case released and taken again has a new reader). A reminder's
    question or a nudge still waiting to go does not (`taken_over`)."""
    await _move(conn, case_id, ("waiting",), status="taken", assignee_id=staff_id, updated_at=now)
    tenant_id = (await conn.execute(select(cases.c.tenant_id).where(cases.c.id == case_id))).scalar_one()
    await conn.run_sync(lambda sync: taken_over(sync, int(tenant_id), now))
    return await _event(conn, case_id, staff_id, "taken", None, now)


async def release_case(conn: AsyncConnection, case_id: int, staff_id: int, now: datetime, settings: Settings) -> None:
    """Give a held case back to the queue: the bot answers again, and an active tenant is told that nobody reads
    along until another adviser takes it."""
    await _move(conn, case_id, ("taken", "waiting_tenant"), status="waiting", assignee_id=None, updated_at=now)
    event = await _event(conn, case_id, staff_id, "released", None, now)
    await _tell_back_in_queue(conn, [(case_id, event)], now, _author(staff_id), settings)


async def add_note(
    conn: AsyncConnection, case_id: int, staff_id: int, text: str, now: datetime, form_nonce: str | None = None
) -> bool:
    """An internal note; the tenant never sees it. `form_nonce`, the console form's one-time value, makes the same
    form sent again record nothing: False then."""
    if not await conn.run_sync(form_event, case_id, staff_id, "note", text, now, form_nonce):
        return False
    await conn.execute(update(cases).where(cases.c.id == case_id).values(updated_at=now))
    return True


def form_event(
    conn: Connection,
    case_id: int,
    staff_id: int | None,
    kind: str,
    text: str | None,
    now: datetime,
    form_nonce: str | None,
) -> bool:
    """Record an event a console form made, once per the form's one-time value (a browser's resubmit or a phone's
    retry records nothing, also when both arrive at once); False when that value recorded it already."""
    values = {"case_id": case_id, "staff_id": staff_id, "kind": kind, "text": text, "at": now}
    if form_nonce is None:
        conn.execute(case_events.insert().values(**values))
        return True
    made = conn.execute(
        insert_for(conn, case_events)
        .values(**values, form_nonce=form_nonce)
        .on_conflict_do_nothing(index_elements=[case_events.c.kind, case_events.c.form_nonce])
        .returning(case_events.c.id)
    )
    return made.first() is not None


def form_done(conn: Connection, case_id: int, kind: str, form_nonce: str) -> bool:
    """Whether a console form with this one-time value did its work on the case already: the event of `kind` its
    work made carries the value (`mark_form`)."""
    c = case_events.c
    found = conn.execute(select(c.id).where(c.case_id == case_id, c.kind == kind, c.form_nonce == form_nonce))
    return found.first() is not None


def mark_form(conn: Connection, case_id: int, kind: str, form_nonce: str) -> None:
    """Give the event of `kind` a console form's work has just made on the case (its last) the form's one-time value,
    so the same form sent again does nothing (`form_done`). Called in the work's transaction, the case row locked."""
    c = case_events.c
    last = select(func.max(c.id)).where(c.case_id == case_id, c.kind == kind).scalar_subquery()
    conn.execute(update(case_events).where(c.id == last).values(form_nonce=form_nonce))


async def give_task(
    conn: AsyncConnection, case_id: int, staff_id: int, volunteer_id: int, task: str, due: date, now: datetime
) -> None:
    """Hand a simple follow-up to a volunteer; the case stays held. The volunteer sees the tenant's first name and
    contact: only with the tenant's consent to share it with the volunteer's organisation for this case."""
    try:
        await conn.run_sync(lambda sync: require_volunteer_consent(sync, case_id, volunteer_id, now))
    except ConsentRefused as refused:
        raise CaseError(refused.msgid, **refused.values) from None
    await _move(
        conn,
        case_id,
        ("taken", "waiting_tenant"),
        status="volunteer",
        volunteer_id=volunteer_id,
        volunteer_task=task,
        volunteer_due=due,
        updated_at=now,
    )
    await _event(conn, case_id, staff_id, "task", task, now)


# The release notice's words when a volunteer hands the task on ("Needs an adviser"): nobody let go of the tenant, and
# nothing they were told (an appointment booked) is off; an adviser will look at the case, the bot answers meanwhile.
HANDED_ON: dict[str, Any] = {"handed_on": 1}
# Why the service took a task back (the case event's text; bot/console/labels.py words it): the tenant took back the
# consent the volunteer needed (`tasks_back_unseen`).
CONSENT_ENDED = "consent_ended"
# A case the volunteer's task has left: done, taken back by the adviser.
_NO_TASK: dict[str, Any] = {"volunteer_id": None, "volunteer_task": None, "volunteer_due": None}
# Where such a case goes: back to the adviser who holds it, or to the queue when nobody does (their account closed).
_BACK_TO_HOLDER = case((cases.c.assignee_id.is_(None), literal("waiting")), else_=literal("taken"))


async def finish_task(
    conn: AsyncConnection,
    case_id: int,
    volunteer_id: int,
    needs_adviser: bool,
    now: datetime,
    settings: Settings,
    why: str | None = None,
) -> None:
    """A volunteer marks the task done (back to the adviser) or asks for an adviser (back to the queue, held by nobody,
    as a released case is; `why`, the volunteer's words, goes on the case's event)."""
    values: dict[str, Any] = (
        {"status": "waiting", "assignee_id": None} if needs_adviser else {"status": _BACK_TO_HOLDER}
    )
    done = await conn.execute(
        update(cases)
        .where(cases.c.id == case_id, cases.c.status == "volunteer", cases.c.volunteer_id == volunteer_id)
        .values(**values, **_NO_TASK, updated_at=now)
        .returning(cases.c.status)
    )
    status = done.scalar_one_or_none()
    if status is None:
        raise CaseError(N_("this task is no longer yours"))
    if needs_adviser:  # done, the volunteer's texts go as they said; handed on, the case is nobody's now
        await conn.run_sync(hold_task_texts, [case_id], now)
    kind = "needs_adviser" if needs_adviser else "task_done"
    event = await _event(conn, case_id, volunteer_id, kind, (why or None) if needs_adviser else None, now)
    if status == "waiting":
        # Handed on, nobody let go of the tenant; done with nobody holding the case, their adviser did (account closed).
        words = HANDED_ON if needs_adviser else None
        await _tell_back_in_queue(conn, [(case_id, event)], now, _author(volunteer_id), settings, words)


def take_back(
    conn: Connection,
    case_id: int,
    staff_id: int | None,
    now: datetime,
    settings: Settings,
    because: str | None = None,
) -> None:
    """The adviser who holds the case takes a volunteer's task back (the volunteer left, or the consent the task
    needed ended, or it is simply quicker): the case is theirs again, as when the task is done. Without `staff_id`
    the service does it (the volunteer's account was closed, the tenant took back the consent: `because`,
    CONSENT_ENDED, is the case event's text). A case nobody holds any more (the adviser's account was closed)
    is then the taker's, or, taken back by the service, the queue's."""
    if staff_id is None:
        status = _moved(conn, case_id, ("volunteer",), status=_BACK_TO_HOLDER, **_NO_TASK, updated_at=now)
    else:
        holder = func.coalesce(cases.c.assignee_id, staff_id)
        status = _moved(conn, case_id, ("volunteer",), status="taken", assignee_id=holder, **_NO_TASK, updated_at=now)
    hold_task_texts(conn, [case_id], now)
    event = _recorded(conn, case_id, staff_id, "task_taken_back", because, now)
    if status == "waiting":
        _told_back_in_queue(conn, [(case_id, event)], now, _author(staff_id), settings)


async def take_back_task(
    conn: AsyncConnection, case_id: int, staff_id: int | None, now: datetime, settings: Settings
) -> None:
    """`take_back` on an async connection (the case page's Take back, a volunteer's account closed)."""
    await conn.run_sync(lambda sync: take_back(sync, case_id, staff_id, now, settings))


def tasks_back_unseen(conn: Connection, tenant_id: int, now: datetime, settings: Settings) -> list[int]:
    """The tenant's cases whose volunteer may no longer see the task (`volunteer_sees`: the tenant took back the
    consent to share with the volunteer's organisation that giving the task asked for) go back to the adviser who
    holds them, as a task taken back does (`take_back`): nobody would make the call otherwise. The case event says
    the consent ended, and so does the audit log, by the service. Called where a consent ends. Returns the cases."""
    held = conn.execute(
        select(cases.c.id, cases.c.volunteer_id)
        .where(cases.c.tenant_id == tenant_id, cases.c.status == "volunteer")
        .order_by(cases.c.id)
    ).all()
    back = []
    for row in held:
        if row.volunteer_id is not None and volunteer_sees(conn, row.id, row.volunteer_id, now):
            continue
        take_back(conn, row.id, None, now, settings, because=CONSENT_ENDED)
        detail = f"tenant:{tenant_id} volunteer=staff:{row.volunteer_id} because={CONSENT_ENDED}"
        write_entry(conn, now, "system", "task.take_back", f"case:{row.id}", detail)
        back.append(int(row.id))
    return back


async def tasks_back_from(conn: AsyncConnection, volunteer_id: int, now: datetime, settings: Settings) -> list[int]:
    """A volunteer's account is closed: each case with a task of theirs goes back to the adviser who holds it, as
    when the adviser takes the task back (the case event says the task came back). Returns the cases."""
    held = (
        (
            await conn.execute(
                select(cases.c.id).where(cases.c.status == "volunteer", cases.c.volunteer_id == volunteer_id)
            )
        )
        .scalars()
        .all()
    )
    for case_id in held:
        await take_back_task(conn, case_id, None, now, settings)
    return [int(case_id) for case_id in held]


async def cases_back_from(conn: AsyncConnection, adviser_id: int, now: datetime, settings: Settings) -> list[int]:
    """An adviser's account is closed (or they no longer hold cases): each case they hold goes back to the queue,
    held by nobody, as a released case does, so the bot answers the tenant again, the tenant is told so (as on a
    release), and another adviser takes it. A case with a volunteer's task keeps the task (the tenant hears nothing
    yet) and comes to the queue when it is done or taken back. The case's events say the adviser left. Returns the
    cases."""
    held = (
        await conn.execute(
            select(cases.c.id, cases.c.status)
            .where(cases.c.assignee_id == adviser_id, among(cases.c.status, HELD_STATUSES))
            .order_by(cases.c.id)
        )
    ).all()
    if not held:
        return []
    ids = [int(row.id) for row in held]
    await conn.execute(
        update(cases)
        .where(cases.c.id.in_(ids))
        .values(
            status=case((cases.c.status == literal("volunteer"), cases.c.status), else_=literal("waiting")),
            assignee_id=None,
            updated_at=now,
        )
    )
    events = await conn.execute(
        case_events.insert()
        .values([{"case_id": i, "staff_id": None, "kind": "adviser_left", "text": None, "at": now} for i in ids])
        .returning(case_events.c.case_id, case_events.c.id)
    )
    queued = {int(row.id) for row in held if row.status != "volunteer"}
    moved = [(int(e.case_id), int(e.id)) for e in events if int(e.case_id) in queued]
    await _tell_back_in_queue(conn, moved, now, _author(None), settings)
    return ids


def needs_note(outcome: str, note: str | None) -> bool:
    """An outcome that says nothing by itself ("other") closes a case only with a note saying what became of it."""
    return outcome == "other" and not note


async def close_case(
    conn: AsyncConnection, case_id: int, staff_id: int, outcome: str, note: str | None, now: datetime
) -> None:
    """Close with an outcome; the bot takes over the tenant's messages again. The closing itself is the one writer's
    (bot/tenants/case_closing.py): the volunteer lets go, and a kommune consent for the case lapses."""
    if outcome not in OUTCOMES:
        raise CaseError(N_("unknown outcome %(outcome)s"), outcome=outcome)
    if needs_note(outcome, note):
        raise CaseError(N_("the outcome 'other' needs a note"))
    closed = await conn.run_sync(
        lambda sync: close_cases(sync, [case_id], now, staff_id=staff_id, outcome=outcome, note=note)
    )
    if not closed:
        raise CaseError(_CHANGED)


async def set_status(conn: AsyncConnection, case_id: int, status: str, now: datetime) -> None:
    """Move an open case between the held statuses (e.g. waiting for the tenant after a reply)."""
    await _move(conn, case_id, HELD_STATUSES, status=status, updated_at=now)
