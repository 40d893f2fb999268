"""Quiet hours and quiet days: the earliest moment a proactive message may be sent."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from scheduler.calendar import is_legal_holiday

__all__ = ["QUIET_DAYS", "after_quiet_hours", "is_quiet_day", "is_quiet_time", "next_allowed_send"]

# Juleaftensdag and nytårsaftensdag are ordinary days for the lease rules (no legal date moves for them)
# but no day to send anyone a rent reminder.
QUIET_DAYS = ((12, 24), (12, 31))

# Holidays never come more than a few days in a row; this bound only stops a runaway loop.
_MAX_STEPS = 32


def is_quiet_time(local: time, quiet_start: time, quiet_end: time) -> bool:
    """True when a local wall-clock time lies in the quiet window [quiet_start, quiet_end)."""
    if quiet_start == quiet_end:
        return False
    if quiet_start < quiet_end:
        return quiet_start <= local < quiet_end
    return local >= quiet_start or local < quiet_end


def is_quiet_day(d: date) -> bool:
    """True on a day without proactive messages when holidays are quiet: a Sunday, a public holiday,
    Grundlovsdag, 24 or 31 December."""
    return is_legal_holiday(d) or (d.month, d.day) in QUIET_DAYS


def _at(d: date, t: time, tz: ZoneInfo) -> datetime:
    # A wall time that does not exist (spring forward) resolves to the real instant after the gap;
    # an ambiguous one (fall back) to its first occurrence.
    return datetime.combine(d, t, tzinfo=tz).astimezone(UTC).astimezone(tz)


def _end_of_quiet(local: datetime, quiet_start: time, quiet_end: time) -> date:
    """The local date on which the quiet window that contains `local` ends."""
    wraps = quiet_start > quiet_end
    if wraps and local.time().replace(tzinfo=None) >= quiet_start:
        return local.date() + timedelta(days=1)
    return local.date()


def _aware(now_utc: datetime) -> None:
    if now_utc.tzinfo is None or now_utc.utcoffset() is None:
        raise ValueError("now_utc must be timezone-aware")


def _past_quiet_hours(local: datetime, tz: ZoneInfo, quiet_start: time, quiet_end: time) -> datetime:
    """`local` itself outside the quiet window, else the local moment the window that contains it ends."""
    if is_quiet_time(local.time().replace(tzinfo=None), quiet_start, quiet_end):
        return _at(_end_of_quiet(local, quiet_start, quiet_end), quiet_end, tz)
    return local


def after_quiet_hours(now_utc: datetime, tz: ZoneInfo, quiet_start: time, quiet_end: time) -> datetime:
    """The first moment at or after `now_utc` outside the quiet window of the night, as aware UTC, on any day: the
    quiet days (`is_quiet_day`) keep rent reminders back, not word of what happened to a tenant's case."""
    _aware(now_utc)
    return _past_quiet_hours(now_utc.astimezone(tz), tz, quiet_start, quiet_end).astimezone(UTC)


def next_allowed_send(
    now_utc: datetime,
    tz: ZoneInfo,
    quiet_start: time,
    quiet_end: time,
    quiet_on_holidays: bool,
) -> datetime:
    """The first moment at or after `now_utc` a proactive message may be sent, as aware UTC."""
    _aware(now_utc)
    local = now_utc.astimezone(tz)
    for _ in range(_MAX_STEPS):
        day = local.date()
        # 24 and 31 December are no day for a rent reminder whatever the holiday setting says (the domain notes).
        if (quiet_on_holidays and is_quiet_day(day)) or (day.month, day.day) in QUIET_DAYS:
            local = _at(day + timedelta(days=1), time(0), tz)
        elif (after := _past_quiet_hours(local, tz, quiet_start, quiet_end)) != local:
            local = after
        else:
            return local.astimezone(UTC)
    raise RuntimeError("no allowed send time found within the search bound")
