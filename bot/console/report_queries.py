"""The organisation's report's SQL: the steps of the rent path as dated events, kommune referrals and their
decisions, the go-live day and the yearly figures from before it.

Every query is an aggregate (counts by kind, decision or year): no name, no reference and no row of one tenant
leaves the database through here. Two figures have their home elsewhere and are never counted a second way: the
tenants reminded, reached and consented are the outcome page's funnel (bot/console/outcome_queries.py), the
tenants outreach never reached are bot/host/outreach.py's `never_reached_query`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select

from bot.console.outcome_period import Period
from bot.store.schema import planned_reminders, referrals, rent_events, report_baselines

__all__ = [
    "baselines_query",
    "events_query",
    "go_live_query",
    "referrals_query",
]


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


def go_live_query() -> Any:
    """The first day keephome reminded a tenant (a planned reminder's day): the start of the report's "after"."""
    return select(func.min(planned_reminders.c.planned_for))


def baselines_query() -> Any:
    """The yearly figures from before go-live, as an admin entered them, by year."""
    return select(report_baselines).order_by(report_baselines.c.year)
