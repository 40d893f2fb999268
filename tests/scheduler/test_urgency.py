"""The legal clock: which date drives a case, and a priority that orders the advisers' queue for good."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import pytest

from scheduler.urgency import (
    COURT_LEAD_DAYS,
    Stage,
    act_by,
    case_priority,
    demand_deadline_of,
    running_deadline,
    spoken_stage,
    urgency_of,
)


@dataclass(frozen=True)
class Position:
    """A rent position as the database row has it: 5,000 kr owed of a 7,000 kr monthly rent, due the 1st."""

    balance_ore: int = 500_000
    balance_as_of: date | None = date(2026, 2, 20)
    monthly_rent_ore: int | None = 700_000
    due_day: int | None = 1
    demand_sent_on: date | None = None
    demand_received_on: date | None = None
    termination_on: date | None = None
    court_date: date | None = None


def position(**values: Any) -> Position:
    return replace(Position(), **values)


@pytest.mark.parametrize(
    ("values", "stage", "driven_by"),
    [
        ({"court_date": date(2026, 3, 10), "termination_on": date(2026, 2, 1)}, "court", date(2026, 3, 10)),
        ({"court_date": date(2026, 3, 10), "balance_ore": 0}, "court", date(2026, 3, 10)),
        ({"termination_on": date(2026, 3, 1), "demand_sent_on": date(2026, 1, 5)}, "termination", date(2026, 3, 1)),
        # a påkrav is driven by its computed deadline: Digital Post, received Mon 9 Feb -> Mon 23 Feb
        ({"demand_sent_on": date(2026, 2, 9)}, "demand", date(2026, 2, 23)),
        # a paper letter received Thu 12 Feb -> Thu 26 Feb
        ({"demand_sent_on": date(2026, 2, 9), "demand_received_on": date(2026, 2, 12)}, "demand", date(2026, 2, 26)),
        ({"demand_received_on": date(2026, 2, 12)}, "demand", date(2026, 2, 26)),
        ({"demand_sent_on": date(2026, 2, 9), "balance_ore": 0}, "", None),  # paid since the påkrav
        ({}, "overdue", date(2026, 2, 1)),  # less than a month's rent: this month's due date
        ({"balance_ore": 1_500_000}, "overdue", date(2025, 12, 1)),  # three rents' worth: back to December
        ({"balance_ore": 1_500_000, "monthly_rent_ore": None}, "overdue", date(2026, 2, 1)),  # rent unknown
        ({"balance_ore": 10**10}, "overdue", date(2024, 3, 1)),  # counted back two years at most
        ({"due_day": 31, "balance_as_of": date(2026, 3, 5)}, "overdue", date(2026, 2, 28)),
        ({"due_day": None, "balance_as_of": date(2026, 3, 5)}, "overdue", date(2026, 3, 1)),
        ({"balance_as_of": None}, "", None),  # no balance data
        ({"balance_ore": 0}, "", None),
        ({"balance_ore": -10_000}, "", None),  # paid ahead
    ],
)
def test_urgency_names_the_stage_and_the_date_that_drives_it(
    values: dict[str, Any], stage: Stage, driven_by: date | None
) -> None:
    assert urgency_of(position(**values)) == (stage, driven_by)


def test_no_rent_position_has_no_urgency() -> None:
    assert urgency_of(None) == ("", None)
    assert case_priority(None, date(2026, 3, 1)) == 0
    assert case_priority(position(balance_ore=0), date(2026, 3, 1)) == 0


@pytest.mark.parametrize(
    ("more_urgent", "less_urgent"),
    [
        # the tiers: the court path (court date or termination) before påkrav before overdue, whatever the dates
        ({"court_date": date(2026, 9, 1)}, {"demand_sent_on": date(2026, 2, 1)}),
        ({"termination_on": date(2026, 9, 1)}, {"demand_sent_on": date(2026, 2, 1)}),
        ({"demand_sent_on": date(2026, 2, 9)}, {"balance_ore": 9_000_000}),
        ({"balance_ore": 100}, {"balance_ore": 0}),
        # on the court path, the earliest act-by day: a termination in effect counts as a court date two weeks on
        ({"termination_on": date(2026, 2, 1)}, {"court_date": date(2026, 4, 20)}),  # two months away
        ({"termination_on": date(2026, 2, 19)}, {"court_date": date(2026, 3, 10)}),
        ({"court_date": date(2026, 3, 2)}, {"termination_on": date(2026, 2, 1)}),  # a court date next week
        ({"court_date": date(2026, 3, 5)}, {"termination_on": date(2026, 2, 20)}),  # in effect from today
        ({"termination_on": date(2026, 3, 1)}, {"court_date": date(2026, 4, 1)}),  # in effect in 9 days
        ({"court_date": date(2026, 3, 10)}, {"court_date": date(2026, 3, 20)}),
        ({"termination_on": date(2026, 3, 1)}, {"termination_on": date(2026, 4, 1)}),
        ({"demand_sent_on": date(2026, 2, 1)}, {"demand_sent_on": date(2026, 2, 9)}),
        # the deadline counts, not the day of sending: a paper letter sent earlier but received later
        (
            {"demand_sent_on": date(2026, 2, 9)},
            {"demand_sent_on": date(2026, 2, 5), "demand_received_on": date(2026, 2, 12)},
        ),
        ({"balance_ore": 1_500_000}, {"balance_ore": 700_000}),  # three months behind, then one
        # the same day: the larger amount first
        ({"court_date": date(2026, 3, 10), "balance_ore": 900_000}, {"court_date": date(2026, 3, 10)}),
        ({"termination_on": date(2026, 1, 5), "balance_ore": 900_000}, {"termination_on": date(2026, 2, 10)}),
        ({"balance_ore": 700_000, "monthly_rent_ore": None}, {"balance_ore": 300_000, "monthly_rent_ore": None}),
    ],
)
def test_priority_follows_the_legal_clock(more_urgent: dict[str, Any], less_urgent: dict[str, Any]) -> None:
    today = date(2026, 2, 20)
    assert case_priority(position(**more_urgent), today) > case_priority(position(**less_urgent), today)


@pytest.mark.parametrize(
    ("values", "acts_by"),
    [
        ({"court_date": date(2026, 3, 10)}, date(2026, 3, 10)),
        ({"court_date": date(2026, 2, 1)}, date(2026, 2, 20)),  # a court date passed: today
        ({"termination_on": date(2026, 3, 1)}, date(2026, 3, 1) + timedelta(days=COURT_LEAD_DAYS)),
        ({"termination_on": date(2026, 1, 1)}, date(2026, 2, 20) + timedelta(days=COURT_LEAD_DAYS)),  # in effect
        ({"termination_on": date(2026, 1, 1), "court_date": date(2026, 4, 20)}, date(2026, 4, 20)),
        ({"demand_sent_on": date(2026, 2, 9)}, date(2026, 2, 23)),
        ({"balance_ore": 1_500_000}, date(2025, 12, 1)),
        ({"balance_ore": 0}, None),
    ],
)
def test_the_day_a_person_should_act_by(values: dict[str, Any], acts_by: date | None) -> None:
    assert act_by(position(**values), date(2026, 2, 20)) == acts_by


@pytest.mark.parametrize(
    "values",
    [
        {"court_date": date(2026, 3, 10)},
        {"demand_sent_on": date(2026, 2, 9)},
        {"balance_ore": 1_500_000},
        {"balance_ore": 0},
    ],
)
def test_priority_of_a_date_ahead_does_not_drift_as_days_pass(values: dict[str, Any]) -> None:
    stored = case_priority(position(**values), date(2026, 2, 20))
    for today in (date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 10)):
        assert case_priority(position(**values), today) == stored


def test_a_termination_climbs_once_it_is_in_effect() -> None:
    ended = position(termination_on=date(2026, 3, 1))
    court_in_april = position(court_date=date(2026, 4, 10))
    # Before it takes effect it waits its turn; from then on it is ranked as a court date two weeks ahead.
    assert case_priority(ended, date(2026, 2, 1)) > case_priority(court_in_april, date(2026, 2, 1))
    assert case_priority(ended, date(2026, 3, 30)) < case_priority(court_in_april, date(2026, 3, 30))
    for day in (date(2026, 3, 1), date(2026, 3, 2), date(2026, 6, 1)):
        two_weeks_on = position(court_date=day + timedelta(days=COURT_LEAD_DAYS))
        assert case_priority(ended, day) == case_priority(two_weeks_on, day)


def test_the_amount_only_breaks_ties_and_priority_fits_a_database_integer() -> None:
    today = date(2026, 1, 1)
    rich = case_priority(position(court_date=date(2026, 3, 11), balance_ore=10**12), today)
    assert rich < case_priority(position(court_date=date(2026, 3, 10), balance_ore=0), today)
    assert rich < 2**31
    assert case_priority(position(court_date=date(1990, 1, 1), balance_ore=10**12), today) < 2**31


def test_the_delivery_days_setting_moves_a_påkrav_deadline() -> None:
    sent = position(demand_sent_on=date(2026, 2, 9))
    assert urgency_of(sent, 3) == ("demand", date(2026, 2, 26))  # received Thu 12 -> Thu 26
    assert demand_deadline_of(sent, 3) == date(2026, 2, 26)
    # A recorded day of receipt wins over any delivery time.
    received = position(demand_sent_on=date(2026, 2, 9), demand_received_on=date(2026, 2, 10))
    assert urgency_of(received, 3) == ("demand", date(2026, 2, 24))
    today = date(2026, 2, 20)
    assert case_priority(sent, today, 3) < case_priority(sent, today, 0)  # the later deadline comes later


@pytest.mark.parametrize(
    ("values", "today", "running"),
    [
        ({"demand_sent_on": date(2026, 2, 9)}, date(2026, 2, 23), date(2026, 2, 23)),  # the last day
        ({"demand_sent_on": date(2026, 2, 9)}, date(2026, 2, 24), None),  # passed
        ({"demand_sent_on": date(2026, 2, 9), "termination_on": date(2026, 2, 20)}, date(2026, 2, 21), None),
        ({"demand_sent_on": date(2026, 2, 9), "court_date": date(2026, 3, 20)}, date(2026, 2, 21), None),
        ({}, date(2026, 2, 21), None),
    ],
)
def test_the_running_deadline(values: dict[str, Any], today: date, running: date | None) -> None:
    assert running_deadline(position(**values), today) == running


@pytest.mark.parametrize(
    ("values", "today", "spoken"),
    [
        ({"court_date": date(2026, 3, 20)}, date(2026, 2, 21), "court"),
        ({"termination_on": date(2026, 2, 20), "balance_ore": 0}, date(2026, 2, 21), "court"),  # paid, still court
        ({"demand_sent_on": date(2026, 2, 9)}, date(2026, 2, 23), "demand"),  # the deadline's last day
        ({"demand_sent_on": date(2026, 2, 9)}, date(2026, 2, 24), None),  # passed: no deadline to speak of
        ({}, date(2026, 2, 21), None),  # only overdue
        (None, date(2026, 2, 21), None),
    ],
)
def test_the_stage_a_tenant_who_writes_first_is_spoken_to_at(
    values: dict[str, Any] | None, today: date, spoken: str | None
) -> None:
    assert spoken_stage(None if values is None else position(**values), today) == spoken
