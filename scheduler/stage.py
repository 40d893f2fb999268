"""Where a tenant stands on the rent timeline on a day: a code with its dates, for staff and the demo.

`stage_of` returns the code (`TimelineStage`); the staff pages put it into words in their reader's language
(`bot/i18n.py`, `stage_words`). `timeline_stage` is the same stage in English words, as the REST API gives it.
"""

from __future__ import annotations

from datetime import date
from typing import Literal, NamedTuple

from scheduler.calendar import demand_deadline, demand_received
from scheduler.model import PolicySettings, RentSnapshot

__all__ = ["STAGE_CODES", "StageCode", "TimelineStage", "stage_of", "timeline_stage"]

StageCode = Literal[
    "court", "termination", "demand", "demand_passed", "says_paid", "promised", "owes", "paid_at_risk", "paid_up"
]
STAGE_CODES: tuple[StageCode, ...] = (
    "court",
    "termination",
    "demand",
    "demand_passed",
    "says_paid",
    "promised",
    "owes",
    "paid_at_risk",
    "paid_up",
)


class TimelineStage(NamedTuple):
    """The furthest point of the rent timeline reached: `on` is the stage's date (court date, termination,
    paid until, promised day), `days_left` the days to the påkrav deadline (`demand` only), `says_paid` a
    running "I have paid" beside a påkrav."""

    code: StageCode
    on: date | None = None
    days_left: int | None = None
    says_paid: bool = False


def stage_of(s: RentSnapshot, day: date, settings: PolicySettings) -> TimelineStage:
    """The furthest point of the rent timeline this tenant has reached on `day`."""
    if s.court_date is not None and s.court_date >= day:
        return TimelineStage("court", s.court_date)
    if s.termination_on is not None and s.owes:
        return TimelineStage("termination", s.termination_on)
    claim = s.paid_claim_until if s.owes and s.paid_claim_until is not None and s.paid_claim_until >= day else None
    received = demand_received(s.demand_sent_on, s.demand_received_on, settings.demand_delivery_days)
    if received is not None and s.owes:
        left = (demand_deadline(received) - day).days
        if left >= 0:
            return TimelineStage("demand", None, left, claim is not None)
        return TimelineStage("demand_passed", None, None, claim is not None)
    if claim is not None:
        return TimelineStage("says_paid", claim)
    if s.promise_on is not None and s.owes:
        return TimelineStage("promised", s.promise_on)
    if s.owes:
        return TimelineStage("owes")
    if s.at_risk or s.arrears_last_12m:
        return TimelineStage("paid_at_risk")
    return TimelineStage("paid_up")


def _english(stage: TimelineStage) -> str:
    on = stage.on.isoformat() if stage.on is not None else ""
    if stage.code == "court":
        return f"court date {on}"
    if stage.code == "termination":
        return f"termination {on}"
    if stage.code in ("demand", "demand_passed"):
        left = stage.days_left or 0
        if stage.code == "demand_passed":
            words = "påkrav, deadline passed"
        elif left == 0:
            words = "påkrav, deadline today"
        else:
            words = f"påkrav, deadline in {left} day{'' if left == 1 else 's'}"
        return f"{words}; says already paid" if stage.says_paid else words
    if stage.code == "says_paid":
        return f"says already paid (until {on})"
    if stage.code == "promised":
        return f"promised to pay on {on}"
    return {"owes": "owes rent", "paid_at_risk": "paid up, at risk"}.get(stage.code, "paid up")


def timeline_stage(s: RentSnapshot, day: date, settings: PolicySettings) -> str:
    """The stage in English words, e.g. "påkrav, deadline in 3 days" (the REST API's `stage`)."""
    return _english(stage_of(s, day, settings))
