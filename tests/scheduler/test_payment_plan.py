"""A payment plan agreed with an adviser covers the rent fallen due by then: no "need help with the rent?" about it,
no check of a pay day the plan replaced; the next rent's reminders and the påkrav's go as ever."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from scheduler.model import NO_LONGER_DUE, PolicySettings, RentSnapshot, Trigger
from scheduler.policy import plan, recheck

D = date.fromisoformat
OWED = 710_050


def snap(day: str, **overrides: Any) -> RentSnapshot:
    """A tenant (due day 1) who owes, with a balance dated `day`."""
    values: dict[str, Any] = {"tenant_id": 1, "due_day": 1, "balance_ore": OWED, "balance_as_of": D(day)}
    return RentSnapshot(**(values | overrides))


def planned(day: str, **overrides: Any) -> tuple[list[str], int]:
    """The triggers planned for the tenant on `day`, and how many the plan counted as covered by a payment plan."""
    result = plan([snap(day, **overrides)], D(day), PolicySettings())
    return [r.trigger.value for r in result.reminders], result.summary.held_by_plan


@pytest.mark.parametrize(
    ("day", "facts", "expected"),
    [
        # Rent due Sunday 1 March 2026 went unpaid; a plan agreed with an adviser on Tuesday 3 March covers it: no
        # "need help with the rent?" the days after, though the balance still shows it owed.
        ("2026-03-05", {"plan_agreed_on": D("2026-03-03")}, ([], 1)),
        ("2026-03-12", {"plan_agreed_on": D("2026-03-03")}, ([], 1)),
        # Without a plan, or a plan agreed only after the day looked at (a preview of an earlier day), it goes.
        ("2026-03-05", {}, (["missed"], 0)),
        ("2026-03-05", {"plan_agreed_on": D("2026-03-09")}, (["missed"], 0)),
        # A plan agreed in February covers February's rent, not March's: March's missed rent is reminded of.
        ("2026-03-05", {"plan_agreed_on": D("2026-02-10")}, (["missed"], 0)),
        # Three days before the next rent (Wednesday 1 April), its reminder goes for a tenant at risk: the plan's
        # month's missed rent, still owed, does not take its place.
        ("2026-03-29", {"plan_agreed_on": D("2026-03-03"), "at_risk": True}, (["before_due"], 0)),
        # A pay day named before the plan, before the next rent falls due, is not checked: the plan replaced it
        # (promised Friday 20 February, checked Monday 23 February).
        ("2026-02-23", {"plan_agreed_on": D("2026-02-10"), "promise_on": D("2026-02-20")}, ([], 1)),
        ("2026-02-23", {"promise_on": D("2026-02-20")}, (["promise_check"], 0)),
        # A promise to pay the next rent (Monday 2 March, after it fell due on the 1st) is checked on Tuesday.
        ("2026-03-03", {"plan_agreed_on": D("2026-02-10"), "promise_on": D("2026-03-02")}, (["promise_check"], 0)),
        # A påkrav sent Wednesday 4 March (deadline 18 March): its reminders go, the letter's deadline stands.
        ("2026-03-11", {"plan_agreed_on": D("2026-03-05"), "demand_sent_on": D("2026-03-04")}, (["demand"], 0)),
    ],
)
def test_a_payment_plan_covers_the_rent_due_when_it_was_agreed(
    day: str, facts: dict[str, Any], expected: tuple[list[str], int]
) -> None:
    assert planned(day, **facts) == expected


# The plan of Tuesday 3 March, agreed with the balance then owed: rent due Wednesday 1 April, shown missed by a balance
# dated Tuesday 7 April (the Easter days in between are no bank days).
PLAN = {"plan_agreed_on": D("2026-03-03"), "plan_balance_ore": OWED}


@pytest.mark.parametrize(
    ("balance", "facts", "expected"),
    [
        # The tenant paid April's rent and keeps the plan: the plan's arrears, no more, keep the balance above 0.
        (OWED, PLAN, ([], 1)),
        (OWED - 200_000, PLAN, ([], 1)),
        # April's rent unpaid on top of the arrears the plan covers: "need help with the rent?" goes.
        (OWED + 710_050, PLAN, (["missed"], 0)),
        (OWED + 1, PLAN, (["missed"], 0)),
        # The balance of the plan's day unknown (no ledger history by then): owed is enough, as without a plan.
        (OWED, {"plan_agreed_on": D("2026-03-03")}, (["missed"], 0)),
    ],
)
def test_a_later_rent_is_missed_only_when_the_balance_rose_above_the_plans(
    balance: int, facts: dict[str, Any], expected: tuple[list[str], int]
) -> None:
    assert planned("2026-04-07", balance_ore=balance, **facts) == expected


def test_a_missed_rent_reminder_waiting_to_go_does_not_go_once_a_plan_is_agreed() -> None:
    """Planned on Thursday 5 March, before the adviser closed the case with a plan that day: the second look before
    it goes drops it as no longer due."""
    day, settings = D("2026-03-05"), PolicySettings()
    assert recheck(snap("2026-03-05"), Trigger.MISSED, "2026-03", None, day, settings) is None
    agreed = snap("2026-03-05", plan_agreed_on=day)
    assert recheck(agreed, Trigger.MISSED, "2026-03", None, day, settings) == NO_LONGER_DUE
