"""The organisation's report's SQL: the steps of the rent path as dated events, kommune referrals and their
decisions, the go-live day and the yearly figures from before it.

Every query is an aggregate (counts by kind, decision or year): no name, no reference and no row of one tenant
leaves the database through here. Some figures have their home elsewhere and are never counted a second way: the
tenants reminded, reached and consented are the outcome page's funnel, the cases opened and closed its
`case_contact_query` and `closed_query` (bot/console/outcome_queries.py); the tenants outreach never reached are
bot/host/outreach.py's `never_reached_query`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, and_, cast, func, literal_column, or_, select

from bot.console.outcome_period import Period
from bot.console.outcome_queries import went_out
from bot.store.schema import messages, outbox, planned_reminders, referrals, rent_events, report_baselines

__all__ = [
    "SET_WHEN_RECORDED",
    "baselines_query",
    "events_query",
    "go_live_query",
    "referrals_query",
]


# The steps counted by the day keephome first learned of them (`seen_at`: the import, the API or the adviser that
# brought them) rather than the day they name: a court date names the day the fogedret meets, weeks after it is
# set, and the report counts the court dates set in the period.
SET_WHEN_RECORDED = ("court_date",)


def events_query(period: Period, kinds: tuple[str, ...] | None = None) -> Any:
    """The rent path's events of the period's days, counted by kind: one row per kind seen. Each step counts on
    the day it happened (`on`), a court date on the day it was recorded (SET_WHEN_RECORDED)."""
    e = rent_events.c
    n = func.count().label("n")
    happened = and_(e.kind.not_in(SET_WHEN_RECORDED), e.on >= period.first, e.on <= period.last)
    recorded = and_(e.kind.in_(SET_WHEN_RECORDED), e.seen_at >= period.start, e.seen_at < period.end)
    query = select(e.kind, n).where(or_(happened, recorded))
    if kinds is not None:
        query = query.where(e.kind.in_(kinds))
    return query.group_by(e.kind)


def referrals_query(period: Period) -> Any:
    """The kommune referrals made in the period, counted by the decision they have now (None: pending)."""
    r = referrals.c
    return (
        select(r.decision, func.count().label("n"))
        .where(r.created_at >= period.start, r.created_at < period.end)
        .group_by(r.decision)
    )


def go_live_query() -> Any:
    """The first day keephome reminded a tenant (the day of a reminder whose message went out, as the funnel counts
    them): the start of the report's "after". Read in the order of the reminders' days, it stops at the first."""
    pr = planned_reminders.c
    o, m = outbox.alias("o"), messages.alias("m")
    key = literal_column("'rem:'", String) + cast(pr.id, String) + literal_column("':0'", String)
    return (
        select(pr.planned_for)
        .select_from(
            planned_reminders.join(o, and_(o.c.idempotency_key == key, o.c.idempotency_key.like("rem:%"))).join(
                m, m.c.id == o.c.message_id
            )
        )
        .where(went_out(m))
        .order_by(pr.planned_for)
        .limit(1)
    )


def baselines_query() -> Any:
    """The yearly figures from before go-live, as an admin entered them, by year."""
    return select(report_baselines).order_by(report_baselines.c.year)
