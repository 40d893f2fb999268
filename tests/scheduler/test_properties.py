"""Properties of the rent calendar and the reminder policy over generated days (hypothesis), 2025–2035.

Each property is the law or the rule in words: a payment is on time until the first weekday that is no holiday; a
påkrav may come after the 3rd hverdag; a "missed" reminder waits for a balance a bank day after the last on-time
day; a reminder goes out only outside quiet hours and quiet days, at most one a tenant a day; the last påkrav
reminder before the deadline goes by the deadline day; what the plan decides on a day the sender's second look
agrees with on that day; the påkrav reminders and the staff's early-påkrav notice read a påkrav as concerning the
same rent.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import example, given
from hypothesis import strategies as st

from scheduler.calendar import (
    demand_deadline,
    due_date,
    earliest_demand_day,
    is_bank_day,
    is_legal_holiday,
    last_on_time_day,
    next_bank_day,
)
from scheduler.model import PolicySettings, RentSnapshot, Trigger
from scheduler.policy import plan, recheck
from scheduler.quiet import QUIET_DAYS, is_quiet_day, is_quiet_time, next_allowed_send
from scheduler.rent_day import early_demand

TZ = ZoneInfo("Europe/Copenhagen")
QUIET_START, QUIET_END = time(20), time(9)
PLAN_HOUR = time(9)
_SATURDAY = 5

days = st.dates(min_value=date(2025, 1, 1), max_value=date(2035, 12, 31))
due_days = st.sampled_from([1, 5, 15, 28, 29, 30, 31])
offsets = st.lists(st.integers(min_value=0, max_value=10), min_size=1, max_size=3, unique=True)


def _span(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days)]


def _hverdag(d: date) -> bool:
    return not is_legal_holiday(d)


def _goes_on(day: date, holidays_quiet: bool = True) -> date:
    """The local day a reminder planned on `day` (at the plan hour) is first allowed to go."""
    at = datetime.combine(day, PLAN_HOUR, tzinfo=TZ).astimezone(UTC)
    return next_allowed_send(at, TZ, QUIET_START, QUIET_END, holidays_quiet).astimezone(TZ).date()


@given(st.integers(min_value=2025, max_value=2035), st.integers(min_value=1, max_value=12), due_days)
def test_the_last_on_time_day_is_the_first_open_weekday_from_the_due_date(year: int, month: int, due_day: int) -> None:
    due = due_date(year, month, due_day)
    last = last_on_time_day(due)
    assert last >= due and last.weekday() != _SATURDAY and not is_legal_holiday(last)
    # Every day it moved past is a Saturday, a Sunday, a holiday or Grundlovsdag.
    assert all(d.weekday() == _SATURDAY or is_legal_holiday(d) for d in _span(due, last))


@given(days)
@example(date(2027, 12, 21))  # the count ends on Fri 24 December, the day after is Juledag on a Saturday
@example(date(2028, 6, 1))  # Grundlovsdag is 2. pinsedag in 2028
def test_a_påkrav_comes_only_after_the_3rd_hverdag_and_on_a_hverdag(due: date) -> None:
    last = last_on_time_day(due)
    earliest = earliest_demand_day(due)
    assert _hverdag(earliest)
    # Three hverdage (Saturdays count; Sundays, holidays and Grundlovsdag do not) lie between, and no fourth.
    assert sum(_hverdag(d) for d in _span(last + timedelta(days=1), earliest)) == 3


@given(days)
def test_the_deadline_is_14_days_on_moved_only_past_saturdays_and_holidays(received: date) -> None:
    deadline = demand_deadline(received)
    fourteen = received + timedelta(days=14)
    assert deadline >= fourteen and deadline.weekday() != _SATURDAY and not is_legal_holiday(deadline)
    assert all(d.weekday() == _SATURDAY or is_legal_holiday(d) for d in _span(fourteen, deadline))


@given(days, due_days, st.integers(min_value=0, max_value=6))
@example(date(2026, 5, 15), 14, 0)  # Fri after Kristi himmelfart: banks closed, the ledger sees Monday's
@example(date(2027, 12, 24), 23, 0)  # a payment on Thu 23 December shows on Mon 27
def test_a_missed_reminder_waits_for_a_balance_a_bank_day_after_the_last_on_time_day(
    day: date, due_day: int, lag: int
) -> None:
    s = RentSnapshot(1, due_day, 100, day - timedelta(days=lag))
    for r in plan([s], day, PolicySettings()).reminders:
        assert r.trigger is Trigger.MISSED
        due = date.fromisoformat(r.computed_from["due_date"])
        first_bank_day = next_bank_day(last_on_time_day(due))
        assert is_bank_day(first_bank_day)
        assert first_bank_day <= s.balance_as_of <= day


@given(
    st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(TZ)),
    st.sampled_from([(time(20), time(9)), (time(21, 30), time(8)), (time(0), time(7)), (time(19), time(10))]),
    st.booleans(),
)
@example(datetime(2026, 3, 28, 22, 0, tzinfo=TZ), (time(20), time(9)), True)  # into summer time
@example(datetime(2026, 10, 24, 22, 0, tzinfo=TZ), (time(20), time(9)), False)  # back to winter time
@example(datetime(2026, 12, 23, 20, 30, tzinfo=TZ), (time(20), time(9)), False)  # into 24 December
def test_a_proactive_message_never_goes_in_quiet_hours_or_on_a_day_without_reminders(
    now: datetime, quiet: tuple[time, time], holidays_quiet: bool
) -> None:
    start, end = quiet
    goes = next_allowed_send(now.astimezone(UTC), TZ, start, end, holidays_quiet)
    assert goes >= now
    local = goes.astimezone(TZ)
    assert not is_quiet_time(local.time().replace(tzinfo=None), start, end)
    assert (local.month, local.day) not in QUIET_DAYS
    assert not (holidays_quiet and is_quiet_day(local.date()))
    # The first such moment: an hour earlier (when that is still after now) was not allowed.
    before = goes - timedelta(hours=1)
    if before >= now:
        local = before.astimezone(TZ)
        assert (
            is_quiet_time(local.time().replace(tzinfo=None), start, end)
            or (local.month, local.day) in QUIET_DAYS
            or (holidays_quiet and is_quiet_day(local.date()))
        )


@given(days, st.lists(st.integers(min_value=0, max_value=20), min_size=1, max_size=3), st.integers(0, 5))
@example(date(2026, 3, 2), [16, 1], 3)
def test_no_påkrav_reminder_before_the_påkrav_reached_the_tenant(
    sent_on: date, offset_list: list[int], delivery_days: int
) -> None:
    settings = PolicySettings.of(
        before_due_days=3, demand_offsets=offset_list, demand_delivery_days=delivery_days, balance_max_age_days=7
    )
    received = sent_on + timedelta(days=delivery_days)
    for day in _span(sent_on - timedelta(days=3), received):
        s = RentSnapshot(1, 1, 100, day, demand_sent_on=sent_on)
        assert [r for r in plan([s], day, settings).reminders if r.trigger is Trigger.DEMAND] == []


@given(days, offsets)
@example(date(2029, 12, 10), [7, 3, 1])  # deadline Mon 24 December 2029, after a Sunday
@example(date(2029, 12, 17), [7, 3, 1])  # deadline Mon 31 December 2029
@example(date(2026, 12, 10), [3, 0])  # deadline Thu 24 December 2026, a reminder on the day itself
def test_the_last_påkrav_reminder_goes_by_the_deadline_day(sent_on: date, offset_list: list[int]) -> None:
    settings = PolicySettings.of(
        before_due_days=3, demand_offsets=offset_list, demand_delivery_days=0, balance_max_age_days=7
    )
    deadline = demand_deadline(sent_on)
    last = min(offset_list)
    gone = []
    for day in _span(sent_on, deadline + timedelta(days=1)):
        s = RentSnapshot(1, 1, 100, day, demand_sent_on=sent_on)
        for r in plan([s], day, settings).reminders:
            if r.trigger is not Trigger.DEMAND:
                continue  # the month's "missed" reminder, recorded once on its first day
            goes = _goes_on(day)
            # The sender's second look on the day it may go, with the balance of that day.
            later = RentSnapshot(1, 1, 100, goes, demand_sent_on=sent_on)
            if recheck(later, r.trigger, r.period, r.offset, goes, settings) is None:
                assert goes <= deadline
                gone.append((r.offset, goes))
    assert [offset for offset, _ in gone].count(last) == 1, gone


@given(days, st.integers(min_value=1, max_value=31))
@example(date(2025, 10, 1), 1)  # on the due day
@example(date(2025, 11, 3), 1)  # on the last on-time day of rent due Saturday 1 November
@example(date(2026, 3, 2), 31)  # ... of rent due Saturday 28 February (due day 31)
def test_the_påkrav_reminders_and_the_early_notice_read_the_same_rent(sent_on: date, due_day: int) -> None:
    settings = PolicySettings.of(
        before_due_days=3, demand_offsets=[14, 7, 1], demand_delivery_days=0, balance_max_age_days=7
    )
    deadline = demand_deadline(sent_on)
    rents = []
    for day in _span(sent_on, deadline + timedelta(days=1)):
        s = RentSnapshot(1, due_day, 100, day, demand_sent_on=sent_on)
        rents += [
            r.computed_from["due_date"] for r in plan([s], day, settings).reminders if r.trigger is Trigger.DEMAND
        ]
    assert rents, "no påkrav reminder planned"
    rent = date.fromisoformat(rents[0])
    assert rents.count(rents[0]) == len(rents)
    # The notice names that rent when the påkrav came before its earliest day, and only then.
    early = early_demand(sent_on, due_day)
    if sent_on < earliest_demand_day(rent):
        assert early is not None and early.due == rent
    else:
        assert early is None


@given(
    days,
    due_days,
    st.sampled_from([0, 100]),
    st.booleans(),
    st.one_of(st.none(), st.integers(min_value=-20, max_value=0)),
    st.one_of(st.none(), st.integers(min_value=-10, max_value=10)),
    st.one_of(st.none(), st.integers(min_value=-5, max_value=30)),
    st.sampled_from(
        [
            PolicySettings(),
            PolicySettings(demand_offsets=(5, 2, 0), before_due_days=5),
            PolicySettings(demand_offsets=(10,), before_due_days=0),
        ]
    ),
)
@example(date(2026, 3, 12), 15, 0, True, None, None, None, PolicySettings())  # before_due, three days ahead
@example(date(2026, 3, 17), 1, 100, False, -13, None, None, PolicySettings())  # the last påkrav reminder
@example(date(2029, 12, 22), 1, 100, False, -12, None, None, PolicySettings())  # ... moved before Christmas
@example(date(2026, 3, 13), 1, 100, False, None, None, 3, PolicySettings())  # the court eve
@example(date(2026, 3, 9), 1, 100, False, None, -3, None, PolicySettings())  # a promise checked
@example(date(2026, 3, 16), 16, 0, True, None, None, None, PolicySettings(before_due_days=0))  # on the due date
def test_the_sender_agrees_with_the_plan_on_the_day_it_was_planned(
    day: date,
    due_day: int,
    balance: int,
    at_risk: bool,
    sent: int | None,
    promise: int | None,
    court: int | None,
    settings: PolicySettings,
) -> None:
    def on(n: int | None) -> date | None:
        return None if n is None else day + timedelta(days=n)

    s = RentSnapshot(
        1, due_day, balance, day, demand_sent_on=on(sent), promise_on=on(promise), court_date=on(court), at_risk=at_risk
    )
    reminders = plan([s], day, settings).reminders
    assert len(reminders) <= 1
    for r in reminders:
        assert recheck(s, r.trigger, r.period, r.offset, day, settings) is None
