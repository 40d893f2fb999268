"""The outcome page's period and stage: what a request asks for, checked (a 422 for one that cannot be)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.console.web import FIRST_DAY, FormError, from_before_to, parse_day
from bot.i18n import N_, Labels

__all__ = [
    "DEFAULT_DAYS",
    "MAX_DAYS",
    "SETTLED_WITHIN",
    "STAGES",
    "STEPS",
    "Period",
    "calendar_periods",
    "period_of",
    "waited_until",
]

MAX_DAYS = 731  # two years: the longest period one page shows
DEFAULT_DAYS = 30
# Labels are msgids (N_), translated where the page shows them.
STAGES = {
    "before_due": N_("before the due day"),
    "missed": N_("rent missed"),
    "demand": N_("påkrav"),
    "court": N_("termination or court date"),
    "promise_check": N_("promise check"),
}
STEPS = (
    ("reminded", N_("Reminded")),
    ("delivered", N_("Delivered")),
    ("replied", N_("Replied")),
    ("consented", N_("Consented")),
    ("reached", N_("Reached by an adviser")),
    ("outcome", N_("Outcome recorded")),
)
SETTLED_WITHIN = (7, 14)


def waited_until(n: int, today: date) -> date:
    """The last reminder day whose `n` days have run out by `today`: the days from the reminder's day to `n` days
    after it (a balance of 0 on the ledger's day `n` days after the reminder is still "within n days") are all
    behind. Only a tenant reminded by then counts in the share of balances back to 0 within `n` days, settled or not:
    one reminded three days ago has not failed to pay within 7, and one who paid already counts once the 7 are over."""
    return today - timedelta(days=n + 1)


@dataclass(frozen=True, slots=True)
class Period:
    """Days `first` to `last` (inclusive, the organisation's time zone) and an optional stage (a trigger), read on
    `today` (the organisation's day): what happened after a reminder counts up to it."""

    first: date
    last: date
    stage: str | None
    zone: ZoneInfo
    today: date

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
    return parse_day(raw[:10], name) if raw.strip() else default


def period_of(params: Any, day: date, zone: ZoneInfo) -> Period:
    """The period a request asks for (default: the last 30 days); FormError (422) for one that cannot be. A period
    that runs past today ends today: the days ahead have no figures yet, and "after" must not count them."""
    last = min(_day(str(params.get("to", "")), "to", day), day)
    first = _day(str(params.get("from", "")), "from", max(last - timedelta(days=DEFAULT_DAYS - 1), FIRST_DAY))
    stage = str(params.get("stage", "")).strip() or None
    from_before_to(first, last)
    if (last - first).days + 1 > MAX_DAYS:
        raise FormError(N_("A period is at most %(days)d days."), days=MAX_DAYS)
    if stage is not None and stage not in STAGES:
        choices = Labels(STAGES.values())
        raise FormError(N_("'%(name)s' must be one of: %(choices)s (or empty for all)"), name="stage", choices=choices)
    return Period(first, last, stage, zone, day)


def _quarter(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _back(first: date, months: int) -> date:
    """The first day of the month `months` before the month that begins on `first`."""
    n = first.year * 12 + first.month - 1 - months
    return date(n // 12, n % 12 + 1, 1)


def calendar_periods(day: date) -> list[tuple[str, date, date]]:
    """The whole months, quarters and years an organisation reports on, as of `day` (today in its time zone): this
    one so far (to `day`) and the last one whole, each (label msgid, first day, last day)."""
    month, quarter, year = day.replace(day=1), _quarter(day), date(day.year, 1, 1)
    return [
        (N_("This month"), month, day),
        (N_("Last month"), _back(month, 1), month - timedelta(days=1)),
        (N_("This quarter"), quarter, day),
        (N_("Last quarter"), _back(quarter, 3), quarter - timedelta(days=1)),
        (N_("This year"), year, day),
        (N_("Last year"), date(day.year - 1, 1, 1), year - timedelta(days=1)),
    ]
