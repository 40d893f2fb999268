"""Which rent a påkrav concerns (`demanded_rent`) and one sent before the earliest day the law allows for it
(`early_demand`), on real Danish calendar dates."""

from __future__ import annotations

from datetime import date

import pytest

from scheduler.rent_day import EarlyDemand, demanded_rent, early_demand

D = date.fromisoformat


@pytest.mark.parametrize(
    ("sent_on", "due_day", "due", "earliest"),
    [
        # Rent due Wed 1 October 2025: count Thu 2, Fri 3, Sat 4, (Sun), Mon 5 -> the earliest day is Mon 6.
        ("2025-10-02", 1, "2025-10-01", "2025-10-06"),  # the 2nd, for rent due the 1st
        ("2025-10-05", 1, "2025-10-01", "2025-10-06"),  # the Sunday before the earliest day
        # Due Saturday 1 November 2025: the last on-time day is Mon 3; Tue 4, Wed 5, Thu 6 -> Fri 7 (counting from
        # the Saturday would give Thu 6: the later reading holds).
        ("2025-11-06", 1, "2025-11-01", "2025-11-07"),
        # Easter 2026: due Wed 1 April; Skærtorsdag Thu 2 and Langfredag Fri 3 do not count, Sat 4 does, Påskedag and
        # 2. påskedag do not, Tue 7, Wed 8 -> Thu 9 April.
        ("2026-04-08", 1, "2026-04-01", "2026-04-09"),
        # Due day 31 in February 2026 is Saturday 28: last on time Mon 2 March; Tue 3, Wed 4, Thu 5 -> Fri 6.
        ("2026-03-03", 31, "2026-02-28", "2026-03-06"),
        # Due day 15: a påkrav on the 18th is early for rent due Monday 15 December 2025 (earliest Fri 19).
        ("2025-12-18", 15, "2025-12-15", "2025-12-19"),
    ],
)
def test_a_påkrav_before_the_earliest_day_is_early(sent_on: str, due_day: int, due: str, earliest: str) -> None:
    assert early_demand(D(sent_on), due_day) == EarlyDemand(D(sent_on), D(due), D(earliest))


@pytest.mark.parametrize(
    ("sent_on", "due_day"),
    [
        ("2025-10-06", 1),  # the earliest day itself
        ("2025-10-20", 1),
        ("2025-11-07", 1),  # due on a Saturday: the earliest day itself
        ("2026-04-09", 1),  # after Easter: the earliest day itself
        ("2026-03-06", 31),
        ("2025-12-19", 15),
        ("2025-12-02", 15),  # for rent due 15 November, not December's (not yet due)
        ("2025-10-01", 1),  # on the due day itself: for September's rent, which it is in time for
        ("2026-03-02", 31),  # on the last on-time day of rent due Sat 28 February: for January's
    ],
)
def test_a_påkrav_on_or_after_the_earliest_day_is_in_time(sent_on: str, due_day: int) -> None:
    assert early_demand(D(sent_on), due_day) is None


@pytest.mark.parametrize(
    ("sent_on", "due_day", "due"),
    [
        ("2025-10-02", 1, "2025-10-01"),  # the day after the due day
        # On the due day a payment is still on time: the påkrav can only concern September's rent.
        ("2025-10-01", 1, "2025-09-01"),
        # Rent due Sat 1 November 2025 is on time until Mon 3: a påkrav on Sun 2 or Mon 3 concerns October's.
        ("2025-11-02", 1, "2025-10-01"),
        ("2025-11-03", 1, "2025-10-01"),
        ("2025-11-04", 1, "2025-11-01"),
        # Due Wed 1 April 2026 (before Easter) is on time that day only; Skærtorsdag is after it.
        ("2026-04-02", 1, "2026-04-01"),
        # Due day 31: Sat 31 January 2026 is on time until Mon 2 February, Sat 28 February until Mon 2 March.
        ("2026-02-01", 31, "2025-12-31"),
        ("2026-02-03", 31, "2026-01-31"),
        ("2026-03-02", 31, "2026-01-31"),
        ("2026-03-03", 31, "2026-02-28"),
        ("2025-12-02", 15, "2025-11-15"),  # December's rent is not due yet
    ],
)
def test_a_påkrav_concerns_the_latest_rent_whose_last_on_time_day_has_passed(
    sent_on: str, due_day: int, due: str
) -> None:
    assert demanded_rent(D(sent_on), due_day) == D(due)


def test_no_påkrav_is_never_early() -> None:
    assert early_demand(None, 1) is None
