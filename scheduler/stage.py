"""Where a tenant stands on the rent timeline on a day, in a few words for staff and the demo."""

from __future__ import annotations

from datetime import date

from scheduler.calendar import demand_deadline, demand_received
from scheduler.model import PolicySettings, RentSnapshot

__all__ = ["timeline_stage"]


def timeline_stage(s: RentSnapshot, day: date, settings: PolicySettings) -> str:
    """The furthest point of the rent timeline this tenant has reached, e.g. "påkrav, deadline in 3 days"."""
    if s.court_date is not None and s.court_date >= day:
        return f"court date {s.court_date.isoformat()}"
    if s.termination_on is not None and s.owes:
        return f"termination {s.termination_on.isoformat()}"
    claim = s.paid_claim_until if s.owes and s.paid_claim_until is not None and s.paid_claim_until >= day else None
    received = demand_received(s.demand_sent_on, s.demand_received_on, settings.demand_delivery_days)
    if received is not None and s.owes:
        left = (demand_deadline(received) - day).days
        stage = f"påkrav, deadline in {left} day{'' if left == 1 else 's'}" if left >= 0 else "påkrav, deadline passed"
        return stage if claim is None else f"{stage}; says already paid"
    if claim is not None:
        return f"says already paid (until {claim.isoformat()})"
    if s.promise_on is not None and s.owes:
        return f"promised to pay on {s.promise_on.isoformat()}"
    if s.owes:
        return "owes rent"
    if s.at_risk or s.arrears_last_12m:
        return "paid up, at risk"
    return "paid up"
