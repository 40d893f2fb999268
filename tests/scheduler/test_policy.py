"""Tests for the reminder policy: triggers, precedence, holds, summary, determinism and speed."""

from __future__ import annotations

import random
import time
from datetime import date, timedelta
from typing import Any

import pytest

from scheduler.model import URGENCY, PlannedReminder, PolicySettings, RentSnapshot, Trigger
from scheduler.policy import plan

D = date.fromisoformat
SETTINGS = PolicySettings()
OWED = 710_050
SENT = D("2025-03-10")  # a påkrav sent Mon 10 March 2025: received Wed 12, deadline Wed 26 March


def snap(day: str, **overrides: Any) -> RentSnapshot:
    values: dict[str, Any] = {"tenant_id": 1, "due_day": 1, "balance_ore": 0, "balance_as_of": D(day)}
    return RentSnapshot(**(values | overrides))


def only(day: str, settings: PolicySettings = SETTINGS, **overrides: Any) -> PlannedReminder | None:
    planned = plan([snap(day, **overrides)], D(day), settings).reminders
    assert len(planned) <= 1
    return planned[0] if planned else None


def brief(r: PlannedReminder | None) -> tuple[str, str, int | None] | None:
    return None if r is None else (r.trigger.value, r.period, r.offset)


@pytest.mark.parametrize(
    ("due_day", "day", "period"),
    [
        (1, "2025-02-04", "2025-02"),  # Sat 1 Feb -> Mon 3 on time -> Tue 4
        (31, "2025-06-03", "2025-05"),  # Sat 31 May -> Mon 2 June on time -> Tue 3 June
        (25, "2025-12-30", "2025-12"),  # Juledag -> Mon 29 Dec on time -> Tue 30
        (31, "2027-01-02", "2026-12"),  # Thu 31 Dec on time -> past Nytårsdag to Sat 2 Jan
        (5, "2024-06-07", "2024-06"),  # Grundlovsdag -> Thu 6 on time -> Fri 7
        (1, "2024-04-03", "2024-04"),  # 2. påskedag -> Tue 2 on time -> Wed 3
        (30, "2025-03-01", "2025-02"),  # due day 30 in February: Fri 28 on time -> Sat 1 March
    ],
)
def test_missed_fires_the_hverdag_after_the_last_on_time_day(due_day: int, day: str, period: str) -> None:
    assert brief(only(day, due_day=due_day, balance_ore=OWED)) == ("missed", period, None)


@pytest.mark.parametrize("day", ["2025-02-03", "2025-02-05", "2025-02-01"])
def test_missed_only_on_its_day(day: str) -> None:
    assert only(day, balance_ore=OWED) is None


def test_missed_reason_names_the_dates() -> None:
    r = only("2025-02-04", balance_ore=OWED)
    assert r is not None and "2025-02-01" in r.reason and "2025-02-03" in r.reason
    dates = {"due_date": "2025-02-01", "last_on_time_day": "2025-02-03", "balance_as_of": "2025-02-04"}
    assert r.computed_from == dates


@pytest.mark.parametrize(
    ("due_day", "day", "flags", "period"),
    [
        (1, "2025-02-26", {"at_risk": True}, "2025-03"),
        (31, "2025-02-25", {"arrears_last_12m": True}, "2025-02"),  # due Fri 28 Feb
        (1, "2026-12-29", {"at_risk": True}, "2027-01"),
        (15, "2025-03-12", {"arrears_last_12m": True, "at_risk": True}, "2025-03"),
    ],
)
def test_before_due_for_flagged_tenants_even_when_paid_up(
    due_day: int, day: str, flags: dict[str, Any], period: str
) -> None:
    assert brief(only(day, due_day=due_day, balance_ore=0, **flags)) == ("before_due", period, None)


@pytest.mark.parametrize(
    ("day", "flags"),
    [("2025-02-26", {}), ("2025-02-25", {"at_risk": True}), ("2025-02-27", {"at_risk": True})],
)
def test_before_due_only_flagged_and_on_its_day(day: str, flags: dict[str, Any]) -> None:
    assert only(day, balance_ore=OWED, **flags) is None


def test_before_due_days_setting() -> None:
    settings = PolicySettings(before_due_days=0)
    assert brief(only("2025-03-15", settings, due_day=15, at_risk=True)) == ("before_due", "2025-03", None)
    assert only("2025-03-12", settings, due_day=15, at_risk=True) is None


@pytest.mark.parametrize(("day", "offset"), [("2025-03-19", 7), ("2025-03-23", 3), ("2025-03-25", 1)])
def test_demand_counts_down_to_the_deadline(day: str, offset: int) -> None:
    r = only(day, balance_ore=OWED, demand_sent_on=SENT)
    assert brief(r) == ("demand", "2025-03", offset)
    assert r is not None
    assert r.computed_from == {
        "demand_sent_on": "2025-03-10",
        "due_date": "2025-03-01",
        "deadline": "2025-03-26",
        "offset": str(offset),
    }
    assert "2025-03-26" in r.reason


@pytest.mark.parametrize("day", ["2025-03-20", "2025-03-26", "2025-03-27", "2025-03-10"])
def test_demand_silent_between_offsets(day: str) -> None:
    assert only(day, balance_ore=OWED, demand_sent_on=SENT) is None


@pytest.mark.parametrize(("due_day", "period"), [(28, "2025-02"), (10, "2025-02"), (9, "2025-03")])
def test_demand_period_is_the_rent_it_concerns(due_day: int, period: str) -> None:
    r = only("2025-03-19", due_day=due_day, balance_ore=OWED, demand_sent_on=SENT)
    assert brief(r) == ("demand", period, 7)


def test_demand_offsets_and_delivery_from_settings() -> None:
    settings = PolicySettings(demand_offsets=(5,), demand_delivery_days=0)
    # Received Mon 10 March, deadline Mon 24 March; five days before is Wed 19.
    r = only("2025-03-19", settings, balance_ore=OWED, demand_sent_on=SENT)
    assert brief(r) == ("demand", "2025-03", 5)


@pytest.mark.parametrize(
    ("facts", "period"),
    [
        ({"termination_on": D("2025-04-02"), "balance_ore": OWED}, "2025-04"),
        ({"termination_on": D("2025-04-02"), "court_date": D("2025-05-20"), "balance_ore": OWED}, "2025-05"),
        ({"court_date": D("2025-05-20"), "balance_ore": 0}, "2025-05"),
        ({"court_date": D("2025-04-10"), "balance_ore": 0}, "2025-04"),  # the court day itself
        ({"court_date": D("2025-03-20"), "balance_ore": OWED}, "2025-03"),
    ],
)
def test_court(facts: dict[str, Any], period: str) -> None:
    r = only("2025-04-10", **facts)
    assert brief(r) == ("court", period, None)
    assert r is not None and r.urgency == URGENCY[Trigger.COURT]


@pytest.mark.parametrize(
    "facts",
    [
        {"termination_on": D("2025-04-02"), "balance_ore": 0},
        {"court_date": D("2025-04-09"), "balance_ore": 0},
    ],
)
def test_court_not_when_paid_and_no_court_ahead(facts: dict[str, Any]) -> None:
    assert only("2025-04-10", **facts) is None


@pytest.mark.parametrize(
    "hold", [{"paid_claim_until": D("2025-04-12")}, {"has_open_case": True}, {"waiting_conversation": True}]
)
def test_court_goes_through_holds(hold: dict[str, Any]) -> None:
    r = only("2025-04-10", termination_on=D("2025-04-02"), balance_ore=OWED, **hold)
    assert brief(r) == ("court", "2025-04", None)


def test_promise_check_the_hverdag_after_the_promise() -> None:
    # Promised for Skærtorsdag 17 April 2025; Langfredag is skipped, Saturday 19 is the check.
    facts: dict[str, Any] = {"balance_ore": OWED, "promise_on": D("2025-04-17")}
    assert brief(only("2025-04-19", **facts)) == ("promise_check", "2025-04", 17)
    assert only("2025-04-18", **facts) is None


@pytest.mark.parametrize(
    ("day", "facts"),
    [
        ("2025-02-04", {}),
        ("2025-03-19", {"demand_sent_on": SENT}),
        ("2025-04-19", {"promise_on": D("2025-04-17")}),
    ],
)
def test_nothing_owed_means_no_missed_demand_or_promise_check(day: str, facts: dict[str, Any]) -> None:
    assert only(day, balance_ore=0, **facts) is None


@pytest.mark.parametrize(
    ("day", "facts", "settings", "winner", "without", "runner_up"),
    [
        ("2025-03-19", {"termination_on": D("2025-03-14"), "demand_sent_on": SENT}, SETTINGS, "court",
         {"termination_on": None}, "demand"),
        ("2025-03-19", {"demand_sent_on": SENT, "promise_on": D("2025-03-18")}, SETTINGS, "demand",
         {"demand_sent_on": None}, "promise_check"),
        ("2025-02-04", {"promise_on": D("2025-02-03")}, SETTINGS, "promise_check", {"promise_on": None}, "missed"),
        # 25 days before Sat 1 March is the missed day of February's rent.
        ("2025-02-04", {"at_risk": True}, PolicySettings(before_due_days=25), "missed", {"balance_ore": 0},
         "before_due"),
    ],
)  # fmt: skip
def test_the_most_urgent_trigger_wins(
    day: str, facts: dict[str, Any], settings: PolicySettings, winner: str, without: dict[str, Any], runner_up: str
) -> None:
    result = plan([snap(day, balance_ore=OWED, **facts)], D(day), settings)
    assert [r.trigger.value for r in result.reminders] == [winner]
    # The other trigger was due too: without the winner's fact, it is the one planned.
    alone = plan([snap(day, **({"balance_ore": OWED} | facts | without))], D(day), settings)
    assert [r.trigger.value for r in alone.reminders] == [runner_up]


def test_urgency_order() -> None:
    order = [Trigger.COURT, Trigger.DEMAND, Trigger.PROMISE_CHECK, Trigger.MISSED, Trigger.BEFORE_DUE]
    assert sorted(order, key=URGENCY.__getitem__, reverse=True) == order
    assert set(URGENCY) == set(Trigger)


@pytest.mark.parametrize(
    ("facts", "counter"),
    [
        ({"balance_as_of": D("2025-01-27")}, "stale"),  # eight days old; seven are allowed
        ({"reachable": False}, "unreachable"),
        ({"paid_claim_until": D("2025-02-04")}, "held_by_paid_claim"),
        ({"paid_claim_until": D("2025-02-10")}, "held_by_paid_claim"),
        ({"has_open_case": True}, "held_by_conversation"),
        ({"waiting_conversation": True}, "held_by_conversation"),
    ],
)
def test_skips_and_holds_are_counted(facts: dict[str, Any], counter: str) -> None:
    result = plan([snap("2025-02-04", balance_ore=OWED, **facts)], D("2025-02-04"), SETTINGS)
    assert result.reminders == ()
    assert getattr(result.summary, counter) == 1
    assert result.summary.planned == 0


@pytest.mark.parametrize("facts", [{"balance_as_of": D("2025-01-28")}, {"paid_claim_until": D("2025-02-03")}])
def test_just_inside_the_limits_still_plans(facts: dict[str, Any]) -> None:
    assert brief(only("2025-02-04", balance_ore=OWED, **facts)) == ("missed", "2025-02", None)


def test_paid_claim_holds_before_due_too() -> None:
    assert only("2025-02-26", at_risk=True, paid_claim_until=D("2025-02-28")) is None


def _population(n: int, seed: int) -> list[RentSnapshot]:
    rng = random.Random(seed)
    base = D("2025-02-04")

    def days_ago(most: int) -> date:
        return base - timedelta(days=rng.randrange(0, most))

    return [
        RentSnapshot(
            tenant_id=i,
            due_day=rng.choice([1, 1, 1, 5, 15, 28, 31]),
            balance_ore=rng.choice([0, 0, OWED]),
            balance_as_of=days_ago(10),
            demand_sent_on=rng.choice([None, None, days_ago(20)]),
            termination_on=rng.choice([None] * 20 + [base]),
            at_risk=rng.random() < 0.2,
            arrears_last_12m=rng.random() < 0.2,
            promise_on=rng.choice([None, None, base - timedelta(days=1)]),
            paid_claim_until=rng.choice([None] * 9 + [base]),
            reachable=rng.random() > 0.05,
            has_open_case=rng.random() < 0.05,
            waiting_conversation=rng.random() < 0.05,
        )
        for i in range(n)
    ]


def test_plan_is_deterministic_and_ordered() -> None:
    snapshots = _population(2_000, seed=7)
    first = plan(snapshots, D("2025-02-04"), SETTINGS)
    shuffled = list(snapshots)
    random.Random(1).shuffle(shuffled)
    second = plan(shuffled, D("2025-02-04"), SETTINGS)
    assert first == second
    assert first.reminders, "the population should plan something"
    order = [(-r.urgency, r.tenant_id) for r in first.reminders]
    assert order == sorted(order)
    assert len({r.tenant_id for r in first.reminders}) == len(first.reminders)  # at most one per tenant
    summary = first.summary
    assert summary.considered == 2_000
    assert summary.planned == len(first.reminders)
    assert summary.stale > 0 and summary.unreachable > 0


def test_duplicate_tenant_is_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        plan([snap("2025-02-04"), snap("2025-02-04")], D("2025-02-04"), SETTINGS)


def test_settings_validation() -> None:
    with pytest.raises(ValueError, match="before_due_days"):
        PolicySettings(before_due_days=-1)
    with pytest.raises(ValueError, match="demand_offsets"):
        PolicySettings(demand_offsets=(3, -1))
    built = PolicySettings.of(
        before_due_days=3, demand_offsets=[1, 7, 3, 7], demand_delivery_days=2, balance_max_age_days=7
    )
    assert built.demand_offsets == (7, 3, 1)


def test_hundred_thousand_snapshots_plan_fast() -> None:
    snapshots = _population(100_000, seed=11)
    started = time.perf_counter()
    result = plan(snapshots, D("2025-02-04"), SETTINGS)
    elapsed = time.perf_counter() - started
    assert result.summary.considered == 100_000
    assert elapsed < 2.0, f"planning 100,000 snapshots took {elapsed:.2f} s"
