"""The stage staff and the demo see: the påkrav deadline comes from the day the letter was received."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from scheduler.model import PolicySettings, RentSnapshot
from scheduler.stage import timeline_stage

D = date.fromisoformat
DAY = D("2026-03-13")  # a Friday


def stage(settings: PolicySettings, **facts: Any) -> str:
    values: dict[str, Any] = {"tenant_id": 1, "due_day": 1, "balance_ore": 500_000, "balance_as_of": DAY}
    return timeline_stage(RentSnapshot(**(values | facts)), DAY, settings)


@pytest.mark.parametrize(
    ("facts", "settings", "expected"),
    [
        # Digital Post: sent Wed 4 March, received the same day, deadline Wed 18 March.
        ({"demand_sent_on": D("2026-03-04")}, PolicySettings(), "påkrav, deadline in 5 days"),
        # Two days' delivery configured: received Fri 6, deadline Fri 20.
        ({"demand_sent_on": D("2026-03-04")}, PolicySettings(demand_delivery_days=2), "påkrav, deadline in 7 days"),
        # A recorded day of receipt wins: Mon 9 -> Mon 23.
        (
            {"demand_sent_on": D("2026-03-04"), "demand_received_on": D("2026-03-09")},
            PolicySettings(demand_delivery_days=2),
            "påkrav, deadline in 10 days",
        ),
        # Sent and received Fri 27 February: the deadline is today, not "in 0 days".
        ({"demand_sent_on": D("2026-02-27")}, PolicySettings(), "påkrav, deadline today"),
        ({"demand_sent_on": D("2026-02-20")}, PolicySettings(), "påkrav, deadline passed"),
        (
            {"demand_sent_on": D("2026-03-04"), "paid_claim_until": D("2026-03-15")},
            PolicySettings(),
            "påkrav, deadline in 5 days; says already paid",
        ),
        ({"paid_claim_until": D("2026-03-15")}, PolicySettings(), "says already paid (until 2026-03-15)"),
    ],
)
def test_stage(facts: dict[str, Any], settings: PolicySettings, expected: str) -> None:
    assert stage(settings, **facts) == expected
