"""The reminder policy: which tenant gets which reminder on a given day, as a pure function.

Rules, in order: stale balance data (but for a court date ahead, whose reminders depend on no balance) or an
unreachable tenant plan nothing; of the triggers that fall
on the day the most urgent wins (court > demand > promise_check > missed > before_due); anything but
court is held while a case is open, a conversation waits, a paid claim runs (`paid_claim_until`
on or after the day) or a promised day has not come (`promise_on` on or after the day), and for
`crisis_hold_days` days after the tenant wrote words of crisis (`crisis_on`, `scheduler.crisis`) — except the
last `demand` reminder before the påkrav deadline, which goes out whatever the tenant said or left
unanswered: only an open case holds it (a person has it in hand). "I have paid" must not silence it while the
ledger cannot show the payment yet, and a question the tenant never answered gives way to it as to court
(`PlannedReminder.ends_conversation`: the planner ends that conversation). A promise dated after the
deadline holds no `demand` reminder. before_due ignores the balance: the coming rent is not due yet. A court
date brings a second court reminder on the weekday before it (`court_eve`), unless a person holds the case. A
conversation counts as waiting only when its question went out (`RentSnapshot.waiting_conversation`). A payment plan
agreed with an adviser (`plan_agreed_on`) takes the `missed` and `promise_check` reminders about the rent it covers
out of the day's choice (`_covered_by_plan`): the next rent's `before_due` that day still goes, and a later rent's
`missed` only when the balance is above the lowest since the plan's day (`plan_balance_ore`).

`recheck` asks the same rules again on the day a reminder may finally go out (planned late in the evening, or
kept waiting for a channel or the pause): it goes only when today's plan for the tenant is that very reminder.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import date, timedelta

from scheduler.calendar import due_date
from scheduler.crisis import in_crisis_hold
from scheduler.model import (
    COURT_DATE_OFFSET,
    NO_LONGER_DUE,
    NOTHING_OWED,
    STAGE_PASSED,
    URGENCY,
    DayPlan,
    PlannedReminder,
    PlanSummary,
    PolicySettings,
    RentSnapshot,
    Trigger,
)
from scheduler.rent_day import RentDay, before_due_day, demanded_rent, period_of
from scheduler.urgency import running_deadline

__all__ = ["no_next_chance", "plan", "recheck"]

Rule = Callable[[RentSnapshot, RentDay], PlannedReminder | None]


def _reminder(
    s: RentSnapshot,
    trigger: Trigger,
    period: str,
    offset: int | None,
    reason: str,
    dates: dict[str, date | int | str],
) -> PlannedReminder:
    computed_from = {name: str(value) for name, value in dates.items()}
    return PlannedReminder(s.tenant_id, trigger, period, offset, reason, computed_from, URGENCY[trigger])


def _days(n: int) -> str:
    return f"{n} day{'' if n == 1 else 's'}"


def _court_ahead(s: RentSnapshot, day: date) -> bool:
    """A court date today or later: its reminders depend on no balance, so old balance data does not hold them."""
    return s.court_date is not None and s.court_date >= day


def _court(s: RentSnapshot, rd: RentDay) -> PlannedReminder | None:
    # Once per legal event: the period is the month of the court date, else of the termination, and a court date's
    # outreach has the day in its offset (COURT_DATE_OFFSET), so a newly known or moved court date makes a new
    # outreach while a repeat of the same one does not.
    if s.court_date is not None:
        event, label, offset = s.court_date, "court date", COURT_DATE_OFFSET + s.court_date.day
    elif s.termination_on is not None:
        event, label, offset = s.termination_on, "termination", None
    else:
        return None
    court_ahead = _court_ahead(s, rd.day)
    if not (s.owes or court_ahead):
        return None
    dates: dict[str, date | int | str] = {"balance_as_of": s.balance_as_of, "balance_owed": "yes" if s.owes else "no"}
    if s.termination_on is not None:
        dates["termination_on"] = s.termination_on
    if s.court_date is not None:
        dates["court_date"] = s.court_date
    state = "balance owed" if s.owes else "nothing owed"
    if s.court_date is not None and not s.case_held and rd.is_court_eve(s.court_date):
        # The second reminder, once per court date: the day of the month is the offset.
        dates["court_eve"] = rd.day
        ahead = (s.court_date - rd.day).days
        reason = (
            f"court date {s.court_date.isoformat()} in {_days(ahead)}: the weekday before it, a second reminder; "
            f"{state} as of {s.balance_as_of.isoformat()}"
        )
        return _reminder(s, Trigger.COURT, period_of(s.court_date), s.court_date.day, reason, dates)
    reason = f"{label} {event.isoformat()} known; {state} as of {s.balance_as_of.isoformat()}"
    return _reminder(s, Trigger.COURT, period_of(event), offset, reason, dates)


def _demand(s: RentSnapshot, rd: RentDay) -> PlannedReminder | None:
    received = rd.received(s)
    # Never before the påkrav reached the tenant: the text refers to the letter they received (an offset of more than
    # 14 days with a paper letter's delivery time would come first).
    if received is None or not s.owes or rd.day < received:
        return None
    deadline = rd.deadline(received)
    # When two fall on the day (the last one planned early, onto an earlier one's day), the last has the last word.
    offset = min((o for o, on in rd.demand_days(deadline).items() if on == rd.day), default=None)
    if offset is None:
        return None
    left = (deadline - rd.day).days
    due = demanded_rent(s.demand_sent_on or received, s.due_day)
    dates: dict[str, date | int | str] = {}
    if s.demand_sent_on is not None:
        dates["demand_sent_on"] = s.demand_sent_on
    if s.demand_received_on is not None:
        how = f"received {received.isoformat()}"
        dates["demand_received_on"] = received
    else:
        delivery = rd.settings.demand_delivery_days
        dates["delivery_days"] = delivery
        how = f"sent {s.demand_sent_on}, " + (
            "received the same day (Digital Post)" if delivery == 0 else f"assumed received after {_days(delivery)}"
        )
    reason = (
        f"påkrav {how}, for rent due {due.isoformat()}; computed deadline {deadline.isoformat()}, {_days(left)} left"
    )
    dates |= {"due_date": due, "deadline": deadline, "offset": offset}
    if left != offset:  # the last reminder, planned before quiet days that would hold it past the deadline
        dates["days_left"] = left
    return _reminder(s, Trigger.DEMAND, period_of(due), offset, reason, dates)


def _promise_check(s: RentSnapshot, rd: RentDay) -> PlannedReminder | None:
    # The promised day of the month is the offset, so each promise is checked once.
    if s.promise_on is None or not s.owes or rd.promise_check_day(s.promise_on) != rd.day:
        return None
    reason = f"promised to pay on {s.promise_on.isoformat()}; balance still owed as of {s.balance_as_of.isoformat()}"
    return _reminder(
        s,
        Trigger.PROMISE_CHECK,
        period_of(s.promise_on),
        s.promise_on.day,
        reason,
        {"promise_on": s.promise_on, "balance_as_of": s.balance_as_of},
    )


def _missed(s: RentSnapshot, rd: RentDay) -> PlannedReminder | None:
    # Once per rent month (the host records the key): from the first day a balance dated a bank day
    # after the last on-time day shows rent owed, until the next rent falls due.
    missed = rd.missed.get(s.due_day)
    if missed is None or not s.owes or not missed.shown_by(s.balance_as_of):
        return None
    reason = (
        f"rent due {missed.due.isoformat()}, last on-time day {missed.last_on_time.isoformat()}; "
        f"balance owed as of {s.balance_as_of.isoformat()}"
    )
    return _reminder(
        s,
        Trigger.MISSED,
        period_of(missed.due),
        None,
        reason,
        {
            "due_date": missed.due,
            "last_on_time_day": missed.last_on_time,
            "first_bank_day": missed.bank_day,
            "balance_as_of": s.balance_as_of,
        },
    )


def _before_due(s: RentSnapshot, rd: RentDay) -> PlannedReminder | None:
    # Fires whatever the balance: the coming rent is not due yet, so a zero balance says nothing.
    if not (s.at_risk or s.arrears_last_12m):
        return None
    due = rd.upcoming.get(s.due_day)
    if due is None:
        return None
    why = "at risk" if s.at_risk else "arrears in the last 12 months"
    reason = f"rent due {due.isoformat()} in {rd.settings.before_due_days} days; tenant {why}"
    return _reminder(
        s,
        Trigger.BEFORE_DUE,
        period_of(due),
        None,
        reason,
        {"due_date": due, "before_due_days": rd.settings.before_due_days, "why": "at_risk" if s.at_risk else "arrears"},
    )


_RULES: tuple[Rule, ...] = (_court, _demand, _promise_check, _missed, _before_due)
_COURT_ONLY: tuple[Rule, ...] = (_court,)


def _plan_one(s: RentSnapshot, rd: RentDay, tally: Counter[str]) -> PlannedReminder | None:
    stale = rd.is_stale(s.balance_as_of)
    if stale and not _court_ahead(s, rd.day):
        tally["stale"] += 1
        return None
    if not s.reachable:
        tally["unreachable"] += 1
        return None
    # From stale data only the court rule, whose reminders a court date ahead brings whatever is owed.
    found = [r for r in (rule(s, rd) for rule in (_COURT_ONLY if stale else _RULES)) if r is not None]
    # What a payment plan covers is no candidate: another reminder that day (the next rent's) may still go.
    candidates = [r for r in found if not _covered_by_plan(s, r, rd.day)]
    if not candidates:
        if found:
            tally["held_by_plan"] += 1
        return None
    best = max(candidates, key=lambda r: r.urgency)
    held = _hold(s, best, rd)
    if held is not None:
        tally[held] += 1
        return None
    deadline = running_deadline(s, rd.day, rd.settings.demand_delivery_days)
    return replace(best, deadline=deadline, ends_conversation=_has_the_last_word(best, rd))


def _court_eve_offset(offset: int | None) -> bool:
    """Whether a court reminder's offset is the court eve's (the court date's day of the month)."""
    return offset is not None and offset < COURT_DATE_OFFSET


def no_next_chance(trigger: Trigger, offset: int | None, settings: PolicySettings) -> bool:
    """The court eve (the court reminder with an offset: the court date's day of the month) and the last `demand`
    reminder before the påkrav deadline: skipped on its day, the legal clock gives it no later one, so another
    proactive message that day does not hold it back (the plan: only a reminder already planned for the tenant
    that day does; the sender's second look: it never gives way, `bot.reminders.recheck`)."""
    if trigger is Trigger.COURT:
        return _court_eve_offset(offset)
    return trigger is Trigger.DEMAND and offset is not None and offset == settings.last_demand_offset


def _has_the_last_word(r: PlannedReminder, rd: RentDay) -> bool:
    """Court and the last `demand` reminder before the påkrav deadline: what the tenant said, or left unanswered,
    never holds them (the legal clock has no later chance)."""
    return r.trigger is Trigger.COURT or (r.trigger is Trigger.DEMAND and r.offset == rd.last_offset)


def _hold(s: RentSnapshot, r: PlannedReminder, rd: RentDay) -> str | None:
    """What holds the reminder back today (the summary's counter), or None: court goes whatever holds; an open
    case holds anything else; words of crisis in the last `crisis_hold_days` days, a waiting conversation, a paid
    claim or a promise hold all but the last word.

    After words of crisis the last `demand` reminder before the påkrav deadline still goes (unless a case is open):
    held, the legal clock gives it no later chance, and a termination would take the home of a tenant already at
    their lowest; it names no amount, points to help and to a person. Court goes too, and opens an urgent case for
    an adviser to reach out: a person, not the bot, is the next to speak of the rent then."""
    if r.trigger is Trigger.COURT:
        return None
    if s.has_open_case:
        return "held_by_conversation"
    if _has_the_last_word(r, rd):
        return None
    if in_crisis_hold(s.crisis_on, rd.day, rd.settings.crisis_hold_days):
        return "held_by_crisis"
    if s.waiting_conversation:
        return "held_by_conversation"
    if _covered_by_plan(s, r, rd.day):
        return "held_by_plan"
    return "held_by_paid_claim" if _held_by_claim(s, r, rd) else None


def _next_due_after(day: date, due_day: int) -> date:
    """The first due date after `day` for a tenant with this due day."""
    due = due_date(day.year, day.month, due_day)
    if due > day:
        return due
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return due_date(year, month, due_day)


def _covered_by_plan(s: RentSnapshot, r: PlannedReminder, day: date) -> bool:
    """Whether a payment plan agreed with an adviser (`plan_agreed_on`, on or before `day`) covers what the reminder
    is about: the rent fallen due by the day it was agreed. A tenant who has just agreed a plan is not asked "need
    help with the rent?" about that rent (`missed`), nor how the pay day they named before it is going
    (`promise_check` for a day before the next rent falls due: the plan took its place). The next rent is not the
    plan's: its `before_due` goes, and its `missed` only when the balance is above the lowest since the plan's day
    (`plan_balance_ore`: new rent unpaid on top of what was still owed), so a tenant who pays the rent and
    keeps the plan is not asked every month; with that balance unknown, whenever owed. A påkrav's reminders go too:
    the letter's deadline stands until the organisation withdraws the påkrav, and the ledger then no longer shows it."""
    agreed = s.plan_agreed_on
    if agreed is None or agreed > day:
        return False
    if r.trigger is Trigger.MISSED:
        year, month = (int(part) for part in r.period.split("-"))
        if due_date(year, month, s.due_day) <= agreed:
            return True
        # Later rent: the plan's arrears keep the balance above 0 while it is kept, so only a balance above the lowest
        # since the plan's day says this rent went unpaid. Without that balance, the usual rule (owed) stands.
        return s.plan_balance_ore is not None and s.balance_ore <= s.plan_balance_ore
    if r.trigger is Trigger.PROMISE_CHECK:
        return s.promise_on is not None and s.promise_on < _next_due_after(agreed, s.due_day)
    return False


def _held_by_claim(s: RentSnapshot, best: PlannedReminder, rd: RentDay) -> bool:
    """A paid claim (until its pause ends) or a promise (until it is checked) holds a reminder; the
    tenant's word never outruns the påkrav deadline: a promise dated after it holds no `demand` reminder."""
    claim = s.paid_claim_until is not None and s.paid_claim_until >= rd.day
    # A promise holds until it is checked (not only until the promised day): nothing else comes between.
    promise = s.promise_on is not None and rd.promise_check_day(s.promise_on) > rd.day
    if best.trigger is Trigger.DEMAND:
        received = rd.received(s)
        if promise and s.promise_on is not None and received is not None:
            promise = s.promise_on <= rd.deadline(received)
    return claim or promise


def plan(snapshots: Iterable[RentSnapshot], day: date, settings: PolicySettings) -> DayPlan:
    """Plan one day: at most one reminder per tenant, the most urgent first, with a summary."""
    rd = RentDay(day, settings)
    tally: Counter[str] = Counter()
    seen: set[int] = set()
    planned: list[PlannedReminder] = []
    for s in snapshots:
        if s.tenant_id in seen:
            raise ValueError(f"tenant {s.tenant_id} appears twice in one plan")
        seen.add(s.tenant_id)
        reminder = _plan_one(s, rd, tally)
        if reminder is not None:
            planned.append(reminder)
    planned.sort(key=lambda r: (-r.urgency, r.tenant_id))
    summary = PlanSummary(
        considered=len(seen),
        planned=len(planned),
        stale=tally["stale"],
        unreachable=tally["unreachable"],
        held_by_paid_claim=tally["held_by_paid_claim"],
        held_by_conversation=tally["held_by_conversation"],
        held_by_crisis=tally["held_by_crisis"],
        held_by_plan=tally["held_by_plan"],
    )
    return DayPlan(day=day, reminders=tuple(planned), summary=summary)


def _still_holds(s: RentSnapshot, rd: RentDay, trigger: Trigger, period: str, offset: int | None) -> bool:
    """Whether the moment a reminder was planned for lasts until `rd.day` (a day or two late is fine while it does).

    demand: the same påkrav, owed, from the day it was planned for until the next reminder's day (once the next
    reminder is due, its stage has passed); the last one, which has no later chance, until the deadline day itself:
    planned for a Sunday or a holiday before a Monday deadline, it goes that Monday morning, still within the
    deadline, instead of being lost; after the deadline day its stage has passed; missed: the same rent month
    still shows unpaid; before_due: its rent is not due yet (or, planned for the due date, that day); promise_check:
    the same promise, still owed; court: the same court date (its day in the offset) or termination (the eve
    reminder: before the court date, while no person holds the case).
    """
    day = rd.day
    match trigger:
        case Trigger.DEMAND:
            received = rd.received(s)
            if received is None or not s.owes or offset is None:
                return False
            if period_of(demanded_rent(s.demand_sent_on or received, s.due_day)) != period:
                return False
            deadline = rd.deadline(received)
            days = rd.demand_days(deadline)
            # Until the day before the next reminder's day; the last one until the deadline day itself.
            until = min((on - timedelta(days=1) for o, on in days.items() if o < offset), default=deadline)
            return days.get(offset, deadline - timedelta(days=offset)) <= day <= until
        case Trigger.MISSED:
            missed = _missed(s, rd)
            return missed is not None and missed.period == period
        case Trigger.BEFORE_DUE:
            year, month = (int(part) for part in period.split("-"))
            due = due_date(year, month, s.due_day)
            # With KEEPHOME_BEFORE_DUE_DAYS=0 it is planned for the due date itself, and lasts that day.
            return (s.at_risk or s.arrears_last_12m) and day <= max(
                due - timedelta(days=1), before_due_day(due, rd.settings.before_due_days)
            )
        case Trigger.PROMISE_CHECK:
            promise = s.promise_on
            return s.owes and promise is not None and period_of(promise) == period and promise.day == offset
        case Trigger.COURT:
            court = s.court_date
            if _court_eve_offset(offset):
                return court is not None and period_of(court) == period and court.day == offset and day < court
            ahead = court is not None and court >= day
            if offset is not None:  # a court date's outreach: that very date
                same = court is not None and period_of(court) == period and court.day + COURT_DATE_OFFSET == offset
                return same and (s.owes or ahead)
            # A termination's outreach (or one recorded before a court date's had its day in the key)
            event = court or s.termination_on
            return event is not None and period_of(event) == period and (s.owes or ahead)
    return False


def recheck(
    s: RentSnapshot, trigger: Trigger, period: str, offset: int | None, day: date, settings: PolicySettings
) -> str | None:
    """Whether a reminder recorded on an earlier day, or kept waiting, may still go out on `day`.

    None when its moment lasts (`_still_holds`), nothing holds it now and no more urgent stage is due today;
    otherwise why not: `STAGE_PASSED` (its moment is over, or a later stage is due and the next plan takes it),
    `NOTHING_OWED` (paid meanwhile) or `NO_LONGER_DUE` (held now, stale data, unreachable).
    """
    rd = RentDay(day, settings)
    stale = rd.is_stale(s.balance_as_of) and not (trigger is Trigger.COURT and _court_ahead(s, day))
    if stale or not s.reachable:
        return NO_LONGER_DUE
    if not _still_holds(s, rd, trigger, period, offset):
        if not s.owes and trigger is not Trigger.BEFORE_DUE and not (trigger is Trigger.COURT and _court_ahead(s, day)):
            return NOTHING_OWED
        return STAGE_PASSED
    if _hold(s, PlannedReminder(s.tenant_id, trigger, period, offset, "", {}, URGENCY[trigger]), rd) is not None:
        return NO_LONGER_DUE
    today = _plan_one(s, rd, Counter())
    if today is not None and today.urgency > URGENCY[trigger]:
        return STAGE_PASSED
    return None
