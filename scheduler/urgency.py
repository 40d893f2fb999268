"""Case urgency: where a rent position stands on the legal clock, and a priority that sorts the advisers' queue."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal, Protocol

from scheduler.calendar import demand_deadline, demand_received
from scheduler.rent_day import due_date_before

__all__ = [
    "CHILDREN_LEAD_DAYS",
    "COURT_LEAD_DAYS",
    "DemandDates",
    "RentPosition",
    "Stage",
    "act_by",
    "case_priority",
    "demand_deadline_of",
    "legal_dates",
    "running_deadline",
    "spoken_stage",
    "urgency_of",
]

Stage = Literal["court", "termination", "demand", "overdue", ""]

# The ranking rule (the README's "How the inbox is ordered" says the same in words):
# 1. Tiers: the court path (a court date or a termination is known) before a running påkrav before rent that
#    is only overdue. A court date and a termination share one tier: what separates them is how soon a person
#    must act, not which letter came first.
# 2. Within a tier, the earliest act-by day first (`act_by`): a court date is its own act-by day; a termination
#    without a court date is treated as a court date COURT_LEAD_DAYS after it takes effect (or after today,
#    once it has), because the landlord may ask the fogedret the same day and the fogedret meets about 2-5
#    weeks later. So a termination already in effect comes before a court date two months away, and after
#    one next week. Days in the past count as today. A påkrav's act-by day is its computed deadline; overdue
#    rent's is the due date of the oldest unpaid rent.
# 3. Children under 18 in the household (retssikkerhedsloven § 5 a: the kommune must act at once) raise a case
#    within its tier: it ranks as if its act-by day were CHILDREN_LEAD_DAYS sooner.
# 4. The same day: the larger balance first.
# 0. Before all of these: a case whose tenant wrote words of crisis in the last days, where the adviser may read
#    them (`scheduler.crisis`; the tenant's consent): a person should reach them first. Among such cases the rule
#    above orders them.
COURT_LEAD_DAYS = 14
CHILDREN_LEAD_DAYS = 7
_TIERS: dict[Stage, int] = {"court": 3, "termination": 3, "demand": 2, "overdue": 1}
_TIER = 100_000_000
# Above every tier (the highest is 3): words of crisis come first whatever the rent position says.
_CRISIS_RAISE = 10 * _TIER
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


def legal_dates(position: DemandDates | None, delivery_days: int = 0) -> tuple[date, ...]:
    """The dates of the position's legal path a tenant's letters name: the påkrav deadline keephome computed,
    the termination and the court's date. None of them goes to a tenant by SMS."""
    if position is None:
        return ()
    found = (demand_deadline_of(position, delivery_days), position.termination_on, position.court_date)
    return tuple(d for d in found if d is not None)


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


def spoken_stage(
    position: RentPosition | None, today: date, delivery_days: int = 0
) -> Literal["court", "demand"] | None:
    """The legal stage a tenant who writes first is spoken to at, as the reminder of that stage speaks: "court"
    once a termination or a court date is known, "demand" while a påkrav's deadline runs; else None. Their "I have
    paid" or "I will pay on the 20th" is then answered with "call us today anyway" or "the deadline in the letter
    still applies", never with "we will wait a while"."""
    stage, _ = urgency_of(position, delivery_days)
    if stage in ("court", "termination"):
        return "court"
    return "demand" if running_deadline(position, today, delivery_days) is not None else None


def act_by(position: RentPosition | None, today: date, delivery_days: int = 0) -> date | None:
    """The day by which a person should act on this position (rule 2 above), or None when nothing is owed
    and no court path is known."""
    stage, day = urgency_of(position, delivery_days)
    if day is None or not stage:
        return None
    if stage == "termination":
        return max(day, today) + timedelta(days=COURT_LEAD_DAYS)
    if stage == "court":
        return max(day, today)
    return day


def case_priority(
    position: RentPosition | None,
    today: date,
    delivery_days: int = 0,
    *,
    children: bool | None = None,
    crisis: bool = False,
) -> int:
    """A sortable urgency for `today` (higher first), by the ranking rule above. `delivery_days` is
    `KEEPHOME_DEMAND_DELIVERY_DAYS`; `children` says children under 18 live in the household (None: not known);
    `crisis` that the tenant wrote words of crisis within the hold's days and the adviser may read them (rule 0).

    A termination's place depends on whether it is in effect `today`, so the console ranks every open case
    again for the day it shows; the value a case stores when it is opened is that day's, without rule 0.
    """
    ranked = _by_the_clock(position, today, delivery_days, children)
    return _CRISIS_RAISE + ranked if crisis else ranked


def _by_the_clock(position: RentPosition | None, today: date, delivery_days: int, children: bool | None) -> int:
    """Rules 1-4: the tier, the act-by day (children make it sooner) and the balance."""
    stage, _ = urgency_of(position, delivery_days)
    day = act_by(position, today, delivery_days)
    if position is None or day is None or not stage:
        return 0
    if children:
        day -= timedelta(days=CHILDREN_LEAD_DAYS)
    closeness = min(max(_FAR_DAY - day.toordinal(), 0), _TIER // 100 - 1)
    amount = min(max(position.balance_ore, 0) // 1_000_00, 99)  # whole thousands of kroner, capped
    return _TIERS[stage] * _TIER + closeness * 100 + amount
