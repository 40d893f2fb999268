"""Table tests for when a text may ask the tenant to call: today only while the adviser's hours are still ahead."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from scheduler.opening import OpeningSpan, open_until, reachable

CPH = ZoneInfo("Europe/Copenhagen")
T = time.fromisoformat
WEEKDAYS_9_15 = (OpeningSpan(0, 4, T("09:00"), T("15:00")),)
SHORT_FRIDAY = (OpeningSpan(0, 3, T("09:00"), T("15:00")), OpeningSpan(4, 4, T("09:30"), T("12:00")))
MONDAYS = (OpeningSpan(0, 0, T("10:00"), T("12:00")),)
OVER_THE_WEEKEND = (OpeningSpan(4, 0, T("10:00"), T("14:00")),)  # "fre-man"


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=CPH)


@pytest.mark.parametrize(
    ("now", "spans", "expected"),
    [
        # Tue 8 December 2026: before, during and after the hours.
        ("2026-12-08T07:00", WEEKDAYS_9_15, "today"),
        ("2026-12-08T10:00", WEEKDAYS_9_15, "today"),
        # A call needs time: "today" while at least half an hour is left before closing, then tomorrow.
        ("2026-12-08T14:30", WEEKDAYS_9_15, "today"),
        ("2026-12-08T14:31", WEEKDAYS_9_15, "tomorrow"),
        ("2026-12-08T15:00", WEEKDAYS_9_15, "tomorrow"),
        ("2026-12-08T23:00", WEEKDAYS_9_15, "tomorrow"),
        # Friday after closing, Saturday and Sunday: Monday.
        ("2026-12-04T16:00", WEEKDAYS_9_15, "mon"),
        ("2026-12-05T10:00", WEEKDAYS_9_15, "mon"),
        ("2026-12-06T10:00", WEEKDAYS_9_15, "tomorrow"),
        # A shorter Friday: at 13:00 Friday is over.
        ("2026-12-04T11:00", SHORT_FRIDAY, "today"),
        ("2026-12-04T13:00", SHORT_FRIDAY, "mon"),
        ("2026-12-03T16:00", SHORT_FRIDAY, "tomorrow"),
        # Closed on holidays and on 24 and 31 December (as `court_eve` assumes): Thu 24 December 2026 to Mon 28.
        ("2026-12-23T16:00", WEEKDAYS_9_15, "mon"),
        ("2026-12-24T10:00", WEEKDAYS_9_15, "mon"),
        # Easter 2027: Skærtorsdag 25 March to 2. påskedag 29 March; Tuesday is the next open day.
        ("2027-03-24T16:00", WEEKDAYS_9_15, "tue"),
        # Grundlovsdag, Fri 5 June 2026, is closed.
        ("2026-06-04T16:00", WEEKDAYS_9_15, "mon"),
        # Open on Mondays only: on Monday after closing the next is a week away, and "Monday" would read as today.
        ("2026-12-07T13:00", MONDAYS, ""),
        ("2026-12-07T11:00", MONDAYS, "today"),
        ("2026-12-09T11:00", MONDAYS, "mon"),
        # A span over the weekend: Saturday is open.
        ("2026-12-05T11:00", OVER_THE_WEEKEND, "today"),
        ("2026-12-08T11:00", OVER_THE_WEEKEND, "fri"),
        # No hours known: nothing to say.
        ("2026-12-08T10:00", (), ""),
    ],
)
def test_when_a_text_may_ask_for_a_call(now: str, spans: tuple[OpeningSpan, ...], expected: str) -> None:
    assert reachable(local(now).astimezone(UTC), CPH, spans) == expected


def test_the_day_is_the_tenants_local_day_not_utc() -> None:
    # 14:30 UTC is 15:30 in Copenhagen in winter (closed), and 23:30 UTC on Tuesday is Wednesday 00:30 there.
    assert reachable(datetime(2026, 12, 8, 14, 30, tzinfo=UTC), CPH, WEEKDAYS_9_15) == "tomorrow"
    assert reachable(datetime(2026, 12, 8, 23, 30, tzinfo=UTC), CPH, WEEKDAYS_9_15) == "today"
    # Summer time: 12:30 UTC is 14:30 CEST, still open.
    assert reachable(datetime(2026, 6, 9, 12, 30, tzinfo=UTC), CPH, WEEKDAYS_9_15) == "today"


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        reachable(datetime(2026, 12, 8, 10, 0), CPH, WEEKDAYS_9_15)


def test_a_call_today_says_until_when_the_line_is_open() -> None:
    """The closing time a "today" names: the span a call can still be made in; none once too little is left, on a
    day the adviser does not answer, or on a quiet day (24 December)."""
    assert open_until(local("2026-12-08T10:00"), CPH, WEEKDAYS_9_15) == time(15, 0)
    assert open_until(local("2026-12-04T11:00"), CPH, SHORT_FRIDAY) == time(12, 0)
    assert open_until(local("2026-12-08T14:31"), CPH, WEEKDAYS_9_15) is None
    assert open_until(local("2026-12-05T10:00"), CPH, WEEKDAYS_9_15) is None
    assert open_until(local("2026-12-24T10:00"), CPH, WEEKDAYS_9_15) is None
