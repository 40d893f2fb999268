"""The organisation's report's SQL: the steps of the rent path as dated events, kommune referrals and their
decisions, tenants outreach never reached, the go-live day and the yearly figures from before it.

Every query is an aggregate (counts by kind, decision or year): no name, no reference and no row of one tenant
leaves the database through here. The tenants reminded, reached and consented are the outcome page's own funnel
(bot/console/outcome_queries.py), never counted a second way.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import case, func, select

from bot.console.outcome_period import Period
from bot.store.schema import case_tasks, planned_reminders, referrals, rent_events, report_baselines

__all__ = [
    "OUTREACH_KINDS",
    "baselines_query",
    "events_query",
    "go_live_query",
    "outreach_query",
    "referrals_query",
]

# The tasks that try to reach a tenant who does not answer (bot/store/schema.py, case_tasks).
OUTREACH_KINDS = ("call", "knock", "postcard")


def events_query(first: date, last: date, kinds: tuple[str, ...] | None = None) -> Any:
    """The rent path's events dated `first` to `last` (inclusive), counted by kind: one row per kind seen."""
    e = rent_events.c
    n = func.count().label("n")
    query = select(e.kind, n).where(e.on >= first, e.on <= last)
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


def outreach_query(period: Period) -> Any:
    """The tenants with an outreach task (a call, a knock, a postcard) made in the period, in one row: how many,
    how many one of those tasks reached, how many are still being tried (a task open, none reached) and how many
    were never reached (every task done, none reached)."""
    t = case_tasks.c
    per_tenant = (
        select(
            t.tenant_id,
            func.max(case((t.status == "reached", 1), else_=0)).label("reached"),
            func.max(case((t.status == "open", 1), else_=0)).label("open"),
        )
        .where(t.kind.in_(OUTREACH_KINDS), t.created_at >= period.start, t.created_at < period.end)
        .group_by(t.tenant_id)
        .subquery("per_tenant")
    )
    p = per_tenant.c
    return select(
        func.count().label("tenants"),
        func.coalesce(func.sum(p.reached), 0).label("reached"),
        func.coalesce(func.sum(case(((p.reached == 0) & (p.open == 1), 1), else_=0)), 0).label("trying"),
        func.coalesce(func.sum(case(((p.reached == 0) & (p.open == 0), 1), else_=0)), 0).label("never"),
    ).select_from(per_tenant)


def go_live_query() -> Any:
    """The first day keephome reminded a tenant (a planned reminder's day): the start of the report's "after"."""
    return select(func.min(planned_reminders.c.planned_for))


def baselines_query() -> Any:
    """The yearly figures from before go-live, as an admin entered them, by year."""
    return select(report_baselines).order_by(report_baselines.c.year)
