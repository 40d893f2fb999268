"""Tests for the reminder policy: triggers, precedence, holds, summary and determinism (speed: bench/fanout.py)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import pytest

from scheduler.model import (
    NO_LONGER_DUE,
    NOTHING_OWED,
    STAGE_PASSED,
    URGENCY,
    PlannedReminder,
    PolicySettings,
    RentSnapshot,
    Trigger,
)
from scheduler.policy import no_next_chance, plan, recheck
from scheduler.quiet import is_quiet_day
from scheduler.rent_day import court_eve, last_demand_day

D = date.fromisoformat
SETTINGS = PolicySettings()
OWED = 710_050
SENT = D("2025-03-10")  # a påkrav sent Mon 10 March 2025 by Digital Post: received that day, deadline Mon 24 March


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
        (31, "2027-01-04", "2026-12"),  # Thu 31 Dec on time -> past Nytårsdag and the weekend to Mon 4 Jan
        (5, "2024-06-07", "2024-06"),  # Grundlovsdag -> Thu 6 on time -> Fri 7
        (1, "2024-04-03", "2024-04"),  # 2. påskedag -> Tue 2 on time -> Wed 3
        (30, "2025-03-03", "2025-02"),  # due day 30 in February: Fri 28 on time -> Mon 3 March
        (1, "2026-05-04", "2026-05"),  # Fri 1 May on time -> Mon 4 May
        (14, "2026-05-18", "2026-05"),  # Kristi himmelfartsdag -> Fri 15 on time, banks closed -> Mon 18
        (24, "2026-12-28", "2026-12"),  # Thu 24 Dec on time -> past Juledag, 2. juledag, Sunday to Mon 28
        (24, "2028-12-28", "2028-12"),  # Sun 24 Dec 2028 -> Wed 27 on time -> Thu 28
        (31, "2029-01-03", "2028-12"),  # Sun 31 Dec 2028 -> past Nytårsdag, Tue 2 Jan on time -> Wed 3
        (5, "2028-06-07", "2028-06"),  # Grundlovsdag on 2. pinsedag -> Tue 6 on time -> Wed 7
    ],
)
def test_missed_on_the_first_bank_day_after_the_last_on_time_day(due_day: int, day: str, period: str) -> None:
    assert brief(only(day, due_day=due_day, balance_ore=OWED)) == ("missed", period, None)


# Rent due Fri 1 May 2026, on time that day; a payment at the tenant's bank that Friday reaches the
# landlord's ledger on Monday 4 May, the first bank day after.
@pytest.mark.parametrize(
    ("day", "balance_as_of", "planned"),
    [
        ("2026-05-02", "2026-05-02", False),  # Saturday: the payment may not show yet
        ("2026-05-03", "2026-05-02", False),  # Sunday
        ("2026-05-04", "2026-05-01", False),  # Monday, but the balance is Friday's
        ("2026-05-05", "2026-05-02", False),  # a later day does not make Saturday's balance any newer
        ("2026-05-04", "2026-05-04", True),  # Monday's balance shows the rent unpaid
        ("2026-05-06", "2026-05-05", True),  # the first day such a balance arrives (recorded once a month)
        ("2026-05-29", "2026-05-29", True),  # still May's rent; its key was recorded on the first day
        ("2026-06-01", "2026-06-01", False),  # June's rent is due today: not late, and May's cannot be told
        ("2026-06-02", "2026-06-02", True),  # June's rent: Mon 1 June on time -> Tue 2 June
    ],
)
def test_missed_waits_for_a_balance_dated_a_bank_day_after_a_friday(
    day: str, balance_as_of: str, planned: bool
) -> None:
    r = only(day, balance_ore=OWED, balance_as_of=D(balance_as_of))
    assert (r is not None) is planned
    if r is not None:
        assert (r.trigger.value, r.period) == ("missed", day[:7])


def test_missed_once_per_rent_month() -> None:
    # Every day of May that shows the rent unpaid plans the same key; the host records it once.
    keys = {
        (r.trigger, r.period, r.offset)
        for n in range(4, 32)
        if (r := only(f"2026-05-{n:02d}", balance_ore=OWED)) is not None
    }
    assert keys == {(Trigger.MISSED, "2026-05", None)}


def test_missed_reason_names_the_dates() -> None:
    r = only("2025-02-04", balance_ore=OWED)
    assert r is not None and "2025-02-01" in r.reason and "2025-02-03" in r.reason
    dates = {
        "due_date": "2025-02-01",
        "last_on_time_day": "2025-02-03",
        "first_bank_day": "2025-02-04",
        "balance_as_of": "2025-02-04",
    }
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
    assert only(day, balance_ore=0, **flags) is None


def test_before_due_days_setting() -> None:
    settings = PolicySettings(before_due_days=0)
    assert brief(only("2025-03-15", settings, due_day=15, at_risk=True)) == ("before_due", "2025-03", None)
    assert only("2025-03-12", settings, due_day=15, at_risk=True) is None
    # Planned for the due date itself, it lasts that day (held by the pause until the afternoon, it still goes),
    # not the day after.
    s = snap("2025-03-15", due_day=15, at_risk=True)
    assert recheck(s, Trigger.BEFORE_DUE, "2025-03", None, D("2025-03-15"), settings) is None
    after = snap("2025-03-16", due_day=15, at_risk=True)
    assert recheck(after, Trigger.BEFORE_DUE, "2025-03", None, D("2025-03-16"), settings) == STAGE_PASSED


@pytest.mark.parametrize(("day", "offset"), [("2025-03-17", 7), ("2025-03-21", 3), ("2025-03-23", 1)])
def test_demand_counts_down_to_the_deadline(day: str, offset: int) -> None:
    r = only(day, balance_ore=OWED, demand_sent_on=SENT)
    assert brief(r) == ("demand", "2025-03", offset)
    assert r is not None
    assert r.computed_from == {
        "demand_sent_on": "2025-03-10",
        "delivery_days": "0",
        "due_date": "2025-03-01",
        "deadline": "2025-03-24",
        "offset": str(offset),
    }
    assert "2025-03-24" in r.reason and "Digital Post" in r.reason
    assert r.deadline == D("2025-03-24")


@pytest.mark.parametrize("day", ["2025-03-18", "2025-03-24", "2025-03-25", "2025-03-10"])
def test_demand_silent_between_offsets(day: str) -> None:
    r = only(day, balance_ore=OWED, demand_sent_on=SENT)
    assert r is None or r.trigger is not Trigger.DEMAND


# The påkrav of Mon 10 March 2025: for rent due on the 10th that day is the due day, and for rent due Sun 9 March the
# last on-time day; a payment is still on time, so it concerns February's rent (`scheduler.rent_day.demanded_rent`).
@pytest.mark.parametrize(
    ("due_day", "period"), [(28, "2025-02"), (10, "2025-02"), (9, "2025-02"), (8, "2025-02"), (7, "2025-03")]
)
def test_demand_period_is_the_rent_it_concerns(due_day: int, period: str) -> None:
    r = only("2025-03-17", due_day=due_day, balance_ore=OWED, demand_sent_on=SENT)
    assert brief(r) == ("demand", period, 7)


def test_demand_offsets_and_delivery_from_settings() -> None:
    settings = PolicySettings(demand_offsets=(5,), demand_delivery_days=2)
    # A paper letter assumed received Wed 12 March, deadline Wed 26 March; five days before is Fri 21.
    r = only("2025-03-21", settings, balance_ore=OWED, demand_sent_on=SENT)
    assert brief(r) == ("demand", "2025-03", 5)
    assert r is not None and "assumed received after 2 days" in r.reason


def test_no_demand_reminder_before_the_påkrav_reached_the_tenant() -> None:
    # A paper letter sent Mon 2 March 2026, assumed received Thu 5 March: deadline Thu 19 March. A reminder 16 days
    # before it would come on Tue 3 March, before the tenant has the letter its text refers to.
    settings = PolicySettings(demand_offsets=(16, 14, 1), demand_delivery_days=3)
    facts: dict[str, Any] = {"balance_ore": OWED, "demand_sent_on": D("2026-03-02")}
    found = {}
    for n in range(20):
        day = D("2026-03-02") + timedelta(days=n)
        r = only(day.isoformat(), settings, **facts)
        if r is not None and r.trigger is Trigger.DEMAND:
            found[day.isoformat()] = r.offset
    assert found == {"2026-03-05": 14, "2026-03-18": 1}


def test_a_recorded_day_of_receipt_drives_the_deadline() -> None:
    # Sent Fri 6 March 2026 on paper, received Tue 10 March: the deadline is Tue 24, not Fri 20.
    facts: dict[str, Any] = {
        "balance_ore": OWED,
        "demand_sent_on": D("2026-03-06"),
        "demand_received_on": D("2026-03-10"),
    }
    r = only("2026-03-17", **facts)
    assert brief(r) == ("demand", "2026-03", 7)
    assert r is not None and r.computed_from["deadline"] == "2026-03-24"
    assert r.computed_from["demand_received_on"] == "2026-03-10" and "received 2026-03-10" in r.reason
    # Without the day of receipt the Digital Post deadline (Fri 20) would have counted.
    without = only("2026-03-13", **(facts | {"demand_received_on": None}))
    assert brief(without) == ("demand", "2026-03", 7)


# A påkrav sent Wed 4 March 2026 by Digital Post: deadline Wed 18 March; reminders on Wed 11 (7 days
# before), Sun 15 (3) and Tue 17 (1, the last). A "paid" answer pauses reminders for five days.
PAKRAV = {"balance_ore": OWED, "demand_sent_on": D("2026-03-04")}


def test_a_paid_claim_two_days_before_the_deadline_does_not_hold_the_last_demand_reminder() -> None:
    claimed_on = D("2026-03-16")  # two days before the deadline
    r = only("2026-03-17", **PAKRAV, paid_claim_until=claimed_on + timedelta(days=5))
    assert brief(r) == ("demand", "2026-03", 1)


@pytest.mark.parametrize(
    ("day", "offset", "facts", "planned"),
    [
        # The 3-day reminder went unanswered: the last one (Tue 17, the day before the deadline) goes anyway.
        ("2026-03-17", 1, {"waiting_conversation": True}, True),
        ("2026-03-15", 3, {"waiting_conversation": True}, False),  # an earlier reminder waits for the answer
        ("2026-03-17", 1, {"has_open_case": True}, False),  # a person has the case in hand
    ],
)
def test_an_unanswered_question_does_not_hold_the_last_demand_reminder(
    day: str, offset: int, facts: dict[str, Any], planned: bool
) -> None:
    s = snap(day, **PAKRAV, **facts)
    result = plan([s], D(day), SETTINGS)
    assert [brief(r) for r in result.reminders] == ([("demand", "2026-03", offset)] if planned else [])
    assert result.summary.held_by_conversation == (0 if planned else 1)
    # The send window's second look, on the day it goes, agrees with the plan.
    assert recheck(s, Trigger.DEMAND, "2026-03", offset, D(day), SETTINGS) == (None if planned else NO_LONGER_DUE)


@pytest.mark.parametrize(
    ("day", "facts", "ends"),
    [
        ("2026-03-11", PAKRAV, False),  # 7 days before the deadline
        ("2026-03-17", PAKRAV, True),  # the last one
        ("2025-04-10", {"termination_on": D("2025-04-02"), "balance_ore": OWED}, True),  # court
        ("2025-02-04", {"balance_ore": OWED}, False),  # missed
    ],
)
def test_only_court_and_the_last_demand_reminder_end_an_open_conversation(
    day: str, facts: dict[str, Any], ends: bool
) -> None:
    r = only(day, **facts)
    assert r is not None and r.ends_conversation is ends


def test_a_paid_claim_still_holds_the_earlier_demand_reminders() -> None:
    result = plan([snap("2026-03-15", **PAKRAV, paid_claim_until=D("2026-03-17"))], D("2026-03-15"), SETTINGS)
    assert result.reminders == () and result.summary.held_by_paid_claim == 1


@pytest.mark.parametrize(
    ("day", "promise_on", "held"),
    [
        ("2026-03-15", "2026-03-18", True),  # a promise on the deadline day holds the 3-day reminder
        ("2026-03-17", "2026-03-18", False),  # but never the last one
        ("2026-03-15", "2026-03-20", False),  # a promise after the deadline holds no påkrav reminder
        ("2026-03-11", "2026-03-25", False),
    ],
)
def test_a_promise_never_holds_a_demand_reminder_past_the_deadline(day: str, promise_on: str, held: bool) -> None:
    result = plan([snap(day, **PAKRAV, promise_on=D(promise_on))], D(day), SETTINGS)
    assert [r.trigger for r in result.reminders] == ([] if held else [Trigger.DEMAND])
    assert result.summary.held_by_paid_claim == held


def test_a_promise_holds_other_reminders_until_the_promised_day() -> None:
    # Missed on Tue 4 Feb 2025, but the tenant promised to pay on Thursday 6.
    assert only("2025-02-04", balance_ore=OWED, promise_on=D("2025-02-06")) is None
    assert brief(only("2025-02-07", balance_ore=OWED, promise_on=D("2025-02-06"))) == ("promise_check", "2025-02", 6)


@pytest.mark.parametrize(
    ("day", "facts", "deadline"),
    [
        ("2026-03-11", {}, "2026-03-18"),  # a demand reminder knows its deadline
        ("2026-03-04", {"promise_on": D("2026-03-03")}, "2026-03-18"),  # so does a promise check meanwhile
        ("2026-03-20", {"due_day": 19}, None),  # the deadline has passed (a missed reminder for the 19th)
        ("2026-03-11", {"termination_on": D("2026-03-10")}, None),  # the court stage never speaks of it
        ("2026-03-11", {"demand_sent_on": None, "due_day": 9}, None),  # no påkrav
    ],
)
def test_a_reminder_carries_the_running_deadline(day: str, facts: dict[str, Any], deadline: str | None) -> None:
    r = only(day, **(PAKRAV | facts))
    assert r is not None
    assert r.deadline == (D(deadline) if deadline else None)


@pytest.mark.parametrize(
    ("facts", "period", "offset"),
    [
        ({"termination_on": D("2025-04-02"), "balance_ore": OWED}, "2025-04", None),
        # A court date's outreach has its day in the key (COURT_DATE_OFFSET + the day).
        ({"termination_on": D("2025-04-02"), "court_date": D("2025-05-20"), "balance_ore": OWED}, "2025-05", 120),
        ({"court_date": D("2025-05-20"), "balance_ore": 0}, "2025-05", 120),
        ({"court_date": D("2025-04-10"), "balance_ore": 0}, "2025-04", 110),  # the court day itself
        ({"court_date": D("2025-03-20"), "balance_ore": OWED}, "2025-03", 120),
    ],
)
def test_court(facts: dict[str, Any], period: str, offset: int | None) -> None:
    r = only("2025-04-10", **facts)
    assert brief(r) == ("court", period, offset)
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


# A court date on Monday 16 March 2026: the second reminder comes on Friday 13, the last weekday before.
COURT = {"balance_ore": OWED, "termination_on": D("2026-02-20"), "court_date": D("2026-03-16")}


def test_a_second_court_reminder_the_weekday_before_the_court_date() -> None:
    r = only("2026-03-13", **COURT)
    assert brief(r) == ("court", "2026-03", 16)
    assert r is not None and r.urgency == URGENCY[Trigger.COURT]
    assert r.computed_from["court_eve"] == "2026-03-13" and "2026-03-16" in r.reason
    # Its key differs from the first court reminder's, so both are recorded, each once.
    assert brief(only("2026-03-12", **COURT)) == ("court", "2026-03", 116)
    for day in ("2026-03-14", "2026-03-15", "2026-03-16"):
        assert brief(only(day, **COURT)) == ("court", "2026-03", 116)


@pytest.mark.parametrize(
    ("court_date", "eve"),
    [
        ("2026-03-17", "2026-03-16"),  # Tuesday -> Monday
        ("2026-04-07", "2026-04-01"),  # Tue after Easter -> past 2. påskedag, Easter, Langfredag, Skærtorsdag
        ("2026-12-28", "2026-12-23"),  # Monday -> past 2. juledag, Juledag and 24 December (a quiet day)
        ("2027-01-04", "2026-12-30"),  # Monday -> past Nytårsdag and 31 December
        ("2026-06-08", "2026-06-04"),  # Monday -> past Grundlovsdag on the Friday
    ],
)
def test_the_court_eve_is_a_day_messages_may_go(court_date: str, eve: str) -> None:
    facts = COURT | {"court_date": D(court_date)}
    assert brief(only(eve, **facts)) == ("court", court_date[:7], D(court_date).day)
    assert court_eve(D(court_date)) == D(eve)


@pytest.mark.parametrize(
    ("hold", "eve"),
    [
        ({"case_held": True, "has_open_case": True}, False),  # an adviser holds the case: no second reminder
        ({"has_open_case": True}, True),  # the outreach case waits for an adviser: the reminder goes
        ({"waiting_conversation": True}, True),
        ({"paid_claim_until": D("2026-03-20")}, True),
        ({"balance_ore": 0}, True),  # nothing owed, but the court date is still ahead
    ],
)
def test_the_court_eve_and_holds(hold: dict[str, Any], eve: bool) -> None:
    r = only("2026-03-13", **(COURT | hold))
    assert brief(r) == ("court", "2026-03", 16 if eve else 116)


@pytest.mark.parametrize(
    ("promised", "checked", "not_before"),
    [
        # Skærtorsdag 17 April 2025: banks close until Tuesday 22 (Langfredag, the weekend, 2. påskedag).
        ("2025-04-17", "2025-04-22", ["2025-04-18", "2025-04-19", "2025-04-21"]),
        # A Friday: the ledger shows it on Monday, never on the Saturday (a hverdag, but no bank day).
        ("2026-03-06", "2026-03-09", ["2026-03-07"]),
        # Wednesday before Kristi himmelfart 2026 (Thursday 14 May, the banks closed on Friday 15 too).
        ("2026-05-13", "2026-05-18", ["2026-05-14", "2026-05-15", "2026-05-16"]),
        # An ordinary Thursday: the Friday.
        ("2025-02-06", "2025-02-07", []),
    ],
)
def test_a_promise_is_checked_the_first_bank_day_after_it_and_holds_until_then(
    promised: str, checked: str, not_before: list[str]
) -> None:
    # The landlord's ledger sees a payment a bank day later: checked sooner, a tenant who paid would be asked.
    facts: dict[str, Any] = {"balance_ore": OWED, "promise_on": D(promised)}
    assert brief(only(checked, **facts)) == ("promise_check", promised[:7], D(promised).day)
    for day in not_before:
        assert only(day, **facts) is None  # not checked, and nothing else comes between


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
        ("2025-03-17", {"termination_on": D("2025-03-14"), "demand_sent_on": SENT}, SETTINGS, "court",
         {"termination_on": None}, "demand"),
        ("2025-03-21", {"demand_sent_on": SENT, "promise_on": D("2025-03-20")}, SETTINGS, "demand",
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
        ({"promise_on": D("2025-02-05")}, "held_by_paid_claim"),
        ({"has_open_case": True}, "held_by_conversation"),
        ({"waiting_conversation": True}, "held_by_conversation"),
    ],
)
def test_skips_and_holds_are_counted(facts: dict[str, Any], counter: str) -> None:
    result = plan([snap("2025-02-04", balance_ore=OWED, **facts)], D("2025-02-04"), SETTINGS)
    assert result.reminders == ()
    assert getattr(result.summary, counter) == 1
    assert result.summary.planned == 0


@pytest.mark.parametrize("facts", [{"paid_claim_until": D("2025-02-03")}, {"promise_on": D("2025-02-03")}])
def test_just_inside_the_limits_still_plans(facts: dict[str, Any]) -> None:
    assert brief(only("2025-02-04", balance_ore=OWED, **facts)) in {
        ("missed", "2025-02", None),
        ("promise_check", "2025-02", 3),
    }


def test_balance_data_seven_days_old_still_plans() -> None:
    # Seven days are allowed: a påkrav reminder from last Monday's balance.
    r = only("2025-03-17", balance_ore=OWED, demand_sent_on=SENT, balance_as_of=D("2025-03-10"))
    assert brief(r) == ("demand", "2025-03", 7)


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


# The second look at a reminder that goes out later than the day it was planned for (scheduler.policy.recheck).
def again(planned: str, day: str, **overrides: Any) -> str | None:
    """Plan on `planned`, then ask whether that reminder may still go on `day` (the same facts unless overridden)."""
    r = only(planned, **overrides)
    assert r is not None
    facts = {"balance_as_of": D(day)} | overrides
    return recheck(snap(day, **facts), r.trigger, r.period, r.offset, D(day), SETTINGS)


@pytest.mark.parametrize(
    ("planned", "day", "why"),
    [
        ("2025-03-17", "2025-03-17", None),  # the day it was planned for
        ("2025-03-17", "2025-03-19", None),  # 7 days before, going out with 5 left: the 3-day one is not due yet
        ("2025-03-21", "2025-03-22", None),  # 3 days before, going out with 2 left
        ("2025-03-21", "2025-03-23", STAGE_PASSED),  # 1 day left: the next reminder's day has come
        # The last one, planned on Sunday 23 March (the day before a Monday deadline, when nothing is sent), goes on
        # the deadline day itself, still within the deadline: the legal clock gives it no later chance.
        ("2025-03-23", "2025-03-24", None),
        ("2025-03-23", "2025-03-25", STAGE_PASSED),  # the deadline has passed
        ("2025-03-21", "2025-03-24", STAGE_PASSED),  # the 3-day one on the deadline day: the last one goes instead
    ],
)
def test_a_late_demand_reminder_goes_while_its_stage_lasts(planned: str, day: str, why: str | None) -> None:
    assert again(planned, day, balance_ore=OWED, demand_sent_on=SENT) == why


def test_a_late_reminder_is_not_sent_once_the_rent_is_paid() -> None:
    r = only("2025-03-17", balance_ore=OWED, demand_sent_on=SENT)
    assert r is not None
    paid = snap("2025-03-18", balance_ore=0, demand_sent_on=SENT)
    assert recheck(paid, r.trigger, r.period, r.offset, D("2025-03-18"), SETTINGS) == NOTHING_OWED


def test_a_late_missed_reminder_goes_until_a_later_stage_is_due() -> None:
    # Rent due Sat 1 March 2025 was on time Mon 3 March; it shows missed from Tue 4 March.
    assert again("2025-03-04", "2025-03-05", balance_ore=OWED) is None
    # A påkrav for February's rent received 20 February: deadline Thu 6 March, its 1-day reminder on Wed 5 March.
    earlier = {"balance_ore": OWED, "demand_sent_on": D("2025-02-20")}
    assert brief(only("2025-03-05", **earlier)) == ("demand", "2025-02", 1)
    r = only("2025-03-04", **earlier)
    assert brief(r) == ("missed", "2025-03", None)
    assert again("2025-03-04", "2025-03-05", **earlier) == STAGE_PASSED  # the next plan takes the påkrav's stage


@pytest.mark.parametrize(
    "hold", [{"has_open_case": True}, {"waiting_conversation": True}, {"paid_claim_until": D("2025-03-08")}]
)
def test_a_late_reminder_held_now_is_no_longer_due(hold: dict[str, Any]) -> None:
    r = only("2025-03-04", balance_ore=OWED)
    assert r is not None
    later = snap("2025-03-05", balance_ore=OWED, **hold)
    assert recheck(later, r.trigger, r.period, r.offset, D("2025-03-05"), SETTINGS) == NO_LONGER_DUE


def test_a_late_reminder_from_stale_data_is_no_longer_due() -> None:
    r = only("2025-03-04", balance_ore=OWED)
    assert r is not None
    stale = snap("2025-03-20", balance_ore=OWED, balance_as_of=D("2025-03-04"))
    assert recheck(stale, r.trigger, r.period, r.offset, D("2025-03-20"), SETTINGS) == NO_LONGER_DUE


def test_a_late_before_due_reminder_goes_until_the_rent_is_due() -> None:
    flagged = {"due_day": 15, "at_risk": True}
    assert brief(only("2025-03-12", **flagged)) == ("before_due", "2025-03", None)
    assert again("2025-03-12", "2025-03-14", **flagged) is None
    assert again("2025-03-12", "2025-03-15", **flagged) == STAGE_PASSED


def test_a_late_court_eve_reminder_is_not_sent_on_the_court_date() -> None:
    court = {"balance_ore": OWED, "termination_on": D("2025-02-20"), "court_date": D("2025-03-17")}
    eve = court_eve(D("2025-03-17"))
    assert brief(only(eve.isoformat(), **court)) == ("court", "2025-03", 17)
    assert again(eve.isoformat(), "2025-03-17", **court) == STAGE_PASSED
    # The first outreach lasts as long as its court date does.
    assert again("2025-03-03", "2025-03-04", **court) is None


def test_only_the_court_eve_and_the_last_demand_reminder_have_no_next_chance() -> None:
    assert no_next_chance(Trigger.COURT, 16, SETTINGS)  # the eve: the court date's day is its offset
    assert not no_next_chance(Trigger.COURT, None, SETTINGS)  # the outreach
    assert no_next_chance(Trigger.DEMAND, 1, SETTINGS)
    assert [o for o in (7, 3) if no_next_chance(Trigger.DEMAND, o, SETTINGS)] == []
    assert no_next_chance(Trigger.DEMAND, 5, PolicySettings(demand_offsets=(5,)))
    assert not no_next_chance(Trigger.MISSED, 1, SETTINGS) and not no_next_chance(Trigger.BEFORE_DUE, None, SETTINGS)


# A court date ahead brings its reminders whatever is owed, so balance data too old to act on does not hold them:
# the organisation's ledger export may lag while the fogedret's date stands.
def test_stale_balance_data_does_not_silence_the_court_eve() -> None:
    court = {"balance_ore": OWED, "court_date": D("2027-03-24"), "balance_as_of": D("2027-03-01")}  # 22 days old
    assert brief(only("2027-03-23", **court)) == ("court", "2027-03", 24)
    r = only("2027-03-23", **court)
    assert r is not None
    # Planned on the eve and looked at again the same day: it still goes.
    assert recheck(snap("2027-03-23", **court), r.trigger, r.period, r.offset, D("2027-03-23"), SETTINGS) is None


def test_stale_balance_data_does_not_silence_a_newly_known_court_date() -> None:
    court = {"balance_ore": OWED, "court_date": D("2027-03-24"), "balance_as_of": D("2027-02-20")}
    assert brief(only("2027-03-05", **court)) == ("court", "2027-03", 124)


def test_stale_balance_data_still_silences_everything_else() -> None:
    # A termination without a court date, a påkrav, missed rent: each depends on the balance.
    for facts in ({"termination_on": D("2027-03-02")}, {"demand_sent_on": D("2027-02-22")}, {}):
        result = plan(
            [snap("2027-03-05", balance_ore=OWED, balance_as_of=D("2027-02-20"), **facts)], D("2027-03-05"), SETTINGS
        )
        assert result.reminders == () and result.summary.stale == 1
    # A court date already past: nothing ahead to remind of.
    past = snap("2027-03-05", balance_ore=OWED, balance_as_of=D("2027-02-20"), court_date=D("2027-03-04"))
    assert plan([past], D("2027-03-05"), SETTINGS).summary.stale == 1
    r = only("2027-03-05", balance_ore=OWED, termination_on=D("2027-03-02"))
    assert r is not None
    stale = snap("2027-03-05", balance_ore=OWED, termination_on=D("2027-03-02"), balance_as_of=D("2027-02-20"))
    assert recheck(stale, r.trigger, r.period, r.offset, D("2027-03-05"), SETTINGS) == NO_LONGER_DUE


# Each legal event is one outreach: a court date learned in the month of the termination, or moved within its
# month, has a key of its own (the host records each key once), and a repeat of the same one does not.
def test_a_court_date_in_the_month_of_the_termination_is_a_new_outreach() -> None:
    terminated = {"balance_ore": OWED, "termination_on": D("2027-03-02")}
    first = brief(only("2027-03-03", **terminated))
    second = brief(only("2027-03-10", **terminated, court_date=D("2027-03-24")))
    assert first == ("court", "2027-03", None) and second == ("court", "2027-03", 124)


def test_a_court_date_moved_within_its_month_is_a_new_outreach() -> None:
    before = brief(only("2027-03-01", balance_ore=OWED, court_date=D("2027-03-10")))
    moved = brief(only("2027-03-04", balance_ore=OWED, court_date=D("2027-03-26")))
    again = brief(only("2027-03-05", balance_ore=OWED, court_date=D("2027-03-26")))
    assert before == ("court", "2027-03", 110) and moved == again == ("court", "2027-03", 126)


def test_a_court_dates_outreach_planned_late_holds_only_for_that_date() -> None:
    r = only("2027-03-04", balance_ore=OWED, court_date=D("2027-03-26"))
    assert r is not None and not no_next_chance(r.trigger, r.offset, SETTINGS)
    same = snap("2027-03-05", balance_ore=OWED, court_date=D("2027-03-26"))
    moved = snap("2027-03-05", balance_ore=OWED, court_date=D("2027-03-27"))
    assert recheck(same, r.trigger, r.period, r.offset, D("2027-03-05"), SETTINGS) is None
    assert recheck(moved, r.trigger, r.period, r.offset, D("2027-03-05"), SETTINGS) == STAGE_PASSED


@pytest.mark.parametrize(
    ("due_day", "month", "planned"),
    [
        # Due Sun 27 Dec 2026: 24 Dec (three days before) and the days after it are quiet until Mon 28, after the
        # due date: the reminder comes on Wed 23 instead of being lost.
        (27, "2026-12", "2026-12-23"),
        (28, "2026-12", "2026-12-23"),  # Mon 28 Dec: 25 and the quiet days after hold it until the 28th
        (3, "2028-01", "2027-12-30"),  # Mon 3 Jan 2028: 31 Dec, Nytårsdag and the Sunday are quiet
        # A quiet day that only delays it, still before the due date, keeps the day: Sun 1 Mar 2026 -> goes Mon 2.
        (4, "2026-03", "2026-03-01"),
        (15, "2026-03", "2026-03-12"),  # an ordinary Thursday
    ],
)
def test_a_before_due_reminder_is_planned_on_a_day_it_can_go_before_the_due_date(
    due_day: int, month: str, planned: str
) -> None:
    flagged = {"due_day": due_day, "at_risk": True}
    first = D(f"{month}-01") - timedelta(days=12)
    days = [first + timedelta(days=n) for n in range(40)]
    hits = [day for day in days if brief(only(day.isoformat(), **flagged)) == ("before_due", month, None)]
    assert hits == [D(planned)]
    # Planned that day and looked at again on the first day it may go out: it still goes.
    goes = D(planned)
    while is_quiet_day(goes):
        goes += timedelta(days=1)
    assert again(planned, goes.isoformat(), **flagged) is None


@pytest.mark.parametrize(
    ("deadline", "offset", "planned"),
    [
        ("2026-03-16", 1, "2026-03-15"),  # Sunday before a Monday deadline: planned then, it goes that Monday
        ("2026-04-07", 1, "2026-04-06"),  # 2. påskedag before a Tuesday deadline: likewise
        ("2026-03-18", 1, "2026-03-17"),  # an ordinary Tuesday
        # Mon 24 December 2029: the Sunday before, then 24, 25 and 26 December are quiet, past the deadline.
        ("2029-12-24", 1, "2029-12-22"),
        ("2029-12-31", 1, "2029-12-29"),  # Mon 31 December 2029 after a Sunday: the Saturday
        ("2026-12-24", 0, "2026-12-23"),  # on the deadline day itself, 24 December: the day before
        ("2027-12-31", 0, "2027-12-30"),  # Fri 31 December 2027
        ("2026-12-28", 0, "2026-12-28"),  # Mon 28 December 2026: an ordinary day
    ],
)
def test_the_last_demand_reminder_is_planned_on_a_day_it_can_go_by_the_deadline(
    deadline: str, offset: int, planned: str
) -> None:
    assert last_demand_day(D(deadline), offset) == D(planned)


@pytest.mark.parametrize(
    ("sent_on", "settings", "expected"),
    [
        # Digital Post on Mon 10 December 2029: deadline Mon 24 December; the last reminder on Saturday 22.
        ("2029-12-10", SETTINGS, {"2029-12-17": 7, "2029-12-21": 3, "2029-12-22": 1}),
        # Mon 17 December 2029: deadline Mon 31 December; the 7-day reminder on Christmas Monday waits for the 27th.
        ("2029-12-17", SETTINGS, {"2029-12-24": 7, "2029-12-28": 3, "2029-12-29": 1}),
        # A reminder on the deadline day itself, Thu 24 December 2026: it comes on the 23rd.
        ("2026-12-10", PolicySettings(demand_offsets=(3, 0)), {"2026-12-21": 3, "2026-12-23": 0}),
    ],
)
def test_the_last_demand_reminder_before_a_christmas_deadline_goes_before_it(
    sent_on: str, settings: PolicySettings, expected: dict[str, int]
) -> None:
    facts: dict[str, Any] = {"balance_ore": OWED, "demand_sent_on": D(sent_on)}
    found = {}
    for n in range(25):
        day = (D(sent_on) + timedelta(days=n)).isoformat()
        r = only(day, settings, **facts)
        if r is not None and r.offset is not None:
            found[day] = r.offset
    assert found == expected
    last_day, last = max(found.items())
    # Planned that day, it goes that day: the sender's second look agrees.
    assert recheck(snap(last_day, **facts), Trigger.DEMAND, sent_on[:7], last, D(last_day), settings) is None
    r = only(last_day, settings, **facts)
    assert r is not None and r.ends_conversation
    # The operator reads the days actually left, not the offset's.
    left = (D(r.computed_from["deadline"]) - D(last_day)).days
    assert f"{left} day{'' if left == 1 else 's'} left" in r.reason and r.computed_from.get(
        "days_left", str(last)
    ) == str(left)
