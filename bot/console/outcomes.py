"""The outcome page: what the reminders and the advisers change, for a period and a stage, computed in SQL.

The funnel follows the tenants first reminded in the period (at the chosen stage, or at any): reminded →
delivered (the reminder's message reached the phone; Telegram has no delivery receipt, so sent counts) →
replied (they wrote back) → consented (to an adviser reading along) → reached (the first message a person on
the staff wrote them, or a "contact made" an adviser recorded for a call) → an outcome (a case of theirs
closed with one) — everything after their first reminder in the period counts, up to today. Each tenant
counts under the stage and the channel of that first reminder. Beside it: the days from the first reminder
to the adviser's contact, delivery failures by error code, outcomes by type over time, and the share of
reminded tenants whose balance reached 0 within 7 and 14 days of the reminder, by ledger date
(`balance_events`). Every chart is an SVG drawn on the server and has a CSV download (bot/tenants/csv_out.py).
The SQL groups the cohort by stage, channel, outcome and days to contact, so the page reads a few hundred
rows however many tenants there are.
"""

from __future__ import annotations

import io
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal
from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    String,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.console.audit import record
from bot.console.sessions import StaffSession, guard
from bot.console.web import FormError, NotFound, now, render, runtime, today
from bot.host.cases import OUTCOMES
from bot.store.schema import (
    FAILED_STATUSES,
    UTCDateTime,
    balance_events,
    case_events,
    cases,
    consents,
    messages,
    outbox,
    planned_reminders,
)
from bot.tenants.csv_out import CsvWriter
from conversations.model import TRIGGERS

__all__ = ["CHARTS", "MAX_DAYS", "Outcomes", "Period", "load_outcomes", "period_of", "routes"]

MAX_DAYS = 731  # two years: the longest period one page shows
DEFAULT_DAYS = 30
STAGES = {
    "before_due": "before the due day",
    "missed": "rent missed",
    "demand": "påkrav",
    "court": "termination or court date",
    "promise_check": "promise check",
}
CHANNELS = {"sms": "SMS", "telegram": "Telegram", "none": "no message (a person held the case)"}
OUTCOME_LABELS = {
    "paid": "paid",
    "payment_plan": "payment plan",
    "kommune": "kommune",
    "boligstoette": "boligstøtte",
    "debt_counselling": "debt counselling",
    "no_contact": "no contact",
    "moved": "moved",
    "other": "other",
}
OUTCOME_COLOURS = {
    "paid": "#1e7d32",
    "payment_plan": "#66bb6a",
    "kommune": "#0b5cad",
    "boligstoette": "#64a0dc",
    "debt_counselling": "#8e24aa",
    "no_contact": "#b3261e",
    "moved": "#e65100",
    "other": "#5f6b76",
}
STEPS = (
    ("reminded", "Reminded"),
    ("delivered", "Delivered"),
    ("replied", "Replied"),
    ("consented", "Consented"),
    ("reached", "Reached by an adviser"),
    ("outcome", "Outcome recorded"),
)
# Days from the first reminder to the adviser's contact, as the histogram groups them: (label, first, last).
DAY_BUCKETS = (
    ("same day", 0, 0),
    ("1 day", 1, 1),
    ("2–3", 2, 3),
    ("4–7", 4, 7),
    ("8–14", 8, 14),
    ("15–30", 15, 30),
    ("over 30", 31, None),
)
SETTLED_WITHIN = (7, 14)
# What a staff message is, for "reached": the notices sent on taking and closing a case are not contact.
_AUTOMATIC = ("case.taken", "case.closed")
_FAILED_SHOWN = 12


def _number(n: float) -> str:
    return str(format_decimal(n, locale="da_DK"))


def _percent(part: int, whole: int) -> str:
    return "–" if whole == 0 else f"{round(100 * part / whole)} %"


# ---------------------------------------------------------------- the period


@dataclass(frozen=True, slots=True)
class Period:
    """Days `first` to `last` (inclusive, the organisation's time zone) and an optional stage (a trigger)."""

    first: date
    last: date
    stage: str | None
    zone: ZoneInfo

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(0), self.zone)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(0), self.zone)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def query(self) -> str:
        """The period as the query string of the page and its downloads."""
        return f"from={self.first.isoformat()}&to={self.last.isoformat()}&stage={self.stage or ''}"


def _day(raw: str, name: str, default: date) -> date:
    if not raw.strip():
        return default
    try:
        return date.fromisoformat(raw.strip()[:10])
    except ValueError:
        raise FormError(f"'{name}' must be a date like 2026-03-01") from None


def period_of(params: Any, day: date, zone: ZoneInfo) -> Period:
    """The period a request asks for (default: the last 30 days); FormError (422) for one that cannot be."""
    last = _day(str(params.get("to", "")), "to", day)
    first = _day(str(params.get("from", "")), "from", last - timedelta(days=DEFAULT_DAYS - 1))
    stage = str(params.get("stage", "")).strip() or None
    if first > last:
        raise FormError("'from' is after 'to'")
    if (last - first).days + 1 > MAX_DAYS:
        raise FormError(f"a period is at most {MAX_DAYS} days")
    if stage is not None and stage not in TRIGGERS:
        raise FormError(f"'stage' must be one of: {', '.join(TRIGGERS)} (or empty for all)")
    return Period(first, last, stage, zone)


# ---------------------------------------------------------------- SQL


def _days_between(dialect: str, later: Any, earlier: Any) -> ColumnElement[int]:
    """Whole days from `earlier` to `later` (timestamps), on either database."""
    if dialect == "sqlite":
        return cast(func.julianday(later) - func.julianday(earlier), Integer)
    return cast(func.floor(func.extract("epoch", later - earlier) / 86400), Integer)


def _plus_days(dialect: str, day: Any, n: int) -> ColumnElement[Any]:
    if dialect == "sqlite":
        return func.date(day, f"+{n} days")
    return cast(day + literal_column(str(int(n))), Date)


def _moment(dialect: str, name: str, value: datetime) -> ColumnElement[Any]:
    """A timestamp parameter to compute with (PostgreSQL must be told its type; SQLite takes the text)."""
    param = bindparam(name, value, type_=UTCDateTime())
    return param if dialect == "sqlite" else cast(param, UTCDateTime())


def _earlier(a: Any, b: Any) -> ColumnElement[Any]:
    """The earlier of two nullable timestamps (SQLite's min() of two is NULL when one is)."""
    return case((a.is_(None), b), (b.is_(None), a), (a <= b, a), else_=b)


# Literal conditions, so both databases use the partial indexes made for this page (bot/store/schema.py).
_REPLY = literal_column("'in'", String)
_STAFF = literal_column("'staff:%'", String)
_REMINDER_KEY = literal_column("'rem:%'", String)


def _cohort(period: Period) -> Any:
    """The tenants first reminded in the period (at the stage): that reminder's stage, time and day, the channel
    its message went on and whether it was delivered."""
    pr = planned_reminders.c
    where = [pr.planned_for >= period.first, pr.planned_for <= period.last]
    if period.stage is not None:
        where.append(pr.trigger == period.stage)
    nth = func.row_number().over(partition_by=pr.tenant_id, order_by=pr.id)
    ranked = (
        select(pr.id, pr.tenant_id, pr.trigger, pr.created_at, pr.planned_for, nth.label("nth"))
        .where(*where)
        .subquery()
    )
    # The reminder's message is the outbox row keyed `rem:<planned id>:0` (bot/reminders/plan.py: the first event
    # of the turn `rem:<planned id>`); its channel is the one it finally went on.
    o, rm = outbox.alias("o"), messages.alias("rm")
    key = literal_column("'rem:'", String) + cast(ranked.c.id, String) + literal_column("':0'", String)
    delivered = or_(rm.c.status.in_(("delivered", "read")), and_(rm.c.channel == "telegram", rm.c.status == "sent"))
    return (
        select(
            ranked.c.tenant_id,
            ranked.c.trigger,
            ranked.c.created_at.label("at"),
            ranked.c.planned_for.label("day"),
            func.coalesce(o.c.channel, "none").label("channel"),
            case((delivered, 1), else_=0).label("delivered"),
        )
        .select_from(
            ranked.outerjoin(o, and_(o.c.idempotency_key == key, o.c.idempotency_key.like(_REMINDER_KEY))).outerjoin(
                rm, rm.c.id == o.c.message_id
            )
        )
        .where(ranked.c.nth == 1)
        .cte("cohort")
    )


def _funnel_query(dialect: str, period: Period) -> Any:
    """One row per (stage, channel, outcome, days to contact) with the counts of each step.

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
    wrote = and_(
        m.tenant_id == c.c.tenant_id,
        m.author.like(_STAFF),
        m.created_at >= c.c.at,
        or_(m.template.is_(None), m.template.not_in(_AUTOMATIC)),
    )
    staffed = (
        select(c.c.tenant_id, func.min(m.created_at).label("first_staff"))
        .select_from(c.join(messages, wrote))
        .group_by(c.c.tenant_id)
        .cte("staffed")
    )
    agreed = (
        select(c.c.tenant_id)
        .select_from(c.join(consents, and_(consents.c.tenant_id == c.c.tenant_id, consents.c.given_at >= c.c.at)))
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
            *(func.coalesce(settled.c[f"settled_{n}"], 0).label(f"settled_{n}") for n in SETTLED_WITHIN),
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
        *(func.sum(t[f"settled_{n}"]).label(f"settled_{n}") for n in SETTLED_WITHIN),
    ).group_by(t.trigger, t.channel, t.outcome, days)


def _failures_query(period: Period) -> Any:
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


def _closed_query(dialect: str, period: Period) -> Any:
    cs = cases.c
    offset = _days_between(dialect, cs.closed_at, _moment(dialect, "period_start", period.start))
    return (
        select(offset.label("offset"), cs.outcome, func.count().label("n"))
        .where(cs.status == "closed", cs.closed_at >= period.start, cs.closed_at < period.end, cs.outcome.is_not(None))
        .group_by(offset, cs.outcome)
    )


# ---------------------------------------------------------------- figures


@dataclass(slots=True)
class Steps:
    """The funnel's counts for one group of tenants (all, a stage, a channel)."""

    label: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys((k for k, _ in STEPS), 0))
    settled: dict[int, int] = field(default_factory=lambda: dict.fromkeys(SETTLED_WITHIN, 0))

    def add(self, row: Any) -> None:
        self.counts["reminded"] += int(row.reminded)
        self.counts["delivered"] += int(row.delivered or 0)
        self.counts["replied"] += int(row.replied or 0)
        self.counts["consented"] += int(row.consented or 0)
        self.counts["reached"] += int(row.reached or 0)
        self.counts["outcome"] += int(row.reminded) if row.outcome is not None else 0
        for n in SETTLED_WITHIN:
            self.settled[n] += int(row._mapping[f"settled_{n}"] or 0)

    def share(self, step: str) -> str:
        return _percent(self.counts[step], self.counts["reminded"])


@dataclass(slots=True)
class Outcomes:
    """Every figure of the page for one period."""

    period: Period
    total: Steps
    by_stage: list[Steps]
    by_channel: list[Steps]
    outcomes: Counter[str]
    contact_days: Counter[int]
    failures: list[tuple[str, str, int]]
    closed: list[tuple[str, Counter[str]]]  # (bucket label, outcomes) over time

    @property
    def median_days(self) -> str:
        days = sorted(self.contact_days.elements())
        return "–" if not days else _number(statistics.median(days))


def _bucket_of(period: Period) -> Callable[[date], str]:
    """Closed cases over time: by week for up to 92 days, else by month."""
    if period.days <= 92:
        return lambda d: (d - timedelta(days=(d - period.first).days % 7)).isoformat()
    return lambda d: d.strftime("%Y-%m")


def _buckets(period: Period) -> list[str]:
    label = _bucket_of(period)
    seen: dict[str, None] = {}
    for n in range(period.days):
        seen.setdefault(label(period.first + timedelta(days=n)))
    return list(seen)


async def load_outcomes(conn: AsyncConnection, period: Period) -> Outcomes:
    """Every figure of the outcome page, in three queries on a read connection."""
    dialect = conn.dialect.name
    total = Steps("All reminded tenants")
    stages = {s: Steps(STAGES[s]) for s in TRIGGERS if period.stage in (None, s)}
    channels: dict[str, Steps] = {}
    outcomes: Counter[str] = Counter()
    contact_days: Counter[int] = Counter()
    for row in (await conn.execute(_funnel_query(dialect, period))).all():
        total.add(row)
        stages.setdefault(row.trigger, Steps(STAGES.get(row.trigger, row.trigger))).add(row)
        channels.setdefault(row.channel, Steps(CHANNELS.get(row.channel, row.channel))).add(row)
        if row.outcome is not None:
            outcomes[row.outcome] += int(row.reminded)
        if row.days is not None:
            contact_days[max(0, int(row.days))] += int(row.reached)
    failures = [
        (row.channel or "–", row.error_code or "none given", int(row.n))
        for row in (await conn.execute(_failures_query(period))).all()
    ]
    label = _bucket_of(period)
    over_time = {bucket: Counter[str]() for bucket in _buckets(period)}
    for row in (await conn.execute(_closed_query(dialect, period))).all():
        offset = min(max(int(row.offset), 0), period.days - 1)
        over_time[label(period.first + timedelta(days=offset))][row.outcome] += int(row.n)
    order = [c for c in CHANNELS if c in channels] + sorted(c for c in channels if c not in CHANNELS)
    return Outcomes(
        period,
        total,
        list(stages.values()),
        [channels[c] for c in order],
        outcomes,
        contact_days,
        failures,
        list(over_time.items()),
    )


# ---------------------------------------------------------------- charts (SVG geometry for the template)


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar of a horizontal bar chart: a label, its value as text, and its length from 0 to 1."""

    label: str
    shown: str
    fraction: float
    colour: str = "#0b5cad"


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a stacked column chart: a label and its segments (colour, height from 0 to 1, count)."""

    label: str
    segments: tuple[tuple[str, float, float, int], ...]  # (colour, bottom, height, count), all 0..1
    total: int

    @property
    def filled(self) -> float:
        """How high the column reaches, from 0 to 1."""
        return sum(height for _, _, height, _ in self.segments)


def _bars(items: Iterable[tuple[str, int, str]], colour: str = "#0b5cad") -> list[Bar]:
    found = list(items)
    top = max((n for _, n, _ in found), default=0)
    return [Bar(label, shown, 0 if top == 0 else n / top, colour) for label, n, shown in found]


def funnel_bars(total: Steps) -> list[Bar]:
    """The funnel: each step's count and its share of the reminded."""
    reminded = total.counts["reminded"]
    return [
        Bar(
            label,
            f"{_number(total.counts[key])} ({total.share(key)})",
            0 if not reminded else total.counts[key] / reminded,
        )
        for key, label in STEPS
    ]


def contact_bars(days: Counter[int]) -> list[Bar]:
    """The days from the first reminder to the adviser's contact, in buckets."""
    counts = [
        (label, sum(n for d, n in days.items() if d >= low and (high is None or d <= high)))
        for label, low, high in DAY_BUCKETS
    ]
    return _bars(((label, n, _number(n)) for label, n in counts), "#12355b")


def failure_bars(failures: Sequence[tuple[str, str, int]]) -> list[Bar]:
    """Delivery failures by channel and error code, the most frequent first."""
    shown = failures[:_FAILED_SHOWN]
    names = {"sms": "SMS", "telegram": "Telegram"}
    return _bars(((f"{names.get(ch, ch)} {code}", n, _number(n)) for ch, code, n in shown), "#b3261e")


def settled_bars(stages: Sequence[Steps]) -> list[tuple[str, list[Bar]]]:
    """For each stage, the share of its reminded tenants whose balance reached 0 within 7 and 14 days."""
    groups = []
    for steps in stages:
        reminded = steps.counts["reminded"]
        bars = [
            Bar(
                f"within {n} days",
                f"{_percent(steps.settled[n], reminded)} ({_number(steps.settled[n])} of {_number(reminded)})",
                0 if not reminded else steps.settled[n] / reminded,
                "#1e7d32" if n == SETTLED_WITHIN[0] else "#66bb6a",
            )
            for n in SETTLED_WITHIN
        ]
        groups.append((steps.label, bars))
    return groups


def closed_columns(closed: Sequence[tuple[str, Counter[str]]]) -> list[Column]:
    """Outcomes by type over time: one stacked column per week or month."""
    top = max((sum(c.values()) for _, c in closed), default=0)
    columns = []
    for label, counts in closed:
        bottom = 0.0
        segments = []
        for outcome in OUTCOMES:
            n = counts.get(outcome, 0)
            if n and top:
                segments.append((OUTCOME_COLOURS[outcome], bottom, n / top, n))
                bottom += n / top
        columns.append(Column(label, tuple(segments), sum(counts.values())))
    return columns


# ---------------------------------------------------------------- CSV downloads


def _funnel_rows(found: Outcomes) -> Iterable[list[object]]:
    yield ["group", "value", *(key for key, _ in STEPS), *(f"balance_0_within_{n}_days" for n in SETTLED_WITHIN)]
    groups = [("all", "all", found.total)]
    groups += [("stage", s.label, s) for s in found.by_stage]
    groups += [("channel", s.label, s) for s in found.by_channel]
    for group, value, steps in groups:
        yield [group, value, *(steps.counts[key] for key, _ in STEPS), *(steps.settled[n] for n in SETTLED_WITHIN)]
    for outcome in OUTCOMES:
        yield ["outcome", OUTCOME_LABELS[outcome], "", "", "", "", "", found.outcomes.get(outcome, 0), "", ""]


def _contact_rows(found: Outcomes) -> Iterable[list[object]]:
    yield ["days_from_first_reminder_to_contact", "tenants"]
    for day in sorted(found.contact_days):
        yield [day, found.contact_days[day]]


def _failure_rows(found: Outcomes) -> Iterable[list[object]]:
    yield ["channel", "error_code", "messages"]
    yield from ([channel, code, n] for channel, code, n in found.failures)


def _closed_rows(found: Outcomes) -> Iterable[list[object]]:
    yield ["from", *OUTCOMES]
    for label, counts in found.closed:
        yield [label, *(counts.get(o, 0) for o in OUTCOMES)]


def _settled_rows(found: Outcomes) -> Iterable[list[object]]:
    yield ["stage", "reminded", *(f"balance_0_within_{n}_days" for n in SETTLED_WITHIN)]
    for steps in found.by_stage:
        yield [steps.label, steps.counts["reminded"], *(steps.settled[n] for n in SETTLED_WITHIN)]


CHARTS: dict[str, Callable[[Outcomes], Iterable[list[object]]]] = {
    "funnel": _funnel_rows,
    "contact": _contact_rows,
    "failures": _failure_rows,
    "outcomes": _closed_rows,
    "balance": _settled_rows,
}


# ---------------------------------------------------------------- routes


async def _load(request: Request) -> Outcomes:
    rt = runtime(request)
    period = period_of(request.query_params, today(request), ZoneInfo(rt.settings.timezone))
    async with rt.db.read() as conn:
        return await load_outcomes(conn, period)


@guard("admin", "adviser")
async def _outcomes_page(request: Request, me: StaffSession) -> Response:
    found = await _load(request)
    return render(
        request,
        "outcomes.html",
        found=found,
        period=found.period,
        stages=STAGES,
        steps=STEPS,
        funnel=funnel_bars(found.total),
        contact=contact_bars(found.contact_days),
        failures=failure_bars(found.failures),
        failures_left=max(0, len(found.failures) - _FAILED_SHOWN),
        settled=settled_bars(found.by_stage),
        settled_within=SETTLED_WITHIN,
        columns=closed_columns(found.closed),
        outcome_labels=OUTCOME_LABELS,
        outcome_colours=OUTCOME_COLOURS,
        number=_number,
        percent=_percent,
    )


@guard("admin", "adviser")
async def _outcomes_csv(request: Request, me: StaffSession) -> Response:
    chart = str(request.path_params.get("chart", ""))
    rows = CHARTS.get(chart)
    if rows is None:
        raise NotFound("There is no such chart.")
    found = await _load(request)
    out = io.StringIO()
    CsvWriter(out).writerows(rows(found))
    period = found.period
    async with runtime(request).db.write() as conn:
        await record(
            conn, now(request), me.actor, "outcomes.export", None, f"chart={chart} {period.query().replace('&', ' ')}"
        )
    name = f"keephome-{chart}-{period.first.isoformat()}-{period.last.isoformat()}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


def routes() -> list[BaseRoute]:
    """The page and its downloads."""
    return [
        Route("/console/outcomes", _outcomes_page, methods=["GET"]),
        Route("/console/outcomes/{chart}.csv", _outcomes_csv, methods=["GET"]),
    ]
