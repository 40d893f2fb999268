"""Table tests for quiet hours, including Sundays, holidays and daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from scheduler.calendar import is_legal_holiday
from scheduler.quiet import after_quiet_hours, is_quiet_day, is_quiet_time, next_allowed_send

CPH = ZoneInfo("Europe/Copenhagen")
T = time.fromisoformat


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "quiet", "holidays_quiet", "expected"),
    [
        # Tue 11 March 2025, 12:00 CET: allowed, unchanged.
        ("2025-03-11T11:00", ("20:00", "09:00"), True, "2025-03-11T11:00"),
        # 21:30 CET -> 09:00 CET next morning.
        ("2025-03-11T20:30", ("20:00", "09:00"), True, "2025-03-12T08:00"),
        # 07:00 CET -> 09:00 CET the same morning.
        ("2025-03-12T06:00", ("20:00", "09:00"), True, "2025-03-12T08:00"),
        # The end is allowed, the start is quiet.
        ("2025-03-12T08:00", ("20:00", "09:00"), True, "2025-03-12T08:00"),
        ("2025-03-12T19:00", ("20:00", "09:00"), True, "2025-03-13T08:00"),
        ("2025-03-12T18:59:59", ("20:00", "09:00"), True, "2025-03-12T18:59:59"),
        # Sat 29 March 21:00 CET; Sunday 30 is the spring-forward day, then 09:00 is CEST (UTC+2).
        ("2025-03-29T20:00", ("20:00", "09:00"), True, "2025-03-31T07:00"),
        ("2025-03-29T20:00", ("20:00", "09:00"), False, "2025-03-30T07:00"),
        # Sat 25 October 22:00 CEST; Sunday 26 falls back, so 09:00 is CET (UTC+1).
        ("2025-10-25T20:00", ("20:00", "09:00"), False, "2025-10-26T08:00"),
        ("2025-10-25T20:00", ("20:00", "09:00"), True, "2025-10-27T08:00"),
        # Wed 16 April 2025 20:30 CEST: Skærtorsdag and Langfredag are quiet, Saturday is not.
        ("2025-04-16T18:30", ("20:00", "09:00"), True, "2025-04-19T07:00"),
        ("2025-04-16T18:30", ("20:00", "09:00"), False, "2025-04-17T07:00"),
        # Saturday midday is allowed even with quiet holidays.
        ("2025-04-19T10:00", ("20:00", "09:00"), True, "2025-04-19T10:00"),
        # Juleaftensdag 23:00 CET: Juledag and 2. juledag are quiet -> Sat 27 Dec 09:00 CET.
        ("2025-12-24T22:00", ("20:00", "09:00"), True, "2025-12-27T08:00"),
        # Juleaftensdag (Thu 24 Dec 2026) is a quiet day, then Juledag, 2. juledag, Sunday -> Mon 28 09:00 CET.
        ("2026-12-24T10:00", ("20:00", "09:00"), True, "2026-12-28T08:00"),
        # Without quiet holidays, 24 December is still no day for a rent reminder: Juledag then goes (a holiday).
        ("2026-12-24T10:00", ("20:00", "09:00"), False, "2026-12-25T08:00"),
        ("2026-12-31T12:00", ("20:00", "09:00"), False, "2027-01-01T08:00"),
        # Wed 23 Dec 2026 at 21:00: the next morning is 24 December -> Mon 28.
        ("2026-12-23T20:00", ("20:00", "09:00"), True, "2026-12-28T08:00"),
        # Nytårsaftensdag (Thu 31 Dec 2026), then Nytårsdag -> Saturday 2 January 09:00.
        ("2026-12-31T12:00", ("20:00", "09:00"), True, "2027-01-02T08:00"),
        # Fri 31 Dec 2027 -> Nytårsdag on a Saturday, Sunday -> Mon 3 January 2028.
        ("2027-12-31T08:00", ("20:00", "09:00"), True, "2028-01-03T08:00"),
        # Grundlovsdag midday (Thu 5 June 2025, CEST) waits for Friday only when holidays are quiet.
        ("2025-06-05T10:00", ("20:00", "09:00"), True, "2025-06-06T07:00"),
        ("2025-06-05T10:00", ("20:00", "09:00"), False, "2025-06-05T10:00"),
        # A quiet end inside the spring-forward gap (02:30 does not exist) -> 03:30 CEST.
        ("2025-03-29T22:00", ("22:00", "02:30"), False, "2025-03-30T01:30"),
        # A quiet end in the repeated hour on fall-back day -> its first occurrence (CEST).
        ("2025-10-25T21:00", ("20:00", "02:30"), False, "2025-10-26T00:30"),
        # A window that does not wrap midnight.
        ("2025-03-11T11:30", ("12:00", "13:00"), False, "2025-03-11T12:00"),
        ("2025-03-11T10:59", ("12:00", "13:00"), False, "2025-03-11T10:59"),
        # Equal start and end: no quiet hours at all.
        ("2025-03-11T22:00", ("09:00", "09:00"), False, "2025-03-11T22:00"),
    ],
)
def test_next_allowed_send(now: str, quiet: tuple[str, str], holidays_quiet: bool, expected: str) -> None:
    result = next_allowed_send(utc(now), CPH, T(quiet[0]), T(quiet[1]), holidays_quiet)
    assert result == utc(expected)
    assert result.tzinfo is UTC


@pytest.mark.parametrize(
    ("now", "quiet", "expected"),
    [
        # Tue 11 March 2025, 12:00 CET: outside the window, unchanged.
        ("2025-03-11T11:00", ("20:00", "09:00"), "2025-03-11T11:00"),
        # 23:30 CET -> 09:00 CET next morning; 07:00 -> 09:00 the same morning.
        ("2025-03-11T22:30", ("20:00", "09:00"), "2025-03-12T08:00"),
        ("2025-03-12T06:00", ("20:00", "09:00"), "2025-03-12T08:00"),
        # The end is outside the window, the start inside.
        ("2025-03-12T08:00", ("20:00", "09:00"), "2025-03-12T08:00"),
        ("2025-03-12T19:00", ("20:00", "09:00"), "2025-03-13T08:00"),
        # Quiet days count for reminders only: a Sunday morning, Juleaftensdag and the night before Juledag go at
        # the end of the night's window.
        ("2025-03-16T11:00", ("20:00", "09:00"), "2025-03-16T11:00"),
        ("2026-12-24T10:00", ("20:00", "09:00"), "2026-12-24T10:00"),
        ("2026-12-24T22:30", ("20:00", "09:00"), "2026-12-25T08:00"),
        # Sat 29 March 2025 21:00 CET; on Sunday 30 (spring forward) 09:00 is CEST.
        ("2025-03-29T20:00", ("20:00", "09:00"), "2025-03-30T07:00"),
        # Equal start and end: no quiet hours at all.
        ("2025-03-11T22:00", ("09:00", "09:00"), "2025-03-11T22:00"),
    ],
)
def test_after_quiet_hours(now: str, quiet: tuple[str, str], expected: str) -> None:
    result = after_quiet_hours(utc(now), CPH, T(quiet[0]), T(quiet[1]))
    assert result == utc(expected)
    assert result.tzinfo is UTC


def test_next_allowed_send_accepts_another_aware_zone() -> None:
    now = datetime(2025, 3, 11, 21, 30, tzinfo=CPH)
    assert next_allowed_send(now, CPH, T("20:00"), T("09:00"), True) == utc("2025-03-12T08:00")


def test_next_allowed_send_rejects_naive_time() -> None:
    with pytest.raises(ValueError, match="aware"):
        next_allowed_send(datetime(2025, 3, 11, 12, 0), CPH, T("20:00"), T("09:00"), True)


@pytest.mark.parametrize(
    ("local", "start", "end", "quiet"),
    [
        ("20:00", "20:00", "09:00", True),
        ("08:59", "20:00", "09:00", True),
        ("09:00", "20:00", "09:00", False),
        ("00:00", "20:00", "09:00", True),
        ("12:00", "12:00", "13:00", True),
        ("13:00", "12:00", "13:00", False),
        ("03:00", "03:00", "03:00", False),
    ],
)
def test_is_quiet_time(local: str, start: str, end: str, quiet: bool) -> None:
    assert is_quiet_time(T(local), T(start), T(end)) is quiet


@pytest.mark.parametrize(
    ("day", "quiet", "legal_holiday"),
    [
        ("2026-12-24", True, False),  # juleaftensdag: no rent reminders, yet no legal date moves for it
        ("2026-12-31", True, False),  # nytårsaftensdag: likewise
        ("2027-12-24", True, False),
        ("2026-12-25", True, True),  # Juledag
        ("2026-12-23", False, False),
        ("2026-06-05", True, True),  # Grundlovsdag
        ("2026-05-15", False, False),  # the Friday after Kristi himmelfartsdag: banks close, messages may go
        ("2026-03-15", True, True),  # a Sunday
        ("2026-03-14", False, False),  # a Saturday
    ],
)
def test_quiet_days_are_not_legal_holidays(day: str, quiet: bool, legal_holiday: bool) -> None:
    assert is_quiet_day(date.fromisoformat(day)) is quiet
    assert is_legal_holiday(date.fromisoformat(day)) is legal_holiday
