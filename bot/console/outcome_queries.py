"""The outcome page's SQL: the funnel of the tenants first reminded in a period, delivery failures, closed cases.

Each is one set-based query over indexes made for it (bot/store/schema.py), on SQLite and PostgreSQL alike; the
funnel groups its cohort by stage, channel, outcome and days to contact, so the page reads a few hundred rows
however many tenants there are.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    String,
    and_,
    case,
    cast,
    func,
    literal_column,
    or_,
    select,
)

from bot.console.outcome_period import SETTLED_WITHIN, Period, waited_until
from bot.host.appointments import TEXTS as APPOINTMENT_TEXTS
from bot.host.cases import CLOSED, RELEASED, TAKEN
from bot.host.consents import ADVISER_SCOPE
from bot.host.unseen import WENT_OUT
from bot.store.schema import (
    FAILED_STATUSES,
    balance_events,
    case_events,
    cases,
    consents,
    messages,
    outbox,
    planned_reminders,
)

__all__ = ["case_contact_query", "closed_query", "failures_query", "funnel_query", "staff_contact", "went_out"]

# What a staff message is, for "reached": the notices sent on taking, releasing and closing a case, and an
# appointment's confirmation, reminder and cancellation (written in the name of the staff member who booked it), are
# not contact.
_AUTOMATIC = (TAKEN, RELEASED, CLOSED, *APPOINTMENT_TEXTS)


def _days_between(dialect: str, later: Any, earlier: Any) -> ColumnElement[int]:
    """Whole days from `earlier` to `later` (timestamps), on either database."""
    if dialect == "sqlite":
        return cast(func.julianday(later) - func.julianday(earlier), Integer)
    return cast(func.floor(func.extract("epoch", later - earlier) / 86400), Integer)


def _hours_between(dialect: str, later: Any, earlier: Any) -> ColumnElement[int]:
    """Whole hours from `earlier` to `later` (timestamps), on either database."""
    if dialect == "sqlite":
        return cast((func.julianday(later) - func.julianday(earlier)) * 24, Integer)
    return cast(func.floor(func.extract("epoch", later - earlier) / 3600), Integer)


def _plus_days(dialect: str, day: Any, n: int) -> ColumnElement[Any]:
    if dialect == "sqlite":
        return func.date(day, f"+{n} days")
    return cast(day + literal_column(str(int(n))), Date)


def _earlier(a: Any, b: Any) -> ColumnElement[Any]:
    """The earlier of two nullable timestamps (SQLite's min() of two is NULL when one is)."""
    return case((a.is_(None), b), (b.is_(None), a), (a <= b, a), else_=b)


# Literal conditions, so both databases use the partial indexes made for this page (bot/store/schema.py).
_REPLY = literal_column("'in'", String)
_STAFF = literal_column("'staff:%'", String)
_REMINDER_KEY = literal_column("'rem:%'", String)


def _cohort(period: Period) -> Any:
    """The tenants first reminded in the period (at the stage): that reminder's stage, time and day, the channel
    its message went on and whether it was delivered. A reminder counts once its message went out (sent, or tried
    and failed): one the sender dropped (paid meanwhile), one held, one still queued, and one recorded while a
    person held the case (no message), reminded no one."""
    pr = planned_reminders.c
    # The reminder's message is the outbox row keyed `rem:<planned id>:0` (bot/reminders/plan.py: the first event
    # of the turn `rem:<planned id>`); its channel is the one it finally went on.
    o, rm = outbox.alias("o"), messages.alias("rm")
    key = literal_column("'rem:'", String) + cast(pr.id, String) + literal_column("':0'", String)
    where = [pr.planned_for >= period.first, pr.planned_for <= period.last, went_out(rm)]
    if period.stage is not None:
        where.append(pr.trigger == period.stage)
    nth = func.row_number().over(partition_by=pr.tenant_id, order_by=pr.id)
    delivered = or_(rm.c.status.in_(("delivered", "read")), and_(rm.c.channel == "telegram", rm.c.status == "sent"))
    ranked = (
        select(
            pr.tenant_id,
            pr.trigger,
            pr.created_at,
            pr.planned_for,
            o.c.channel,
            case((delivered, 1), else_=0).label("delivered"),
            nth.label("nth"),
        )
        .select_from(
            planned_reminders.join(o, and_(o.c.idempotency_key == key, o.c.idempotency_key.like(_REMINDER_KEY))).join(
                rm, rm.c.id == o.c.message_id
            )
        )
        .where(*where)
        .subquery()
    )
    return (
        select(
            ranked.c.tenant_id,
            ranked.c.trigger,
            ranked.c.created_at.label("at"),
            ranked.c.planned_for.label("day"),
            ranked.c.channel,
            ranked.c.delivered,
        )
        .where(ranked.c.nth == 1)
        .cte("cohort")
    )


def went_out(m: Any) -> ColumnElement[bool]:
    """A message that left keephome: sent, delivered or read, or tried and failed (literal statuses)."""
    went: ColumnElement[bool] = m.c.status.in_([literal_column(f"'{s}'") for s in (*WENT_OUT, *FAILED_STATUSES)])
    return went


def staff_contact(tenant_id: Any, since: Any) -> ColumnElement[bool]:
    """A message that is an adviser's contact with the tenant `tenant_id` from `since` on: one a person on the staff
    wrote that went out (a failed one, or one still waiting, reached no one), not the automatic notices (_AUTOMATIC)."""
    m = messages.c
    wrote: ColumnElement[bool] = and_(
        m.tenant_id == tenant_id,
        m.author.like(_STAFF),
        m.created_at >= since,
        or_(m.template.is_(None), m.template.not_in(_AUTOMATIC)),
        m.status.in_([literal_column(f"'{s}'") for s in WENT_OUT]),
    )
    return wrote


def funnel_query(dialect: str, period: Period) -> Any:
    """One row per (stage, channel, outcome, days to contact) with the counts of each step, and of the tenants whose
    7 and 14 days after the reminder have run out by the period's today (`waited_<n>`) and of those whose balance
    reached 0 in them (`settled_<n>`): a tenant reminded since is in neither.

    Each step is a set-based aggregate over the cohort, joined once: no subquery runs per tenant, and the
    tenants' replies and staff messages are read from partial indexes that hold only those.
    """
    c = _cohort(period)
    m = messages.c
    replied = (
        select(c.c.tenant_id)
        .select_from(
            c.join(messages, and_(m.tenant_id == c.c.tenant_id, m.direction == _REPLY, m.created_at >= c.c.at))
        )
        .group_by(c.c.tenant_id)
        .cte("replied")
    )
    staffed = (
        select(c.c.tenant_id, func.min(m.created_at).label("first_staff"))
        .select_from(c.join(messages, staff_contact(c.c.tenant_id, c.c.at)))
        .group_by(c.c.tenant_id)
        .cte("staffed")
    )
    agreed = (
        select(c.c.tenant_id)
        .select_from(
            c.join(
                consents,
                # Consented to an adviser reading along (a consent to share with a volunteer or the kommune is not).
                and_(
                    consents.c.tenant_id == c.c.tenant_id,
                    consents.c.scope == literal_column(f"'{ADVISER_SCOPE}'", String),
                    consents.c.given_at >= c.c.at,
                ),
            )
        )
        .group_by(c.c.tenant_id)
        .cte("agreed")
    )
    ce = case_events.c
    called = (
        select(c.c.tenant_id, func.min(ce.at).label("first_call"))
        .select_from(
            c.join(cases, cases.c.tenant_id == c.c.tenant_id).join(
                case_events, and_(ce.case_id == cases.c.id, ce.kind == "contact", ce.at >= c.c.at)
            )
        )
        .group_by(c.c.tenant_id)
        .cte("called")
    )
    latest = func.row_number().over(partition_by=c.c.tenant_id, order_by=(cases.c.closed_at.desc(), cases.c.id.desc()))
    closed = (
        select(c.c.tenant_id, cases.c.outcome, latest.label("nth"))
        .select_from(
            c.join(
                cases,
                and_(cases.c.tenant_id == c.c.tenant_id, cases.c.closed_at >= c.c.at, cases.c.outcome.is_not(None)),
            )
        )
        .cte("closed")
    )
    be = balance_events.c
    last = SETTLED_WITHIN[-1]
    settled = (
        select(
            c.c.tenant_id,
            *(
                func.max(case((be.as_of <= _plus_days(dialect, c.c.day, n), 1), else_=0)).label(f"settled_{n}")
                for n in SETTLED_WITHIN
            ),
        )
        .select_from(
            c.join(
                balance_events,
                and_(
                    be.tenant_id == c.c.tenant_id,
                    be.settled.is_(True),
                    be.as_of >= c.c.day,
                    be.as_of <= _plus_days(dialect, c.c.day, last),
                ),
            )
        )
        .group_by(c.c.tenant_id)
        .cte("settled")
    )
    reached_at = _earlier(staffed.c.first_staff, called.c.first_call)
    waited = {n: c.c.day <= waited_until(n, period.today) for n in SETTLED_WITHIN}
    per_tenant = (
        select(
            c.c.trigger,
            c.c.channel,
            c.c.delivered,
            case((replied.c.tenant_id.is_not(None), 1), else_=0).label("replied"),
            case((agreed.c.tenant_id.is_not(None), 1), else_=0).label("consented"),
            reached_at.label("reached_at"),
            c.c.at,
            closed.c.outcome,
            # Only a tenant whose n days have run out counts within n days, in the share and in its whole.
            *(case((waited[n], 1), else_=0).label(f"waited_{n}") for n in SETTLED_WITHIN),
            *(
                case((waited[n], func.coalesce(settled.c[f"settled_{n}"], 0)), else_=0).label(f"settled_{n}")
                for n in SETTLED_WITHIN
            ),
        )
        .select_from(
            c.outerjoin(replied, replied.c.tenant_id == c.c.tenant_id)
            .outerjoin(staffed, staffed.c.tenant_id == c.c.tenant_id)
            .outerjoin(agreed, agreed.c.tenant_id == c.c.tenant_id)
            .outerjoin(called, called.c.tenant_id == c.c.tenant_id)
            .outerjoin(closed, and_(closed.c.tenant_id == c.c.tenant_id, closed.c.nth == 1))
            .outerjoin(settled, settled.c.tenant_id == c.c.tenant_id)
        )
        .subquery("per_tenant")
    )
    t = per_tenant.c
    days = _days_between(dialect, t.reached_at, t.at)
    return select(
        t.trigger,
        t.channel,
        t.outcome,
        days.label("days"),
        func.count().label("reminded"),
        func.sum(t.delivered).label("delivered"),
        func.sum(t.replied).label("replied"),
        func.sum(t.consented).label("consented"),
        func.count(t.reached_at).label("reached"),
        *(func.sum(t[f"waited_{n}"]).label(f"waited_{n}") for n in SETTLED_WITHIN),
        *(func.sum(t[f"settled_{n}"]).label(f"settled_{n}") for n in SETTLED_WITHIN),
    ).group_by(t.trigger, t.channel, t.outcome, days)


def failures_query(period: Period) -> Any:
    m = messages.c
    # Literal statuses, so both databases use the partial index on failed messages (bot/store/schema.py).
    failed = m.status.in_([literal_column(f"'{s}'") for s in FAILED_STATUSES])
    n = func.count().label("n")
    return (
        select(m.channel, m.error_code, n)
        .where(failed, m.created_at >= period.start, m.created_at < period.end, m.direction == "out")
        .group_by(m.channel, m.error_code)
        .order_by(n.desc(), m.channel, m.error_code)
    )


def closed_query(dialect: str, period: Period) -> Any:
    """Cases closed in the period with an outcome, counted by the UTC hour they closed in (`hour`, text
    `YYYY-MM-DD HH`): the page puts each hour on its local day. Denmark's offsets are whole hours, so the hour
    says the local day exactly, across the changes of summer time (24-hour steps from the period's start did not:
    a case closed at 00:30 on 1 April counted in March)."""
    cs = cases.c
    if dialect == "sqlite":
        hour: ColumnElement[Any] = func.strftime("%Y-%m-%d %H", cs.closed_at)
    else:
        hour = func.to_char(func.timezone("UTC", cs.closed_at), "YYYY-MM-DD HH24")
    return (
        select(hour.label("hour"), cs.outcome, func.count().label("n"))
        .where(cs.status == "closed", cs.closed_at >= period.start, cs.closed_at < period.end, cs.outcome.is_not(None))
        .group_by(hour, cs.outcome)
    )


def case_contact_query(dialect: str, period: Period) -> Any:
    """The cases opened in the period, counted by the whole hours from their opening to an adviser's first contact
    (`hours`; None: not reached while the case was open): a message a person on the staff wrote that went out, or a
    "contact made" recorded on the case, as the funnel counts the reached (`staff_contact`). An erased tenant's cases
    count too."""
    cs = cases.c
    opened = (
        select(cs.id, cs.tenant_id, cs.opened_at, cs.closed_at)
        .where(cs.opened_at >= period.start, cs.opened_at < period.end)
        .cte("opened")
    )
    m = messages.c
    while_open = or_(opened.c.closed_at.is_(None), m.created_at <= opened.c.closed_at)
    staffed = (
        select(opened.c.id, func.min(m.created_at).label("first_staff"))
        .select_from(opened.join(messages, and_(staff_contact(opened.c.tenant_id, opened.c.opened_at), while_open)))
        .group_by(opened.c.id)
        .cte("case_staffed")
    )
    ce = case_events.c
    called = (
        select(opened.c.id, func.min(ce.at).label("first_call"))
        .select_from(
            opened.join(case_events, and_(ce.case_id == opened.c.id, ce.kind == "contact", ce.at >= opened.c.opened_at))
        )
        .group_by(opened.c.id)
        .cte("case_called")
    )
    per_case = (
        select(_earlier(staffed.c.first_staff, called.c.first_call).label("reached_at"), opened.c.opened_at)
        .select_from(
            opened.outerjoin(staffed, staffed.c.id == opened.c.id).outerjoin(called, called.c.id == opened.c.id)
        )
        .subquery("per_case")
    )
    hours = _hours_between(dialect, per_case.c.reached_at, per_case.c.opened_at)
    return select(hours.label("hours"), func.count().label("n")).group_by(hours)
