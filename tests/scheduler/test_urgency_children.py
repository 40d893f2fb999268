"""Children under 18 in the household raise a case within its tier (retssikkerhedsloven § 5 a)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from scheduler.urgency import CHILDREN_LEAD_DAYS, case_priority

TODAY = date(2026, 3, 2)


@dataclass(frozen=True)
class Position:
    balance_ore: int = 500_000
    balance_as_of: date | None = TODAY
    monthly_rent_ore: int | None = 700_000
    due_day: int | None = 1
    demand_sent_on: date | None = None
    demand_received_on: date | None = None
    termination_on: date | None = None
    court_date: date | None = None


def test_children_rank_a_court_date_as_if_it_were_a_week_sooner() -> None:
    court = Position(court_date=TODAY + timedelta(days=20))
    sooner = Position(court_date=TODAY + timedelta(days=20 - CHILDREN_LEAD_DAYS))
    assert case_priority(court, TODAY, children=True) == case_priority(sooner, TODAY)
    assert case_priority(court, TODAY, children=True) > case_priority(court, TODAY, children=False)
    assert case_priority(court, TODAY, children=None) == case_priority(court, TODAY)


def test_children_never_lift_a_case_out_of_its_tier() -> None:
    overdue = Position()
    court_far = Position(court_date=TODAY + timedelta(days=200))
    assert case_priority(court_far, TODAY) > case_priority(overdue, TODAY, children=True)


def test_nothing_owed_and_no_court_path_stays_at_zero_with_children() -> None:
    assert case_priority(Position(balance_ore=0), TODAY, children=True) == 0
    assert case_priority(None, TODAY, children=True) == 0
