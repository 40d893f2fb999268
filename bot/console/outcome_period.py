"""The outcome page's period and stage: what a request asks for, checked (a 422 for one that cannot be)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.console.web import FormError
from conversations.model import TRIGGERS

__all__ = ["DEFAULT_DAYS", "MAX_DAYS", "SETTLED_WITHIN", "STAGES", "STEPS", "Period", "period_of"]

MAX_DAYS = 731  # two years: the longest period one page shows
DEFAULT_DAYS = 30
STAGES = {
    "before_due": "before the due day",
    "missed": "rent missed",
    "demand": "påkrav",
    "court": "termination or court date",
    "promise_check": "promise check",
}
STEPS = (
    ("reminded", "Reminded"),
    ("delivered", "Delivered"),
    ("replied", "Replied"),
    ("consented", "Consented"),
    ("reached", "Reached by an adviser"),
    ("outcome", "Outcome recorded"),
)
SETTLED_WITHIN = (7, 14)


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
