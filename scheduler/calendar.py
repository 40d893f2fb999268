"""The Danish rent calendar: hverdage, bank days, due dates, the påkrav window and the tenant's deadline."""

from __future__ import annotations

import calendar as _stdlib_calendar
from datetime import date, timedelta
from functools import lru_cache

import holidays

__all__ = [
    "DEMAND_DEADLINE_DAYS",
    "HVERDAGE_BEFORE_DEMAND",
    "demand_deadline",
    "demand_received",
    "due_date",
    "earliest_demand_day",
    "easter",
    "is_bank_day",
    "is_legal_holiday",
    "last_on_time_day",
    "next_bank_day",
    "next_hverdag",
]

DEMAND_DEADLINE_DAYS = 14
HVERDAGE_BEFORE_DEMAND = 3

_ONE_DAY = timedelta(days=1)
_SATURDAY = 5
_SUNDAY = 6
# Grundlovsdag is no public holiday, but the lease rules treat it as one. The `holidays` package keeps
# it in the "optional" category next to 1 May, 24 and 31 December, which the rules do not treat so.
_GRUNDLOVSDAG = (6, 5)
# Banks also close on juleaftensdag, nytårsaftensdag and the Friday after Kristi himmelfartsdag; these days
# are ordinary days for the lease rules and only decide when a payment can show in the landlord's ledger.
_BANK_CLOSED = ((12, 24), (12, 31))
_FRIDAY_AFTER_ASCENSION = timedelta(days=40)  # Easter Sunday + 40


@lru_cache(maxsize=64)
def _holidays_in(year: int) -> frozenset[date]:
    """The public holidays of one year plus Grundlovsdag (ordinary Sundays excluded)."""
    public = holidays.country_holidays("DK", years=year, language="da")
    return frozenset(public.keys()) | {date(year, *_GRUNDLOVSDAG)}


def is_legal_holiday(d: date) -> bool:
    """True on a day the rent rules treat as a helligdag: a Sunday, a public holiday or Grundlovsdag."""
    return d.weekday() == _SUNDAY or d in _holidays_in(d.year)


def next_hverdag(d: date) -> date:
    """The first hverdag strictly after `d` (a Saturday counts)."""
    d += _ONE_DAY
    while is_legal_holiday(d):
        d += _ONE_DAY
    return d


@lru_cache(maxsize=64)
def easter(year: int) -> date:
    """Easter Sunday of a Gregorian year (the Meeus/Jones/Butcher algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (b - (b + 8) // 25 + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * weekday) // 451
    month, day = divmod(h + weekday - 7 * m + 114, 31)
    return date(year, month, day + 1)


def is_bank_day(d: date) -> bool:
    """True on a day Danish banks clear payments: no Saturday, Sunday, public holiday, Grundlovsdag,
    24 or 31 December, nor the Friday after Kristi himmelfartsdag."""
    if d.weekday() == _SATURDAY or is_legal_holiday(d) or (d.month, d.day) in _BANK_CLOSED:
        return False
    return d != easter(d.year) + _FRIDAY_AFTER_ASCENSION


def next_bank_day(d: date) -> date:
    """The first bank day strictly after `d`."""
    d += _ONE_DAY
    while not is_bank_day(d):
        d += _ONE_DAY
    return d


def _is_weekday_open(d: date) -> bool:
    return d.weekday() != _SATURDAY and not is_legal_holiday(d)


def _roll_to_weekday(d: date) -> date:
    """`d` itself, or the next day that is neither a Saturday, a Sunday nor a holiday."""
    while not _is_weekday_open(d):
        d += _ONE_DAY
    return d


def due_date(year: int, month: int, due_day: int) -> date:
    """The due date of one month's rent; a due day past the month's end means its last day."""
    if not 1 <= due_day <= 31:
        raise ValueError(f"due_day must be 1..31, got {due_day}")
    last = _stdlib_calendar.monthrange(year, month)[1]
    return date(year, month, min(due_day, last))


def last_on_time_day(due: date) -> date:
    """The last day a payment is on time: the due date, moved past Saturdays, Sundays and holidays."""
    return _roll_to_weekday(due)


def earliest_demand_day(due: date) -> date:
    """The first day a påkrav may be sent: the day after the 3rd hverdag after the last on-time day, or
    the next hverdag when that day is a Sunday or a holiday."""
    # Counting from the moved last on-time day (not the nominal due date) is the later reading
    # when the due date falls on a weekend, so a reminder never assumes a påkrav too early.
    d = last_on_time_day(due)
    for _ in range(HVERDAGE_BEFORE_DEMAND + 1):
        d = next_hverdag(d)
    return d


def demand_received(sent_on: date | None, received_on: date | None, delivery_days: int) -> date | None:
    """The day a påkrav reached the tenant: the recorded day, else the day it was sent plus the delivery
    time (0 for Digital Post, where a letter counts as received the day it is in the inbox); None when
    no påkrav is known."""
    if delivery_days < 0:
        raise ValueError(f"delivery_days must be >= 0, got {delivery_days}")
    if received_on is not None:
        return received_on
    if sent_on is None:
        return None
    return sent_on + timedelta(days=delivery_days)


def demand_deadline(received_on: date) -> date:
    """The tenant's last day to pay after a påkrav received on `received_on`: 14 days later, moved past a
    Saturday, a Sunday, a holiday or Grundlovsdag to the next weekday. The one place this is computed."""
    return _roll_to_weekday(received_on + timedelta(days=DEMAND_DEADLINE_DAYS))
