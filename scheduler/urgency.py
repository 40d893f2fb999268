"""Case urgency: where a rent position stands on the legal clock, and a priority that sorts the advisers' queue."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal, Protocol

from scheduler.calendar import demand_deadline, demand_received
from scheduler.rent_day import due_date_before

__all__ = [
    "DemandDates",
    "RentPosition",
    "Stage",
    "case_priority",
    "demand_deadline_of",
    "running_deadline",
    "urgency_of",
]

Stage = Literal["court", "termination", "demand", "overdue", ""]

# Tiers of the legal clock, most urgent first; within a tier the earliest date wins.
_TIERS: dict[Stage, int] = {"court": 4, "termination": 3, "demand": 2, "overdue": 1}
_TIER = 100_000_000
_FAR_DAY = date(2200, 1, 1).toordinal()
# An overdue balance counts back at most this many monthly rents.
_MAX_MONTHS = 24


class DemandDates(Protocol):
    """The påkrav and court-path dates of a rent position (a database row or a `RentSnapshot` fits)."""

    @property
    def demand_sent_on(self) -> date | None: ...
    @property
    def demand_received_on(self) -> date | None: ...
    @property
    def termination_on(self) -> date | None: ...
    @property
    def court_date(self) -> date | None: ...


class RentPosition(DemandDates, Protocol):
    """The fields of a tenant's rent position the legal clock reads (a database row fits)."""

    @property
    def balance_ore(self) -> int: ...
    @property
    def balance_as_of(self) -> date | None: ...
    @property
    def monthly_rent_ore(self) -> int | None: ...
    @property
    def due_day(self) -> int | None: ...


def _oldest_unpaid_due(position: RentPosition, as_of: date) -> date:
    """The due date the oldest unpaid rent fell on: one month back per monthly rent owed as of `as_of`."""
    due_day = position.due_day or 1
    months = 1
    if position.monthly_rent_ore:
        months = max(1, min(-(-position.balance_ore // position.monthly_rent_ore), _MAX_MONTHS))
    latest = due_date_before(as_of + timedelta(days=1), due_day)
    for _ in range(months - 1):
        latest = due_date_before(latest, due_day)
    return latest


def demand_deadline_of(position: DemandDates | None, delivery_days: int = 0) -> date | None:
    """The computed deadline of the position's påkrav (received, or sent plus `delivery_days`), if any."""
    if position is None:
        return None
    received = demand_received(position.demand_sent_on, position.demand_received_on, delivery_days)
    return None if received is None else demand_deadline(received)


def running_deadline(position: DemandDates | None, today: date, delivery_days: int = 0) -> date | None:
    """The påkrav deadline while the påkrav runs: not passed, and no termination or court date known (the
    court stage never speaks of that deadline); else None. What a conversation is told as its deadline."""
    if position is None or position.termination_on is not None or position.court_date is not None:
        return None
    deadline = demand_deadline_of(position, delivery_days)
    return deadline if deadline is not None and deadline >= today else None


def urgency_of(position: RentPosition | None, delivery_days: int = 0) -> tuple[Stage, date | None]:
    """Where a rent position stands on the legal clock ('court', 'termination', 'demand', 'overdue' or '')
    and the date that drives it (for 'demand' the computed påkrav deadline)."""
    if position is None:
        return "", None
    owes = position.balance_ore > 0
    if position.court_date is not None:
        return "court", position.court_date
    if position.termination_on is not None:
        return "termination", position.termination_on
    deadline = demand_deadline_of(position, delivery_days)
    if deadline is not None and owes:
        return "demand", deadline
    if owes and position.balance_as_of is not None:
        return "overdue", _oldest_unpaid_due(position, position.balance_as_of)
    return "", None


def case_priority(position: RentPosition | None, today: date, delivery_days: int = 0) -> int:
    """A sortable urgency (higher first): court date soonest, then termination, then påkrav deadline soonest,
    then the longest overdue, then the amount. `delivery_days` is `KEEPHOME_DEMAND_DELIVERY_DAYS`.

    It depends on dates, not on `today`, so a stored value keeps its order as days pass; `today` stays in
    the signature so callers need not know that.
    """
    stage, day = urgency_of(position, delivery_days)
    if position is None or day is None or not stage:
        return 0
    closeness = min(max(_FAR_DAY - day.toordinal(), 0), _TIER // 100 - 1)
    amount = min(max(position.balance_ore, 0) // 1_000_00, 99)  # whole thousands of kroner, capped
    return _TIERS[stage] * _TIER + closeness * 100 + amount
