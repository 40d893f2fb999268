"""When a tenant can next reach the adviser by phone: the opening hours as days and times, and the first day on
which they are still ahead, so a text asks for a call "today" only when someone answers today."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from scheduler.quiet import is_quiet_day

__all__ = ["CALL_MARGIN_MINUTES", "REACHABLE", "WEEKDAYS", "OpeningSpan", "next_open_day", "open_until", "reachable"]

# What `reachable` says, each language's `common.call_day` text words it: today, tomorrow, or the weekday (0 is Monday).
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
REACHABLE = ("today", "tomorrow", *WEEKDAYS)

# Closed days never run longer than this (Christmas to New Year); an opening further away is not looked for.
_HORIZON = 14
# A weekday further ahead than this would read as one in the coming week.
_WEEK = 7
# A tenant told to call "today" needs the time to do it: with less than this left before closing, the next day the
# adviser answers is named instead.
CALL_MARGIN_MINUTES = 30


@dataclass(frozen=True, slots=True)
class OpeningSpan:
    """Days (0 is Monday) and the hours the adviser can be reached on them."""

    first_day: int
    last_day: int
    opens: time
    closes: time

    def covers(self, weekday: int) -> bool:
        """True on a weekday in the span ("fre-man" runs over the weekend)."""
        if self.first_day <= self.last_day:
            return self.first_day <= weekday <= self.last_day
        return weekday >= self.first_day or weekday <= self.last_day


def next_open_day(local: datetime, spans: Sequence[OpeningSpan]) -> date | None:
    """The first day, from `local`'s own (a wall-clock time where the organisation is), on which the adviser can still
    be reached: that day while one of its spans closes at least `CALL_MARGIN_MINUTES` later (open now, or opening
    later), else the next day a
    span covers. Never a quiet day (a Sunday, a public holiday, Grundlovsdag, 24 or 31 December): the organisation's
    phones are closed then, as `court_eve` assumes. None when no span opens within two weeks."""
    today = local.date()
    now = local.time().replace(tzinfo=None)
    for ahead in range(_HORIZON):
        day = today + timedelta(days=ahead)
        if is_quiet_day(day):
            continue
        if any(s.covers(day.weekday()) and (ahead > 0 or _still_ahead(now, s)) for s in spans):
            return day
    return None


def _still_ahead(now: time, span: OpeningSpan) -> bool:
    """A call can still be made today in `span`: at least `CALL_MARGIN_MINUTES` before it closes."""
    return now.hour * 60 + now.minute + CALL_MARGIN_MINUTES <= span.closes.hour * 60 + span.closes.minute


def open_until(now_utc: datetime, tz: ZoneInfo, spans: Sequence[OpeningSpan]) -> time | None:
    """When the adviser's line closes today, for a text that asks for a call "today" (`reachable`): the closing time
    of the first of today's spans a call can still be made in; None when none is (a call then goes another day)."""
    local = now_utc.astimezone(tz)
    if is_quiet_day(local.date()):
        return None
    now = local.time().replace(tzinfo=None)
    ends = [s.closes for s in spans if s.covers(local.weekday()) and _still_ahead(now, s)]
    return min(ends) if ends else None


def reachable(now_utc: datetime, tz: ZoneInfo, spans: Sequence[OpeningSpan]) -> str:
    """When a text sent at `now_utc` can ask for a call: "today", "tomorrow" or the weekday ("mon" … "sun") of the
    next open day (`next_open_day`); "" when it cannot say (no hours known, or a week or more away)."""
    if now_utc.tzinfo is None or now_utc.utcoffset() is None:
        raise ValueError("now_utc must be timezone-aware")
    local = now_utc.astimezone(tz)
    day = next_open_day(local, spans)
    if day is None:
        return ""
    ahead = (day - local.date()).days
    if ahead == 0:
        return "today"
    if ahead == 1:
        return "tomorrow"
    return WEEKDAYS[day.weekday()] if ahead < _WEEK else ""
