"""Table tests for the Danish rent calendar, 2024–2028; each expected date is reasoned by hand."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from scheduler.calendar import (
    demand_deadline,
    demand_received,
    due_date,
    earliest_demand_day,
    easter,
    is_bank_day,
    is_legal_holiday,
    last_on_time_day,
    next_bank_day,
    next_hverdag,
)

D = date.fromisoformat


@pytest.mark.parametrize(
    ("day", "holiday"),
    [
        ("2024-03-28", True),  # Skærtorsdag
        ("2024-03-29", True),  # Langfredag
        ("2024-04-01", True),  # 2. påskedag
        ("2024-04-26", False),  # former Store Bededag, abolished from 2024
        ("2023-05-05", True),  # Store Bededag 2023, still a holiday then
        ("2024-05-01", False),  # 1 May: optional category only
        ("2024-12-24", False),  # juleaftensdag: a bank closing day, not a legal holiday
        ("2024-12-31", False),  # nytårsaftensdag: likewise
        ("2025-05-29", True),  # Kristi himmelfartsdag
        ("2025-05-30", False),  # the Friday after: a bank closing day only
        ("2025-06-05", True),  # Grundlovsdag (Thursday), treated as a holiday
        ("2026-06-05", True),  # Grundlovsdag (Friday)
        ("2027-05-16", True),  # Pinsedag
        ("2027-05-17", True),  # 2. pinsedag
        ("2025-12-25", True),  # Juledag
        ("2025-12-26", True),  # 2. juledag
        ("2027-01-01", True),  # Nytårsdag
        ("2025-04-19", False),  # Saturday between Langfredag and Påskedag
        ("2025-04-27", True),  # an ordinary Sunday
        ("2026-03-11", False),  # an ordinary Wednesday
    ],
)
def test_is_legal_holiday(day: str, holiday: bool) -> None:
    assert is_legal_holiday(D(day)) is holiday


@pytest.mark.parametrize(
    ("year", "month", "due_day", "expected"),
    [
        (2025, 3, 1, "2025-03-01"),
        (2025, 3, 15, "2025-03-15"),
        (2025, 2, 31, "2025-02-28"),
        (2024, 2, 31, "2024-02-29"),  # leap year
        (2024, 2, 30, "2024-02-29"),
        (2026, 4, 31, "2026-04-30"),
        (2025, 11, 31, "2025-11-30"),
        (2027, 6, 31, "2027-06-30"),
        (2027, 12, 31, "2027-12-31"),
    ],
)
def test_due_date(year: int, month: int, due_day: int, expected: str) -> None:
    assert due_date(year, month, due_day) == D(expected)


@pytest.mark.parametrize("due_day", [0, 32, -1])
def test_due_date_rejects_impossible_due_day(due_day: int) -> None:
    with pytest.raises(ValueError, match="due_day"):
        due_date(2025, 1, due_day)


@pytest.mark.parametrize(
    ("due", "last_on_time", "earliest_demand"),
    [
        # Wednesday: count Thu 2, Fri 3, Sat 4; the day after is Sunday 5, so the next hverdag, Mon 6.
        ("2025-10-01", "2025-10-01", "2025-10-06"),
        # Saturday due day: Mon 3 Feb; count Tue, Wed, Thu -> Fri 7 (not Thu 6 from the Saturday).
        ("2025-02-01", "2025-02-03", "2025-02-07"),
        # Sunday due day: Mon 2 June; count Tue 3, Wed 4, (Grundlovsdag Thu 5 skipped), Fri 6.
        ("2025-06-01", "2025-06-02", "2025-06-07"),
        # Grundlovsdag (Wed 5 June 2024): Thu 6; count Fri 7, Sat 8, (Sun), Mon 10.
        ("2024-06-05", "2024-06-06", "2024-06-11"),
        # Grundlovsdag on a Friday (2026): Mon 8; count Tue, Wed, Thu 11.
        ("2026-06-05", "2026-06-08", "2026-06-12"),
        # 2. påskedag (Mon 1 April 2024): Tue 2; count Wed 3, Thu 4, Fri 5.
        ("2024-04-01", "2024-04-02", "2024-04-06"),
        # Skærtorsdag 2027: past Langfredag, the weekend, Påskedag and 2. påskedag to Tue 30 March.
        ("2027-03-25", "2027-03-30", "2027-04-03"),
        # Kristi himmelfartsdag (Thu 9 May 2024): Fri 10; count Sat 11, (Sun), Mon 13, Tue 14.
        ("2024-05-09", "2024-05-10", "2024-05-15"),
        # 2. pinsedag (Mon 25 May 2026): Tue 26; count Wed 27, Thu 28, Fri 29.
        ("2026-05-25", "2026-05-26", "2026-05-30"),
        # Juledag (Thu 25 Dec 2025): past 2. juledag and the weekend to Mon 29; count Tue 30,
        # Wed 31, (Nytårsdag), Fri 2 Jan.
        ("2025-12-25", "2025-12-29", "2026-01-03"),
        # 24 Dec 2024 (Tue) is not a holiday; count (25, 26 skipped) Fri 27, Sat 28, (Sun), Mon 30.
        ("2024-12-24", "2024-12-24", "2024-12-31"),
        # Nytårsdag on a Thursday (2026): Fri 2; count Sat 3, (Sun), Mon 5, Tue 6.
        ("2026-01-01", "2026-01-02", "2026-01-07"),
        # Nytårsdag on a Friday (2027): Mon 4; count Tue 5, Wed 6, Thu 7.
        ("2027-01-01", "2027-01-04", "2027-01-08"),
        # Due day 31 in April 2026 -> Thu 30 April; 1 May is a hverdag: Fri 1, Sat 2, (Sun), Mon 4.
        ("2026-04-30", "2026-04-30", "2026-05-05"),
        # Due day 31 in November 2025 -> Sun 30 Nov; Mon 1 Dec; count Tue 2, Wed 3, Thu 4.
        ("2025-11-30", "2025-12-01", "2025-12-05"),
        # Due day 31 in February 2025 -> Fri 28 Feb; count Sat 1, (Sun), Mon 3, Tue 4.
        ("2025-02-28", "2025-02-28", "2025-03-05"),
        # Saturday 31 May 2025: past Sun 1 June to Mon 2 June, as for the 1st.
        ("2025-05-31", "2025-06-02", "2025-06-07"),
        # Grundlovsdag on 2. pinsedag (Mon 5 June 2028): Tue 6; count Wed 7, Thu 8, Fri 9; Saturday 10 is a hverdag.
        ("2028-06-05", "2028-06-06", "2028-06-10"),
        # Skærtorsdag 2028: Tue 18 April; count Wed 19, Thu 20, Fri 21 -> Sat 22.
        ("2028-04-13", "2028-04-18", "2028-04-22"),
        # Kristi himmelfartsdag (Thu 25 May 2028): Fri 26; count Sat 27, (Sun), Mon 29, Tue 30 -> Wed 31.
        ("2028-05-25", "2028-05-26", "2028-05-31"),
        # Sun 24 December 2028: Wed 27; count Thu 28, Fri 29, Sat 30; Sunday 31 and Nytårsdag -> Tue 2 January 2029.
        ("2028-12-24", "2028-12-27", "2029-01-02"),
    ],
)
def test_last_on_time_and_earliest_demand(due: str, last_on_time: str, earliest_demand: str) -> None:
    assert last_on_time_day(D(due)) == D(last_on_time)
    assert earliest_demand_day(D(due)) == D(earliest_demand)


@pytest.mark.parametrize(
    ("received_on", "expected"),
    [
        # 14 days after the day the påkrav reached the tenant; a Saturday, Sunday or holiday moves it on.
        ("2025-03-12", "2025-03-26"),  # Wed -> Wed
        ("2025-03-08", "2025-03-24"),  # +14 = Sat 22 March -> Mon 24
        ("2025-04-03", "2025-04-22"),  # +14 = Skærtorsdag 17 April -> past Easter to Tue 22 April
        ("2025-05-22", "2025-06-06"),  # +14 = Grundlovsdag Thu 5 June -> Fri 6 June
        ("2024-05-05", "2024-05-21"),  # +14 = Pinsedag Sun 19 May -> past 2. pinsedag to Tue 21 May
        ("2024-12-30", "2025-01-13"),  # Mon -> Mon, across the new year
    ],
)
def test_demand_deadline(received_on: str, expected: str) -> None:
    assert demand_deadline(D(received_on)) == D(expected)


# Digital Post: a påkrav counts as received the day it lands in the inbox, any day of the week, so with
# the default delivery time of 0 days the day it was sent is the day it was received.
@pytest.mark.parametrize(
    ("sent_on", "expected"),
    [
        ("2026-03-02", "2026-03-16"),  # Mon -> Mon 16 March
        ("2026-03-06", "2026-03-20"),  # Fri -> Fri 20 March
        ("2026-03-07", "2026-03-23"),  # sent on a Saturday: +14 = Sat 21 -> Mon 23
        ("2026-03-08", "2026-03-23"),  # sent on a Sunday: +14 = Sun 22 -> Mon 23
        ("2026-03-19", "2026-04-07"),  # +14 = Skærtorsdag 2 April -> Langfredag, Easter, 2. påskedag -> Tue 7
        ("2026-04-30", "2026-05-15"),  # +14 = Kristi himmelfartsdag 14 May -> Fri 15 (a bank holiday only)
        ("2026-05-10", "2026-05-26"),  # +14 = Pinsedag 24 May -> past 2. pinsedag to Tue 26
        ("2026-05-11", "2026-05-26"),  # +14 = 2. pinsedag Mon 25 May -> Tue 26
        ("2026-05-22", "2026-06-08"),  # +14 = Grundlovsdag Fri 5 June -> past the weekend to Mon 8
        ("2026-12-10", "2026-12-24"),  # +14 = Thu 24 December: no legal holiday, it stays
        ("2026-12-11", "2026-12-28"),  # +14 = Juledag Fri 25 -> 2. juledag Sat 26, Sun 27 -> Mon 28
        ("2026-12-17", "2026-12-31"),  # +14 = Thu 31 December: no legal holiday, it stays
        ("2026-12-18", "2027-01-04"),  # +14 = Nytårsdag Fri 1 January 2027 -> Mon 4
        ("2027-01-03", "2027-01-18"),  # sent on a Sunday: +14 = Sun 17 -> Mon 18
        ("2027-01-13", "2027-01-27"),  # Wed -> Wed
        ("2027-03-11", "2027-03-30"),  # +14 = Skærtorsdag 25 March 2027 -> past Easter to Tue 30
        ("2027-04-22", "2027-05-07"),  # +14 = Kristi himmelfartsdag 6 May -> Fri 7
        ("2027-05-03", "2027-05-18"),  # +14 = 2. pinsedag Mon 17 May -> Tue 18
        ("2027-05-22", "2027-06-07"),  # +14 = Grundlovsdag on Saturday 5 June -> Mon 7
        ("2027-12-10", "2027-12-24"),  # +14 = Fri 24 December: stays
        ("2027-12-17", "2027-12-31"),  # +14 = Fri 31 December: stays
        ("2028-03-30", "2028-04-18"),  # +14 = Skærtorsdag 13 April 2028 -> past Easter to Tue 18
        ("2028-04-29", "2028-05-15"),  # +14 = Saturday 13 May -> Monday 15
        ("2028-05-11", "2028-05-26"),  # +14 = Kristi himmelfartsdag 25 May -> Fri 26
        ("2028-05-22", "2028-06-06"),  # +14 = Grundlovsdag and 2. pinsedag, Mon 5 June -> Tue 6
        ("2028-12-10", "2028-12-27"),  # +14 = Sunday 24 December -> past Juledag and 2. juledag to Wed 27
        ("2028-12-16", "2029-01-02"),  # +14 = Sat 30 December -> Sunday, Nytårsdag -> Tue 2 January 2029
    ],
)
def test_digital_post_deadlines_2026_2028(sent_on: str, expected: str) -> None:
    received = demand_received(D(sent_on), None, 0)
    assert received == D(sent_on)
    assert demand_deadline(received) == D(expected)


@pytest.mark.parametrize(
    ("sent_on", "received_on", "delivery_days", "expected"),
    [
        ("2026-03-02", None, 0, "2026-03-02"),  # Digital Post: received the day it was sent
        ("2026-03-02", None, 3, "2026-03-05"),  # a paper letter, when the organisation sets a delivery time
        ("2026-03-02", "2026-03-06", 0, "2026-03-06"),  # a recorded day of receipt wins
        ("2026-03-02", "2026-03-06", 3, "2026-03-06"),  # whatever the delivery time
        (None, "2026-03-06", 0, "2026-03-06"),  # only the day of receipt is known
        (None, None, 3, None),  # no påkrav
    ],
)
def test_the_day_a_påkrav_was_received(
    sent_on: str | None, received_on: str | None, delivery_days: int, expected: str | None
) -> None:
    found = demand_received(D(sent_on) if sent_on else None, D(received_on) if received_on else None, delivery_days)
    assert found == (D(expected) if expected else None)


def test_a_paper_letter_moves_the_deadline() -> None:
    # Sent Fri 6 March 2026: by Digital Post the deadline is Fri 20; received on Tue 10 it is Tue 24.
    by_digital_post = demand_received(D("2026-03-06"), None, 0)
    on_paper = demand_received(D("2026-03-06"), D("2026-03-10"), 0)
    assert by_digital_post is not None and demand_deadline(by_digital_post) == D("2026-03-20")
    assert on_paper is not None and demand_deadline(on_paper) == D("2026-03-24")


def test_negative_delivery_days_are_refused() -> None:
    with pytest.raises(ValueError, match="delivery_days"):
        demand_received(D("2025-03-10"), None, -1)


@pytest.mark.parametrize(
    ("due", "earliest_demand"),
    [
        # The count ends on a Saturday: the day after is a Sunday, so the påkrav may come on Monday.
        ("2026-01-28", "2026-02-02"),  # Wed: Thu 29, Fri 30, Sat 31 -> (Sun 1 Feb) -> Mon 2
        ("2026-07-01", "2026-07-06"),  # Wed: Thu 2, Fri 3, Sat 4 -> (Sun 5) -> Mon 6
        ("2027-09-01", "2027-09-06"),  # Wed: Thu 2, Fri 3, Sat 4 -> (Sun 5) -> Mon 6
        # ... or on a holiday: Mon 30 March 2026 -> Tue 31, Wed 1 April, (Skærtorsdag, Langfredag) Sat 4;
        # the day after is Påskedag, then 2. påskedag -> Tue 7 April.
        ("2026-03-30", "2026-04-07"),
        # Tue 21 Dec 2027 -> Wed 22, Thu 23, Fri 24 (an ordinary day for the lease rules); the day after is
        # Juledag on a Saturday, then Sunday -> Mon 27 December.
        ("2027-12-21", "2027-12-27"),
    ],
)
def test_the_earliest_påkrav_day_is_never_a_sunday_or_holiday(due: str, earliest_demand: str) -> None:
    found = earliest_demand_day(D(due))
    assert found == D(earliest_demand)
    assert not is_legal_holiday(found)


def test_no_earliest_påkrav_day_falls_on_a_sunday_or_holiday_in_four_years() -> None:
    start = D("2024-01-01")
    days = [date.fromordinal(start.toordinal() + n) for n in range(4 * 366)]
    landed_on_rest_days = [d for d in days if is_legal_holiday(earliest_demand_day(d))]
    assert landed_on_rest_days == []


@pytest.mark.parametrize(
    ("day", "bank_day"),
    [
        ("2026-03-11", True),  # an ordinary Wednesday
        ("2026-03-14", False),  # Saturday: a hverdag for the lease rules, but banks are closed
        ("2026-03-15", False),  # Sunday
        ("2026-04-03", False),  # Langfredag
        ("2026-05-14", False),  # Kristi himmelfartsdag
        ("2026-05-15", False),  # the Friday after Kristi himmelfartsdag
        ("2027-05-07", False),  # the Friday after Kristi himmelfartsdag 2027
        ("2026-06-05", False),  # Grundlovsdag
        ("2026-12-24", False),  # juleaftensdag
        ("2026-12-31", False),  # nytårsaftensdag
        ("2026-12-23", True),
        ("2026-05-01", True),  # 1 May is an ordinary bank day
        ("2027-12-24", False),  # juleaftensdag on a Friday
        ("2028-05-26", False),  # the Friday after Kristi himmelfartsdag 2028
        ("2028-06-05", False),  # Grundlovsdag and 2. pinsedag
        ("2028-05-01", True),
        ("2028-12-22", True),  # the Friday before Christmas 2028
    ],
)
def test_is_bank_day(day: str, bank_day: bool) -> None:
    assert is_bank_day(D(day)) is bank_day


@pytest.mark.parametrize(
    ("last_on_time", "expected"),
    [
        ("2026-05-01", "2026-05-04"),  # a Friday last on-time day: the ledger sees Monday
        ("2027-02-26", "2027-03-01"),  # Friday -> Monday
        ("2027-06-04", "2027-06-07"),  # Friday before Grundlovsdag on a Saturday -> Monday
        ("2026-05-15", "2026-05-18"),  # the Friday after Kristi himmelfartsdag (itself closed) -> Monday
        ("2027-05-05", "2027-05-10"),  # Wed before Kristi himmelfartsdag: Thu and Fri closed -> Monday
        ("2026-03-27", "2026-03-30"),  # Friday before Palm Sunday -> Monday
        ("2026-04-01", "2026-04-07"),  # Wed before Easter -> past Skærtorsdag to 2. påskedag -> Tue 7
        ("2026-12-23", "2026-12-28"),  # past juleaftensdag, Juledag, 2. juledag and the weekend
        ("2026-12-24", "2026-12-28"),  # a last on-time day of 24 December (a hverdag) -> Mon 28
        ("2026-12-31", "2027-01-04"),  # 31 December -> Nytårsdag, the weekend -> Mon 4 January
        ("2026-06-04", "2026-06-08"),  # Thursday before Grundlovsdag on a Friday -> Monday
        ("2028-12-22", "2028-12-27"),  # Friday -> past 24 (Sunday), Juledag and 2. juledag to Wed 27
        ("2028-05-24", "2028-05-29"),  # Wed before Kristi himmelfartsdag 2028: Thu and Fri closed -> Monday
    ],
)
def test_next_bank_day(last_on_time: str, expected: str) -> None:
    assert next_bank_day(D(last_on_time)) == D(expected)


@pytest.mark.parametrize("year", range(2024, 2031))
def test_easter_agrees_with_the_holiday_calendar(year: int) -> None:
    sunday = easter(year)
    assert sunday.weekday() == 6 and is_legal_holiday(sunday)
    assert is_legal_holiday(sunday - timedelta(days=3)) and is_legal_holiday(sunday + timedelta(days=39))
    assert not is_legal_holiday(sunday + timedelta(days=40)) and not is_bank_day(sunday + timedelta(days=40))


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2025-03-11", "2025-03-12"),  # Tue -> Wed
        ("2025-04-18", "2025-04-19"),  # Langfredag -> Saturday, which is a hverdag
        ("2025-04-19", "2025-04-22"),  # Saturday -> past Påskedag and 2. påskedag
        ("2025-06-04", "2025-06-06"),  # past Grundlovsdag
        ("2025-12-24", "2025-12-27"),  # past Juledag and 2. juledag to Saturday
        ("2026-12-31", "2027-01-02"),  # past Nytårsdag (Fri) to Saturday
        ("2024-05-18", "2024-05-21"),  # Saturday -> past Pinsedag and 2. pinsedag
    ],
)
def test_next_hverdag(day: str, expected: str) -> None:
    assert next_hverdag(D(day)) == D(expected)


# Every legal holiday of each year besides ordinary Sundays, written out by hand (Easter: 31 March 2024,
# 20 April 2025, 5 April 2026, 28 March 2027), with Grundlovsdag and without Store Bededag.
HOLIDAYS = {
    2024: "01-01 03-28 03-29 03-31 04-01 05-09 05-19 05-20 06-05 12-25 12-26",
    2025: "01-01 04-17 04-18 04-20 04-21 05-29 06-05 06-08 06-09 12-25 12-26",
    2026: "01-01 04-02 04-03 04-05 04-06 05-14 05-24 05-25 06-05 12-25 12-26",
    2027: "01-01 03-25 03-26 03-28 03-29 05-06 05-16 05-17 06-05 12-25 12-26",
    # Easter 16 April 2028; Grundlovsdag falls on 2. pinsedag.
    2028: "01-01 04-13 04-14 04-16 04-17 05-25 06-04 06-05 12-25 12-26",
}


@pytest.mark.parametrize("year", sorted(HOLIDAYS))
def test_every_legal_holiday_of_the_year(year: int) -> None:
    expected = {D(f"{year}-{md}") for md in HOLIDAYS[year].split()}
    start = date(year, 1, 1)
    found = set()
    for n in range(366):
        d = date.fromordinal(start.toordinal() + n)
        if d.year == year and is_legal_holiday(d) and d.weekday() != 6:
            found.add(d)
    assert found == {d for d in expected if d.weekday() != 6}


@pytest.mark.parametrize(
    ("due", "last_on_time"),
    [
        ("2027-06-05", "2027-06-07"),  # Grundlovsdag on a Saturday: Monday 7 June
        ("2024-06-01", "2024-06-03"),  # Saturday 1 June 2024
        ("2024-09-01", "2024-09-02"),  # Sunday 1 September 2024
        ("2026-02-28", "2026-03-02"),  # due day 31 in February 2026: Saturday 28th -> Monday 2 March
        ("2024-06-30", "2024-07-01"),  # due day 31 in June 2024: Sunday 30th -> Monday 1 July
        ("2027-04-30", "2027-04-30"),  # due day 31 in April 2027: Friday 30th stays
        ("2027-09-30", "2027-09-30"),  # due day 31 in September 2027: Thursday 30th stays
        ("2026-05-14", "2026-05-15"),  # Kristi himmelfartsdag 2026 -> Friday 15 May
        ("2027-12-25", "2027-12-27"),  # Juledag on a Saturday, 2. juledag Sunday -> Monday 27 December
        ("2027-01-01", "2027-01-04"),  # Nytårsdag on a Friday -> Monday 4 January
        ("2028-01-01", "2028-01-03"),  # Saturday 1 January 2028 -> Monday 3
        ("2028-02-29", "2028-02-29"),  # due day 31 in February 2028, a leap year: Tuesday 29th stays
        ("2028-04-13", "2028-04-18"),  # Skærtorsdag -> past Langfredag, the weekend and 2. påskedag to Tue 18
        ("2028-04-30", "2028-05-01"),  # due day 31 in April 2028: Sunday 30th -> Monday 1 May, no holiday
        ("2028-05-25", "2028-05-26"),  # Kristi himmelfartsdag -> Friday 26, a bank closing day only
        ("2028-06-05", "2028-06-06"),  # Grundlovsdag on 2. pinsedag -> Tuesday 6 June
        ("2028-12-24", "2028-12-27"),  # Sunday 24 December -> past Juledag and 2. juledag to Wed 27
        ("2028-12-31", "2029-01-02"),  # Sunday 31 December -> past Nytårsdag to Tuesday 2 January 2029
    ],
)
def test_last_on_time_day_more_years(due: str, last_on_time: str) -> None:
    assert last_on_time_day(D(due)) == D(last_on_time)
