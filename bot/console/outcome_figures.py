"""The outcome page's figures for one period: the funnel by stage and by channel, outcomes, days to contact,
delivery failures and cases closed over time, read by three queries (bot/console/outcome_queries.py)."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.console.outcome_period import SETTLED_WITHIN, STAGES, STEPS, Period
from bot.console.outcome_queries import closed_query, failures_query, funnel_query
from bot.i18n import N_
from bot.i18n import gettext as _
from bot.i18n import number as _number
from bot.i18n import percent as _percent
from conversations.model import TRIGGERS

__all__ = ["CHANNELS", "Outcomes", "Steps", "both_words", "load_outcomes", "number", "percent"]

CHANNELS = {"sms": "SMS", "telegram": "Telegram"}


# A CSV column or row named by a page's words that the page shows under a heading or in a column of their own: both,
# so a spreadsheet, where the heading is not, says what the page says ("Saldo tilbage på 0 (inden for 7 dage)",
# "Sager indgivet til fogedretten (Før)").
_BOTH = N_("%(words)s (%(detail)s)")


def both_words(words: str, detail: str) -> str:
    """A page's `words` and the `detail` they go with on the page, as one CSV cell (both in the reader's language)."""
    return _(_BOTH) % {"words": words, "detail": detail}


def number(n: float) -> str:
    """A count or a median as the page writes it, in the reader's language ('1.234' in Danish, '1,234' in English)."""
    return _number(n)


def percent(part: int, whole: int) -> str:
    """A share in whole per cent in the reader's language ('13 %' in Danish, '13%' in English), a half rounded up as a
    reader (and a spreadsheet) rounds it; a dash when there is nothing to share."""
    if whole == 0:
        return "–"
    whole_percent = (Decimal(100 * part) / whole).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return _percent(whole_percent / 100)


@dataclass(slots=True)
class Steps:
    """The funnel's counts for one group of tenants (all, a stage, a channel)."""

    label: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys((k for k, _ in STEPS), 0))
    # Of the reminded, those whose 7 and 14 days have run out (`waited`), and those of them whose balance reached 0
    # within those days (`settled`): a tenant reminded fewer days ago is still waiting, in neither.
    waited: dict[int, int] = field(default_factory=lambda: dict.fromkeys(SETTLED_WITHIN, 0))
    settled: dict[int, int] = field(default_factory=lambda: dict.fromkeys(SETTLED_WITHIN, 0))
    # The tenants reached, by whole days (24 hours) from their first reminder to an adviser's contact.
    contact_days: Counter[int] = field(default_factory=Counter)

    def add(self, row: Any) -> None:
        self.counts["reminded"] += int(row.reminded)
        self.counts["delivered"] += int(row.delivered or 0)
        self.counts["replied"] += int(row.replied or 0)
        self.counts["consented"] += int(row.consented or 0)
        self.counts["reached"] += int(row.reached or 0)
        self.counts["outcome"] += int(row.reminded) if row.outcome is not None else 0
        for n in SETTLED_WITHIN:
            self.waited[n] += int(row._mapping[f"waited_{n}"] or 0)
            self.settled[n] += int(row._mapping[f"settled_{n}"] or 0)
        if row.days is not None:
            self.contact_days[max(0, int(row.days))] += int(row.reached)

    @property
    def median_contact(self) -> float | None:
        """The median of the whole days from the first reminder to an adviser's contact; None when no one was
        reached."""
        days = sorted(self.contact_days.elements())
        return None if not days else float(statistics.median(days))

    @property
    def median_days(self) -> str:
        """The median as the page writes it ('2,5' in Danish); a dash when no one was reached."""
        median = self.median_contact
        return "–" if median is None else number(median)

    def share(self, step: str) -> str:
        return percent(self.counts[step], self.counts["reminded"])

    def waiting(self, n: int) -> int:
        """The reminded tenants whose `n` days have not run out yet: not counted within `n` days."""
        return self.counts["reminded"] - self.waited[n]


@dataclass(slots=True)
class Outcomes:
    """Every figure of the page for one period."""

    period: Period
    total: Steps
    by_stage: list[Steps]
    by_channel: list[Steps]
    outcomes: Counter[str]
    failures: list[tuple[str, str, int]]
    closed: list[tuple[str, Counter[str]]]  # (bucket label, outcomes) over time

    @property
    def contact_days(self) -> Counter[int]:
        return self.total.contact_days

    @property
    def median_days(self) -> str:
        return self.total.median_days


def _stage(trigger: str) -> str:
    """A stage (a trigger) as the page names it, in the reader's language."""
    return _(STAGES[trigger]) if trigger in STAGES else trigger


def _channel(channel: str) -> str:
    """A channel as the page names it."""
    return CHANNELS.get(channel, channel)


def _bucket_of(period: Period) -> Callable[[date], str]:
    """Closed cases over time: by week for up to 92 days (weeks from Monday, as a Danish calendar has them; the first
    from the period's first day), else by month."""
    if period.days <= 92:
        return lambda d: max(d - timedelta(days=d.weekday()), period.first).isoformat()
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
    total = Steps(_("All reminded tenants"))
    stages = {s: Steps(_stage(s)) for s in TRIGGERS if period.stage in (None, s)}
    channels: dict[str, Steps] = {}
    outcomes: Counter[str] = Counter()
    for row in (await conn.execute(funnel_query(dialect, period))).all():
        total.add(row)
        stages.setdefault(row.trigger, Steps(_stage(row.trigger))).add(row)
        channels.setdefault(row.channel, Steps(_channel(row.channel))).add(row)
        if row.outcome is not None:
            outcomes[row.outcome] += int(row.reminded)
    failures = [
        (row.channel or "–", row.error_code or _("none given"), int(row.n))
        for row in (await conn.execute(failures_query(period))).all()
    ]
    label = _bucket_of(period)
    over_time = {bucket: Counter[str]() for bucket in _buckets(period)}
    for row in (await conn.execute(closed_query(dialect, period))).all():
        closed_in = datetime.strptime(row.hour, "%Y-%m-%d %H").replace(tzinfo=UTC).astimezone(period.zone).date()
        day = min(max(closed_in, period.first), period.last)
        over_time[label(day)][row.outcome] += int(row.n)
    order = [c for c in CHANNELS if c in channels] + sorted(c for c in channels if c not in CHANNELS)
    return Outcomes(
        period,
        total,
        list(stages.values()),
        [channels[c] for c in order],
        outcomes,
        failures,
        list(over_time.items()),
    )
