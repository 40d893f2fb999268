"""Words of crisis put a case before every tier of the legal clock (rule 0 of `case_priority`)."""

from __future__ import annotations

from datetime import timedelta

from scheduler.urgency import case_priority
from tests.scheduler.test_urgency_children import TODAY, Position


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
