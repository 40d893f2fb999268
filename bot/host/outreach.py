"""Reaching the unreachable: a case whose tenant has gone quiet offers the next step as a task.

The steps, in order: a phone call by the adviser; after a call that did not reach the tenant, a door knock or a
postcard by the caretaker; after a knock that did not reach them, a postcard. The knock and the postcard go to the
tenant's address: with none stored they are not offered (`next_steps`), and a call not answered ends there. A step
that reaches the tenant records the "contact made" case event (`record_contact`, its one writer) that the outcome
page counts. A round of steps that ran out without reaching anyone makes the tenant a figure of the report
(`never_reached_query`).

The first step is offered by the scheduler's `outreach_job` (`offer_outreach`), so nobody has to remember to
look, and by the case page for its own case as it is shown, so the call is there without waiting for the job's
next run: an open case is due when the tenant has not written for KEEPHOME_NO_ANSWER_DAYS since the case opened,
the tenant last wrote or was last reached, or when the last message to the tenant failed. Its work is recorded in
`case_tasks` and idempotent: a case with an open step, or one offered since the tenant was last heard from (or
since the failure), gets none; the partial unique index `uq_case_tasks_open` holds even against a click made at
the same moment.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Select, and_, exists, func, insert, literal_column, or_, select, update

from bot.host.cases import OPEN_STATUSES, CaseError, among, form_event
from bot.host.tasks import OPEN, add_task, set_task_status
from bot.i18n import N_
from bot.store.schema import FAILED_STATUSES, case_events, case_tasks, cases, messages, tenants

__all__ = [
    "CALL",
    "CARETAKER_STEPS",
    "KNOCK",
    "NOT_REACHED",
    "NO_ADDRESS",
    "OUTREACH_STEPS",
    "POSTCARD",
    "REACHED",
    "SENT",
    "call_due",
    "end_open_steps",
    "finish_step",
    "never_reached_query",
    "next_steps",
    "offer_outreach",
    "record_contact",
    "steps_back_from",
]

CALL, KNOCK, POSTCARD = "call", "knock", "postcard"
OUTREACH_STEPS = (CALL, KNOCK, POSTCARD)
# The steps a caretaker takes (the call is the adviser's).
CARETAKER_STEPS = (KNOCK, POSTCARD)
REACHED, NOT_REACHED, SENT = "reached", "not_reached", "sent"
# A step still open when its case closed: nobody knocks for a closed case.
CANCELLED = "cancelled"
# How a step someone actually took ends (not open, not cancelled): only these are attempts to reach the tenant.
_CARRIED_OUT = (REACHED, NOT_REACHED, SENT)
# What each step can end with: a postcard reaches nobody at once, it is only sent.
_OUTCOMES = {CALL: (REACHED, NOT_REACHED), KNOCK: (REACHED, NOT_REACHED), POSTCARD: (SENT,)}
# The step offered after one that did not reach the tenant (the adviser may choose a postcard after a call).
_NEXT = {CALL: (KNOCK, POSTCARD), KNOCK: (POSTCARD,)}
# A door knock and a postcard go to the tenant's address: without one, neither is offered nor given.
_NEEDS_ADDRESS = frozenset(CARETAKER_STEPS)
NO_ADDRESS = N_(
    "No address is stored for this tenant, so a caretaker cannot knock on the door or leave a postcard. Add the "
    "address in your own system and import the tenants again (the column address); until then, a call not "
    "answered ends without a next step."
)

_t = case_tasks.c


def next_steps(kind: str, address: str | None) -> tuple[str, ...]:
    """The steps that may follow a `kind` that did not reach the tenant: those at the tenant's door only when an
    address is stored (the case page offers these; `finish_step` gives no other)."""
    at_door = bool(address and address.strip())
    return tuple(k for k in _NEXT.get(kind, ()) if at_door or k not in _NEEDS_ADDRESS)


def record_contact(
    conn: Connection,
    case_id: int,
    staff_id: int | None,
    now: datetime,
    how: str | None = None,
    form_nonce: str | None = None,
) -> bool:
    """The "contact made" event: a person reached the tenant outside keephome (a call, a knock at the door).
    The outcome page counts the tenant as reached from its time on. `form_nonce`, the console form's one-time
    value, makes the same form sent again record nothing: False then."""
    return form_event(conn, case_id, staff_id, "contact", how, now, form_nonce)


def _latest(column: Any, *where: Any) -> Any:
    return select(func.max(column)).where(*where).scalar_subquery()


def _candidates(now: datetime) -> Select[Any]:
    """Open cases of tenants not erased, with when the tenant was last heard from and the last step offered."""
    m = messages.c
    last_out = (
        select(m.status, m.created_at)
        .where(m.tenant_id == cases.c.tenant_id, m.direction == "out")
        .order_by(m.id.desc())
        .limit(1)
        .correlate(cases)
    )
    return (
        select(
            cases.c.id,
            cases.c.tenant_id,
            cases.c.assignee_id,
            cases.c.opened_at,
            _latest(m.created_at, m.tenant_id == cases.c.tenant_id, m.direction == "in").label("last_in"),
            _latest(case_events.c.at, case_events.c.case_id == cases.c.id, case_events.c.kind == "contact").label(
                "last_contact"
            ),
            _latest(_t.created_at, _t.case_id == cases.c.id, among(_t.kind, OUTREACH_STEPS)).label("last_step"),
            last_out.with_only_columns(m.status).scalar_subquery().label("out_status"),
            last_out.with_only_columns(m.created_at).scalar_subquery().label("out_at"),
        )
        .join(tenants, tenants.c.id == cases.c.tenant_id)
        .where(
            among(cases.c.status, OPEN_STATUSES),
            tenants.c.status != "erased",
            ~exists().where(_t.case_id == cases.c.id, among(_t.kind, OUTREACH_STEPS), _t.status == OPEN),
        )
        .order_by(cases.c.id)
    )


def _due(row: Any, now: datetime, no_answer_days: int) -> bool:
    heard = max(t for t in (row.opened_at, row.last_in, row.last_contact) if t is not None)
    offered = row.last_step
    silent = heard <= now - timedelta(days=no_answer_days) and (offered is None or offered < heard)
    failed = row.out_status in FAILED_STATUSES and (offered is None or offered < row.out_at)
    return bool(silent or failed)


def call_due(conn: Connection, now: datetime, no_answer_days: int, case_id: int) -> bool:
    """Whether `offer_outreach` would offer a call on this case now (a read: a page shown checks first, and
    writes only when there is something to offer)."""
    row = conn.execute(_candidates(now).where(cases.c.id == case_id)).first()
    return row is not None and _due(row, now, no_answer_days)


def offer_outreach(conn: Connection, now: datetime, no_answer_days: int, case_id: int | None = None) -> int:
    """Offer a phone call on every open case whose tenant has gone quiet or whose last message failed (only on
    `case_id`, when given); returns how many were offered. Run by the scheduler's outreach job, and for one case
    when its page is shown, so the call is there at once rather than at the job's next run; a second run offers
    nothing new."""
    offered = 0
    query = _candidates(now) if case_id is None else _candidates(now).where(cases.c.id == case_id)
    for row in conn.execute(query).all():
        if not _due(row, now, no_answer_days):
            continue
        _add_step(conn, row.id, row.tenant_id, CALL, row.assignee_id, None, now)
        conn.execute(
            insert(case_events).values(case_id=row.id, staff_id=None, kind="outreach", text="call:open", at=now)
        )
        offered += 1
    return offered


def _add_step(
    conn: Connection,
    case_id: int,
    tenant_id: int,
    kind: str,
    assignee_id: int | None,
    created_by: int | None,
    now: datetime,
) -> int:
    return add_task(
        conn, case_id=case_id, tenant_id=tenant_id, kind=kind, now=now, assignee_id=assignee_id, created_by=created_by
    )


def finish_step(
    conn: Connection,
    task_id: int,
    outcome: str,
    staff_id: int,
    now: datetime,
    *,
    next_kind: str | None = None,
    next_assignee: int | None = None,
    kinds: tuple[str, ...] = OUTREACH_STEPS,
) -> int | None:
    """End an open step with its outcome (`reached`, `not_reached`, `sent`). Reached: the contact event. Not
    reached: the next step (for a call, `next_kind` knock or postcard; after a knock, a postcard), given to
    `next_assignee` (None: any caretaker), while the case is open. Returns the next step's id, if any.

    `kinds` limits which steps this person may end (a caretaker: the knock and the postcard)."""
    task = conn.execute(
        select(case_tasks, cases.c.status.label("case_status"))
        .join(cases, cases.c.id == _t.case_id)
        .where(_t.id == task_id, _t.status == OPEN, among(_t.kind, kinds))
        .with_for_update()
    ).first()
    if task is None:
        raise CaseError(N_("This step is done already: reload the page."))
    if outcome not in _OUTCOMES[task.kind]:
        raise CaseError(N_("This step cannot end that way."))
    address = conn.execute(select(tenants.c.address).where(tenants.c.id == task.tenant_id)).scalar()
    choices = next_steps(task.kind, address)
    if outcome == NOT_REACHED and next_kind is not None and next_kind not in choices:
        if next_kind in _NEXT.get(task.kind, ()):
            raise CaseError(NO_ADDRESS)
        raise CaseError(N_("Choose a door knock or a postcard as the next step."))
    if set_task_status(conn, outcome, now, _t.id == task_id, _t.status == OPEN) != 1:
        raise CaseError(N_("This step is done already: reload the page."))
    text = f"{task.kind}:{outcome}"  # a code the console words (bot/console/labels.py, TASK_EVENT_LABELS)
    conn.execute(
        insert(case_events).values(case_id=task.case_id, staff_id=staff_id, kind="outreach", text=text, at=now)
    )
    if outcome == REACHED:
        record_contact(conn, task.case_id, staff_id, now, task.kind)
        return None
    if outcome != NOT_REACHED or not choices or task.case_status not in OPEN_STATUSES:
        return None
    return _add_step(conn, task.case_id, task.tenant_id, next_kind or choices[0], next_assignee, staff_id, now)


def end_open_steps(conn: Connection, case_id: int, now: datetime) -> int:
    """The case closed: its open steps end as `cancelled` (the caretaker's list drops them); returns how many."""
    return set_task_status(
        conn, CANCELLED, now, _t.case_id == case_id, _t.status == OPEN, among(_t.kind, OUTREACH_STEPS)
    )


def steps_back_from(conn: Connection, caretaker_id: int, now: datetime) -> int:
    """A caretaker's account is closed (or their role changed): their open door knocks and postcards go to any
    caretaker, so another one sees them on the visits list. Returns how many."""
    changed = conn.execute(
        update(case_tasks)
        .where(_t.assignee_id == caretaker_id, _t.status == OPEN, among(_t.kind, CARETAKER_STEPS))
        .values(assignee_id=None, updated_at=now)
    )
    return int(changed.rowcount)


def never_reached_query(start: datetime, end: datetime) -> Select[Any]:
    """How many tenants outreach was tried on, first carried out in [start, end), and never reached: a step was
    carried out (a call or a knock not reached, a postcard left), none reached them, none is still open on an open
    case, and since the first step carried out they neither wrote nor were reached another way ("contact made"). A step
    nobody took — offered, then cancelled when its case closed or the tenant was erased — is no attempt: a tenant
    with only such steps is not counted, and such a step does not date the attempt. One row, one column."""
    # The day a step was carried out (done_at; one written before done_at was kept, its last change): a call
    # offered in one period and made in the next is an attempt of the next.
    first = (
        select(_t.tenant_id, func.min(func.coalesce(_t.done_at, _t.updated_at)).label("since"))
        .where(among(_t.kind, OUTREACH_STEPS), among(_t.status, _CARRIED_OUT))
        .group_by(_t.tenant_id)
        .subquery()
    )
    later = and_(_t.tenant_id == first.c.tenant_id, among(_t.kind, OUTREACH_STEPS))
    still_open = exists().where(later, _t.status == OPEN, _t.case_id.in_(_open_case_ids()))
    reached = or_(
        exists().where(later, _t.status == REACHED),
        exists().where(
            messages.c.tenant_id == first.c.tenant_id,
            messages.c.direction == literal_column("'in'"),
            messages.c.created_at >= first.c.since,
        ),
        exists()
        .where(
            case_events.c.kind == "contact",
            case_events.c.at >= first.c.since,
            case_events.c.case_id == cases.c.id,
            cases.c.tenant_id == first.c.tenant_id,
        )
        .correlate(first),
    )
    return (
        select(func.count())
        .select_from(first)
        .where(first.c.since >= start, first.c.since < end, ~still_open, ~reached)
    )


def _open_case_ids() -> Select[Any]:
    return select(cases.c.id).where(among(cases.c.status, OPEN_STATUSES))
