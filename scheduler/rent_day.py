"""Calendar facts for one planning day, computed once and shared by every tenant planned that day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from scheduler.calendar import (
    demand_deadline,
    demand_received,
    due_date,
    earliest_demand_day,
    last_on_time_day,
    next_bank_day,
)
from scheduler.model import PolicySettings, RentSnapshot
from scheduler.quiet import is_quiet_day

__all__ = [
    "EarlyDemand",
    "MissedRent",
    "RentDay",
    "before_due_day",
    "court_eve",
    "demanded_rent",
    "due_date_before",
    "early_demand",
    "last_demand_day",
    "period_of",
]

_DUE_DAYS = range(1, 32)
# A court-eve reminder looks at most this far back for a day it may go out on.
_EVE_SEARCH = 14
# Quiet days (holidays, Sundays, 24 and 31 December) never run longer than this.
_QUIET_RUN = 10
_SATURDAY = 5


def _planned_by(planned: date, latest: date) -> date:
    """`planned`, even a quiet day, when the first day from it that is not quiet is `latest` or earlier (the reminder
    then goes that day); else the last day before `planned` that is not quiet, so the reminder is not lost."""
    goes = planned
    while is_quiet_day(goes):
        goes += timedelta(days=1)
    if goes <= latest:
        return planned
    while is_quiet_day(planned):
        planned -= timedelta(days=1)
    return planned


def before_due_day(due: date, before_due_days: int) -> date:
    """The day a before-due reminder is planned for rent due on `due`: `before_due_days` before it, even a quiet day
    (it then goes on the next day that is not, still before the due date); but when the quiet days from then last
    until the due date, the last day before them that is not quiet, so the reminder is not lost."""
    return _planned_by(due - timedelta(days=before_due_days), due - timedelta(days=1))


def last_demand_day(deadline: date, offset: int) -> date:
    """The day the last påkrav reminder before `deadline` is planned: `offset` days before it, even a quiet day (a
    Sunday before a Monday deadline: it goes that Monday, still within the deadline); but when the quiet days from
    then last past the deadline day (a deadline on 24 or 31 December after a Sunday), the last day before them that
    is not quiet: the legal clock gives this reminder no later chance."""
    return _planned_by(deadline - timedelta(days=offset), deadline)


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


def demanded_rent(sent_on: date, due_day: int) -> date:
    """The due date of the rent a påkrav sent on `sent_on` concerns, the one rule for it: the latest rent whose last
    on-time day had passed by then. A påkrav can only demand rent already due and unpaid, and a payment on the last
    on-time day is on time, so one sent on the due day, or before the last on-time day it moved to, concerns the rent
    before."""
    due = due_date_before(sent_on, due_day)
    while last_on_time_day(due) >= sent_on:
        due = due_date_before(due, due_day)
    return due


@dataclass(frozen=True, slots=True)
class EarlyDemand:
    """A påkrav sent before the earliest day the law allows for the rent it concerns (`demanded_rent`): it may have
    no legal effect, which an adviser working with the fogedret must notice. For staff only, never the tenant."""

    sent_on: date
    due: date  # the rent it concerns (`demanded_rent`)
    earliest: date  # the earliest day a påkrav may be sent for rent due on `due`


def early_demand(sent_on: date | None, due_day: int) -> EarlyDemand | None:
    """The one rule for a påkrav sent too early: `sent_on` before the earliest påkrav day of the rent it concerns
    (`demanded_rent`: the latest rent whose last on-time day had passed); None when there is no påkrav or it is in
    time. A påkrav may in fact concern an older rent than that, so it is for a person to check."""
    if sent_on is None:
        return None
    due = demanded_rent(sent_on, due_day)
    earliest = earliest_demand_day(due)
    return EarlyDemand(sent_on, due, earliest) if sent_on < earliest else None


def court_eve(court_date: date) -> date:
    """The day of the second court-stage reminder: the last weekday (Monday to Friday) before the court
    date that is no holiday and no quiet day (24 and 31 December). It asks the tenant to call today, so
    it comes on a day the organisation's phones are open, never on the Saturday before a Monday."""
    d = court_date - timedelta(days=1)
    for _ in range(_EVE_SEARCH):
        if d.weekday() < _SATURDAY and not is_quiet_day(d):
            return d
        d -= timedelta(days=1)
    return d


@dataclass(frozen=True, slots=True)
class MissedRent:
    """The latest rent whose last on-time day has passed, and which balance dates can show it unpaid.

    A payment made at the tenant's bank on the last on-time day is on time but reaches the landlord's
    ledger a bank day later, so only a balance dated on or after `bank_day` (and before the next rent
    falls due) shows this rent missed.
    """

    due: date
    last_on_time: date
    bank_day: date
    next_due: date

    def shown_by(self, balance_as_of: date) -> bool:
        """True when a balance dated `balance_as_of` can show this rent unpaid."""
        return self.bank_day <= balance_as_of < self.next_due


class RentDay:
    """What the calendar says about one day, per due day and per påkrav, promise or court date."""

    def __init__(self, day: date, settings: PolicySettings) -> None:
        self.day = day
        self.settings = settings
        self.offsets = frozenset(settings.demand_offsets)
        self.last_offset = settings.last_demand_offset
        self.stale_before = day - timedelta(days=settings.balance_max_age_days)
        self.missed = self._missed_by_due_day(day)
        self.upcoming = self._upcoming_by_due_day(day, settings.before_due_days)
        self._deadlines: dict[date, date] = {}
        self._demand_days: dict[date, dict[int, date]] = {}
        self._promise_checks: dict[date, date] = {}
        self._eves: dict[date, date] = {}

    @staticmethod
    def _missed_by_due_day(day: date) -> dict[int, MissedRent]:
        # The latest due date whose first bank day after the last on-time day has come; a last on-time
        # day moves by a few days at most, so it is this month's, last month's or the one before.
        found: dict[int, MissedRent] = {}
        for due_day in _DUE_DAYS:
            for delta in (0, -1, -2):
                year, month = _month_shift(day.year, day.month, delta)
                due = due_date(year, month, due_day)
                last = last_on_time_day(due)
                bank_day = next_bank_day(last)
                if bank_day <= day:
                    next_year, next_month = _month_shift(year, month, 1)
                    found[due_day] = MissedRent(due, last, bank_day, due_date(next_year, next_month, due_day))
                    break
        return found

    @staticmethod
    def _upcoming_by_due_day(day: date, before_due_days: int) -> dict[int, date]:
        # The due dates whose before-due reminder is planned today: `before_due_days` before it, or earlier when
        # the quiet days from then would hold it until the due date (Christmas before a due date on the 27th).
        found: dict[int, date] = {}
        for ahead in range(before_due_days, before_due_days + _QUIET_RUN):
            target = day + timedelta(days=ahead)
            if before_due_day(target, before_due_days) != day:
                continue
            for due_day in _DUE_DAYS:
                if due_date(target.year, target.month, due_day) == target:
                    found[due_day] = target
        return found

    def is_stale(self, balance_as_of: date) -> bool:
        """True when balance data from `balance_as_of` is too old to act on."""
        return balance_as_of < self.stale_before

    def received(self, s: RentSnapshot) -> date | None:
        """The day the tenant's påkrav reached them (recorded, or sent plus the delivery days), if any."""
        return demand_received(s.demand_sent_on, s.demand_received_on, self.settings.demand_delivery_days)

    def deadline(self, received_on: date) -> date:
        """The computed deadline of a påkrav received on `received_on` (cached per day)."""
        found = self._deadlines.get(received_on)
        if found is None:
            found = demand_deadline(received_on)
            self._deadlines[received_on] = found
        return found

    def demand_days(self, deadline: date) -> dict[int, date]:
        """Offset -> the day that påkrav reminder is planned for this deadline: `offset` days before it, the last one
        earlier when quiet days would hold it past the deadline (`last_demand_day`) (cached per deadline)."""
        found = self._demand_days.get(deadline)
        if found is None:
            found = {offset: deadline - timedelta(days=offset) for offset in self.offsets}
            if self.last_offset is not None:
                found[self.last_offset] = last_demand_day(deadline, self.last_offset)
            self._demand_days[deadline] = found
        return found

    def promise_check_day(self, promise_on: date) -> date:
        """When a promise is checked: the first bank day after the promised day, the first day the landlord's ledger
        can show a payment made that day (a bank day later, as for "missed"); never a Saturday, nor the day after a
        holiday or a bank closing day, when a tenant who paid would still be asked (cached)."""
        found = self._promise_checks.get(promise_on)
        if found is None:
            found = next_bank_day(promise_on)
            self._promise_checks[promise_on] = found
        return found

    def is_court_eve(self, court_date: date) -> bool:
        """True when today is the day of the second reminder before this court date."""
        if not timedelta(0) < court_date - self.day <= timedelta(days=_EVE_SEARCH):
            return False
        found = self._eves.get(court_date)
        if found is None:
            found = court_eve(court_date)
            self._eves[court_date] = found
        return found == self.day
