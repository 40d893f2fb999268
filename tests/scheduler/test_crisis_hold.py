"""After words of crisis the rent reminders are held for a few days, but for court and the last påkrav reminder."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from scheduler.crisis import crisis_hold_until, in_crisis_hold
from scheduler.model import NO_LONGER_DUE, PolicySettings, RentSnapshot, Trigger
from scheduler.policy import plan, recheck

D = date.fromisoformat
OWED = 710_050
# A påkrav sent Wed 4 March 2026 (Digital Post): deadline Wed 18 March; reminders 11, 15 and 17 March.
PAKRAV = {"balance_ore": OWED, "demand_sent_on": D("2026-03-04")}


def snap(day: str, **overrides: Any) -> RentSnapshot:
    values: dict[str, Any] = {"tenant_id": 1, "due_day": 1, "balance_ore": 0, "balance_as_of": D(day)}
    return RentSnapshot(**(values | overrides))


@pytest.mark.parametrize(
    ("crisis_on", "days", "until"),
    [
        ("2025-02-03", 7, "2025-02-10"),
        ("2025-02-03", 1, "2025-02-04"),
        ("2025-02-03", 0, None),  # 0 days: no hold
        (None, 7, None),  # no words of crisis
    ],
)
def test_the_hold_lasts_the_days_after_the_words(crisis_on: str | None, days: int, until: str | None) -> None:
    assert crisis_hold_until(D(crisis_on) if crisis_on else None, days) == (D(until) if until else None)


@pytest.mark.parametrize(
    ("day", "crisis_on", "facts", "settings", "planned", "counter"),
    [
        # The missed-rent reminder the morning after "jeg vil tage mit liv" is held, and counted as held.
        ("2025-02-04", "2025-02-03", {"balance_ore": OWED}, PolicySettings(), None, "held_by_crisis"),
        ("2025-02-04", "2025-02-04", {"balance_ore": OWED}, PolicySettings(), None, "held_by_crisis"),  # same day
        ("2025-02-04", "2025-01-28", {"balance_ore": OWED}, PolicySettings(), None, "held_by_crisis"),  # 7th day
        ("2025-02-04", "2025-01-27", {"balance_ore": OWED}, PolicySettings(), "missed", None),  # 8 days: over
        ("2025-02-04", "2025-02-05", {"balance_ore": OWED}, PolicySettings(), "missed", None),  # a day before them
        ("2025-02-04", "2025-02-03", {"balance_ore": OWED}, PolicySettings(crisis_hold_days=0), "missed", None),
        ("2025-02-04", "2025-02-02", {"balance_ore": OWED}, PolicySettings(crisis_hold_days=1), "missed", None),
        # Before the due day, for a tenant at risk: held too.
        ("2025-02-26", "2025-02-25", {"at_risk": True}, PolicySettings(), None, "held_by_crisis"),
        # A påkrav reminder with a later one to come is held; the last one before the deadline goes.
        ("2026-03-15", "2026-03-14", PAKRAV, PolicySettings(), None, "held_by_crisis"),
        ("2026-03-17", "2026-03-16", PAKRAV, PolicySettings(), "demand", None),
        # ... unless a case is open: a person has it in hand (the hold that was there before).
        ("2026-03-17", "2026-03-16", {**PAKRAV, "has_open_case": True}, PolicySettings(), None, "held_by_conversation"),
        # Court goes whatever holds, and opens a case for a person to reach out.
        (
            "2025-04-10",
            "2025-04-09",
            {"termination_on": D("2025-04-02"), "balance_ore": OWED},
            PolicySettings(),
            "court",
            None,
        ),
    ],
)
def test_words_of_crisis_hold_the_rent_reminders(
    day: str,
    crisis_on: str,
    facts: dict[str, Any],
    settings: PolicySettings,
    planned: str | None,
    counter: str | None,
) -> None:
    result = plan([snap(day, crisis_on=D(crisis_on), **facts)], D(day), settings)
    assert [r.trigger.value for r in result.reminders] == ([planned] if planned else [])
    held = {
        "held_by_crisis": result.summary.held_by_crisis,
        "held_by_conversation": result.summary.held_by_conversation,
    }
    assert held == {name: int(name == counter) for name in held}


def test_a_reminder_planned_before_the_words_does_not_go_after_them() -> None:
    # Planned on Monday and kept waiting (the pause, no channel): the tenant wrote words of crisis meanwhile.
    s = snap("2025-02-05", balance_ore=OWED, crisis_on=D("2025-02-05"))
    assert recheck(s, Trigger.MISSED, "2025-02", None, D("2025-02-05"), PolicySettings()) == NO_LONGER_DUE
    calm = snap("2025-02-05", balance_ore=OWED)
    assert recheck(calm, Trigger.MISSED, "2025-02", None, D("2025-02-05"), PolicySettings()) is None


def test_in_crisis_hold_counts_both_ends() -> None:
    assert [in_crisis_hold(D("2025-02-03"), D(f"2025-02-{d:02}"), 2) for d in (2, 3, 4, 5, 6)] == [
        False,
        True,
        True,
        True,
        False,
    ]
