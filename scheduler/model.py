"""The reminder policy's inputs and outputs: rent snapshots, settings, planned reminders."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

__all__ = [
    "COURT_DATE_OFFSET",
    "NOTHING_OWED",
    "NO_LONGER_DUE",
    "STAGE_PASSED",
    "URGENCY",
    "DayPlan",
    "PlanSummary",
    "PlannedReminder",
    "PolicySettings",
    "RentSnapshot",
    "Trigger",
]


class Trigger(StrEnum):
    """Why a tenant is reminded; the value is what the database stores."""

    BEFORE_DUE = "before_due"
    MISSED = "missed"
    DEMAND = "demand"
    COURT = "court"
    PROMISE_CHECK = "promise_check"
    NUDGE = "nudge"


# Why a reminder planned on an earlier day (or kept waiting for a channel or the pause) no longer goes out
# (`scheduler.policy.recheck`); the host keeps the words on the dropped message.
STAGE_PASSED = "stage passed"  # its moment on the rent timeline is over, or a later stage is due now
NOTHING_OWED = "nothing owed"  # the balance it was about has been paid
NO_LONGER_DUE = "no longer due"  # held now: a case, claim, promise or plan, words of crisis, stale data, unreachable

# Higher wins when several triggers fall on the same tenant and day. A nudge belongs to a waiting
# conversation, which holds back every planned reminder except court and the last demand reminder before the
# påkrav deadline, so it only meets those.
URGENCY: dict[Trigger, int] = {
    Trigger.COURT: 50,
    Trigger.DEMAND: 40,
    Trigger.PROMISE_CHECK: 30,
    Trigger.MISSED: 20,
    Trigger.BEFORE_DUE: 10,
    Trigger.NUDGE: 5,
}


@dataclass(frozen=True, slots=True)
class RentSnapshot:
    """One tenant's rent position and contact state as the host loaded it for planning."""

    tenant_id: int
    due_day: int
    balance_ore: int
    balance_as_of: date
    demand_sent_on: date | None = None
    # The day the påkrav reached the tenant when the organisation knows it (a paper letter, say).
    demand_received_on: date | None = None
    termination_on: date | None = None
    court_date: date | None = None
    at_risk: bool = False
    arrears_last_12m: bool = False
    promise_on: date | None = None
    paid_claim_until: date | None = None
    reachable: bool = True
    has_open_case: bool = False
    # A person holds the case (taken, waiting for the tenant, with a volunteer): no court-eve reminder.
    case_held: bool = False
    # A conversation waits for the tenant's answer to a question that went out. One whose question never went
    # out (no channel, the pause) holds nothing: the tenant is not waiting on us, and a new reminder replaces it.
    waiting_conversation: bool = False
    # The local day the tenant last wrote words of crisis (the bot answered with the crisis line), if ever.
    crisis_on: date | None = None
    # The local day an adviser last closed a case of the tenant's with a payment plan agreed (outcome
    # `payment_plan`), if ever: the plan covers the rent fallen due by then (`scheduler.policy`).
    plan_agreed_on: date | None = None
    # The lowest balance the ledger showed since that day, before the month of its newest (the plan day's own and each
    # later one), if known: while the plan is kept, its arrears keep the balance above 0, and only a balance above
    # this one says later rent went unpaid.
    plan_balance_ore: int | None = None

    @property
    def owes(self) -> bool:
        """True while the tenant owes anything."""
        return self.balance_ore > 0


@dataclass(frozen=True, slots=True)
class PolicySettings:
    """The reminder settings the policy reads (the host copies them from its settings)."""

    before_due_days: int = 3
    demand_offsets: tuple[int, ...] = (7, 3, 1)
    # Påkrav from almene boligorganisationer come by Digital Post, received the day they are sent.
    demand_delivery_days: int = 0
    balance_max_age_days: int = 7
    # Days after words of crisis that rent reminders are held (`scheduler.crisis`); 0: none.
    crisis_hold_days: int = 7

    def __post_init__(self) -> None:
        for name in ("before_due_days", "demand_delivery_days", "balance_max_age_days", "crisis_hold_days"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        if any(offset < 0 for offset in self.demand_offsets):
            raise ValueError("demand_offsets must be >= 0")

    @property
    def last_demand_offset(self) -> int | None:
        """The offset of the last `demand` reminder before the påkrav deadline (the fewest days left), if any."""
        return min(self.demand_offsets, default=None)

    @classmethod
    def of(
        cls,
        *,
        before_due_days: int,
        demand_offsets: Iterable[int],
        demand_delivery_days: int,
        balance_max_age_days: int,
        crisis_hold_days: int = 7,
    ) -> PolicySettings:
        """Build settings from any iterable of offsets, sorted and without repeats."""
        return cls(
            before_due_days=before_due_days,
            demand_offsets=tuple(sorted(set(demand_offsets), reverse=True)),
            demand_delivery_days=demand_delivery_days,
            balance_max_age_days=balance_max_age_days,
            crisis_hold_days=crisis_hold_days,
        )


@dataclass(frozen=True, slots=True)
class PlannedReminder:
    """A reminder the host should record for today; (tenant, trigger, period, offset) is unique in the database.

    `deadline` is the computed påkrav deadline when a påkrav runs and it has not passed: the conversation
    the reminder starts knows it (a promise dated after it is flagged), its texts never show it.
    `ends_conversation` marks the reminders nothing the tenant said holds (court, the last `demand` reminder
    before the deadline): the planner ends whatever conversation was open, answered or not, before it starts.
    """

    tenant_id: int
    trigger: Trigger
    period: str
    offset: int | None
    reason: str
    computed_from: dict[str, str] = field(hash=False)
    urgency: int
    deadline: date | None = None
    ends_conversation: bool = False


# A court reminder's offset says which one it is: none for the outreach of a termination, the court date's day of
# the month for the second reminder on its eve, and COURT_DATE_OFFSET plus that day for the outreach of a court
# date; so a court date learned in the month of the termination, or moved within its month, is a new outreach.
COURT_DATE_OFFSET = 100


@dataclass(frozen=True, slots=True)
class PlanSummary:
    """Counts for the operator: how many snapshots were planned, and why the others were not."""

    considered: int = 0
    planned: int = 0
    # Snapshots skipped before any trigger is looked at.
    stale: int = 0
    unreachable: int = 0
    # Reminders that would have been planned but were held back.
    held_by_paid_claim: int = 0  # a paid claim or a promise that has not come due
    held_by_conversation: int = 0
    held_by_crisis: int = 0  # words of crisis in the last days (`scheduler.crisis`)
    held_by_plan: int = 0  # rent a payment plan agreed with an adviser covers


@dataclass(frozen=True, slots=True)
class DayPlan:
    """The reminders planned for one day, most urgent first, with a summary."""

    day: date
    reminders: tuple[PlannedReminder, ...]
    summary: PlanSummary
