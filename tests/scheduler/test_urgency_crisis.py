"""Words of crisis put a case before every tier of the legal clock (rule 0 of `case_priority`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from scheduler.urgency import case_priority

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


def test_words_of_crisis_come_before_a_court_date_tomorrow() -> None:
    court = Position(court_date=TODAY + timedelta(days=1))
    assert case_priority(Position(), TODAY, crisis=True) > case_priority(court, TODAY, children=True)
    # Even with nothing owed and no rent position at all.
    assert case_priority(None, TODAY, crisis=True) > case_priority(court, TODAY)
    assert case_priority(Position(balance_ore=0), TODAY, crisis=True) > case_priority(court, TODAY)


def test_among_cases_after_words_of_crisis_the_legal_clock_orders() -> None:
    court = Position(court_date=TODAY + timedelta(days=1))
    assert case_priority(court, TODAY, crisis=True) > case_priority(Position(), TODAY, crisis=True)
    assert case_priority(court, TODAY, crisis=False) == case_priority(court, TODAY)
