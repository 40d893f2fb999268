"""Calendar facts for one planning day, computed once and shared by every tenant planned that day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from scheduler.calendar import demand_deadline, due_date, last_on_time_day, next_hverdag
from scheduler.model import PolicySettings

__all__ = ["MissedRent", "RentDay", "due_date_before", "period_of"]

_DUE_DAYS = range(1, 32)


def period_of(d: date) -> str:
    """The rent period 'YYYY-MM' a date falls in."""
    return f"{d.year:04d}-{d.month:02d}"


def _month_shift(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def due_date_before(d: date, due_day: int) -> date:
    """The latest due date strictly before `d` for a tenant with this due day."""
    due = due_date(d.year, d.month, due_day)
    if due < d:
        return due
    year, month = _month_shift(d.year, d.month, -1)
    return due_date(year, month, due_day)


@dataclass(frozen=True, slots=True)
class MissedRent:
    """A due date whose last on-time day ended just before the planning day."""

    due: date
    last_on_time: date


class RentDay:
    """What the calendar says about one day, per due day and per påkrav or promise date."""

    def __init__(self, day: date, settings: PolicySettings) -> None:
        self.day = day
        self.settings = settings
        self.offsets = frozenset(settings.demand_offsets)
        self.stale_before = day - timedelta(days=settings.balance_max_age_days)
        self.missed = self._missed_by_due_day(day)
        self.upcoming = self._upcoming_by_due_day(day, settings.before_due_days)
        self._deadlines: dict[date, date] = {}
        self._promise_checks: dict[date, date] = {}

    @staticmethod
    def _missed_by_due_day(day: date) -> dict[int, MissedRent]:
        # A last on-time day moves by at most a few days, so the missed rent is this month's or last's.
        found: dict[int, MissedRent] = {}
        for due_day in _DUE_DAYS:
            for delta in (-1, 0):
                year, month = _month_shift(day.year, day.month, delta)
                due = due_date(year, month, due_day)
                last = last_on_time_day(due)
                if next_hverdag(last) == day:
                    found[due_day] = MissedRent(due, last)
        return found

    @staticmethod
    def _upcoming_by_due_day(day: date, before_due_days: int) -> dict[int, date]:
        target = day + timedelta(days=before_due_days)
        found: dict[int, date] = {}
        for due_day in _DUE_DAYS:
            if due_date(target.year, target.month, due_day) == target:
                found[due_day] = target
        return found

    def is_stale(self, balance_as_of: date) -> bool:
        """True when balance data from `balance_as_of` is too old to act on."""
        return balance_as_of < self.stale_before

    def deadline(self, sent_on: date) -> date:
        """The computed deadline of a påkrav sent on `sent_on` (cached per day)."""
        found = self._deadlines.get(sent_on)
        if found is None:
            found = demand_deadline(sent_on, self.settings.demand_delivery_days)
            self._deadlines[sent_on] = found
        return found

    def promise_check_day(self, promise_on: date) -> date:
        """The hverdag after a promised payment date, when the promise is checked (cached)."""
        found = self._promise_checks.get(promise_on)
        if found is None:
            found = next_hverdag(promise_on)
            self._promise_checks[promise_on] = found
        return found
