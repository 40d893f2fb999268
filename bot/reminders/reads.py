"""Reads what reminder planning needs from the database with a few set-based queries."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Date, Integer, and_, column, exists, func, or_, select, values

from bot.host.appointments import REMINDER_KEYS as APPOINTMENT_REMINDERS
from bot.host.cases import HELD_STATUSES, OPEN_STATUSES, PAYMENT_PLAN
from bot.host.crisis import crisis_days
from bot.host.unseen import question_unseen, question_went_out
from bot.outbox.route import CHANNELS, Outlook, best_channel, outlook
from bot.store.schema import (
    balance_events,
    cases,
    conversations,
    messages,
    outbox,
    planned_reminders,
    rent_positions,
    tenants,
)
from bot.tenants.court import termination_called_off
from scheduler.model import RentSnapshot

__all__ = [
    "CHUNK",
    "Contact",
    "Contacted",
    "SetAside",
    "chunked",
    "contacted_on",
    "day_window",
    "load_contacts",
    "load_snapshots",
    "plan_balances",
    "plan_days",
    "planned_keys",
    "planned_on",
    "set_aside",
    "unsent_reminders",
]

# Ids per IN list and rows per write transaction: well under SQLite's variable limit.
CHUNK = 500

T = TypeVar("T")


def chunked(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most `size` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def day_window(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants where the local `day` starts and the next one starts."""
    start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return start, end


@dataclass(frozen=True, slots=True)
class Contact:
    """How to reach one tenant now; only active tenants with an address have one.

    `channel` is the tenant's channel (the conversation's); `goes` what a message to them is reported as with the
    channels the service sends on (`bot.outbox.route.outlook`): the channel it actually goes out on and `queued`,
    or "none" and `waiting` when none of those reaches them.
    """

    tenant_id: int
    tenant_ref: str
    name: str
    language: str
    channel: str
    case_held: bool
    goes: Outlook


def plan_days(conn: Connection, tz: ZoneInfo, tenant_ids: Collection[int] | None = None) -> dict[int, date]:
    """Tenant id -> the local day an adviser last closed a case of theirs with a payment plan agreed (with
    `tenant_ids`, only theirs): the plan covers the rent fallen due by then (`scheduler.policy`)."""
    stmt = (
        select(cases.c.tenant_id, func.max(cases.c.closed_at))
        .where(cases.c.outcome == PAYMENT_PLAN, cases.c.closed_at.is_not(None))
        .group_by(cases.c.tenant_id)
    )
    rows = []
    if tenant_ids is None:
        rows = list(conn.execute(stmt))
    else:
        for ids in chunked(sorted(tenant_ids)):
            rows.extend(conn.execute(stmt.where(cases.c.tenant_id.in_(ids))))
    return {int(tenant_id): at.astimezone(tz).date() for tenant_id, at in rows if at is not None}


def plan_balances(conn: Connection, plans: Mapping[int, date]) -> dict[int, int]:
    """Tenant id -> the lowest balance the ledger showed since their plan's day (`plans`, from `plan_days`) before the
    month of its newest balance: its latest `balance_events` row dated on or before the plan's day, and every row
    after it dated before that month. A later rent unpaid shows as a balance above it; a plan paid down (or off)
    lowers it, so a rent missed then is not hidden by the arrears of the plan's day. A tenant with no row dated by
    the plan's day (or erased) is left out.

    Set-based: two queries for every 250 tenants with a plan (none when no tenant has one), not one a tenant; the
    plan days travel as a VALUES list, and each tenant's rows are looked up by the tenant_id index."""
    be = balance_events.c
    found: dict[int, int] = {}
    for part in chunked(sorted(plans.items()), CHUNK // 2):  # two values a tenant
        plan = values(column("tenant_id", Integer), column("day", Date), name="plan").data(list(part)).cte("plan")
        latest = (
            select(be.balance_ore)
            .where(be.tenant_id == plan.c.tenant_id, be.as_of <= plan.c.day)
            .order_by(be.as_of.desc(), be.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        for tenant_id, balance in conn.execute(select(plan.c.tenant_id, latest)):
            if balance is not None:
                found[int(tenant_id)] = int(balance)
        since = (
            select(be.tenant_id, be.as_of, be.balance_ore)
            .join(plan, and_(be.tenant_id == plan.c.tenant_id, be.as_of > plan.c.day))
            .order_by(be.tenant_id, be.as_of)
        )
        later: dict[int, list[tuple[date, int]]] = {}
        for tenant_id, as_of, balance in conn.execute(since):
            later.setdefault(int(tenant_id), []).append((as_of, int(balance)))
        for tenant_id, rows in later.items():
            if tenant_id not in found:
                continue
            month = rows[-1][0].replace(day=1)  # the newest balance's month: its rent is the one a reminder asks about
            found[tenant_id] = min([found[tenant_id], *(balance for as_of, balance in rows if as_of < month)])
    return found


def load_snapshots(conn: Connection, tenant_ids: Collection[int] | None, tz: ZoneInfo) -> list[RentSnapshot]:
    """Every tenant's rent position and contact state (erased tenants are left out) in one pass; with
    `tenant_ids`, only theirs. `tz` is the organisation's time zone: the day of a tenant's words of crisis is its
    local day."""
    open_cases_q = select(cases.c.tenant_id, cases.c.status).where(cases.c.status.in_(OPEN_STATUSES))
    # A conversation holds reminders only while it waits for an answer to a question the tenant received.
    waiting_q = select(conversations.c.tenant_id).where(
        conversations.c.active.is_(True),
        conversations.c.waiting_until.is_not(None),
        question_went_out(conversations.c.id),
    )
    if tenant_ids is not None:
        wanted = list(tenant_ids)
        open_cases_q = open_cases_q.where(cases.c.tenant_id.in_(wanted))
        waiting_q = waiting_q.where(conversations.c.tenant_id.in_(wanted))
    open_case_ids: set[int] = set()
    held_ids: set[int] = set()
    for tenant_id, status in conn.execute(open_cases_q):
        open_case_ids.add(tenant_id)
        if status in HELD_STATUSES:
            held_ids.add(tenant_id)
    waiting_ids = set(conn.execute(waiting_q).scalars())
    crisis = crisis_days(conn, tz, tenant_ids)
    plans = plan_days(conn, tz, tenant_ids)
    plan_balance = plan_balances(conn, plans)
    rp = rent_positions.c
    telegram_ok = and_(tenants.c.telegram_chat_id.is_not(None), tenants.c.telegram_blocked.is_(False))
    # An eviction called off after payment or agreement ends the court stage: the termination behind it no longer
    # drives court-stage reminders (the one rule, bot/tenants/court.py; the ledger may go on carrying it).
    called_off = termination_called_off(tenants.c.id, rp.termination_on)
    stmt = (
        select(
            tenants.c.id,
            rp.due_day,
            rp.balance_ore,
            rp.balance_as_of,
            rp.demand_sent_on,
            rp.demand_received_on,
            rp.termination_on,
            rp.court_date,
            rp.at_risk,
            rp.arrears_last_12m,
            rp.promise_on,
            rp.paid_claim_until,
            and_(tenants.c.status == "active", tenants.c.phone.is_not(None) | telegram_ok),
            called_off,
        )
        .join(rent_positions, rp.tenant_id == tenants.c.id)
        .where(tenants.c.status != "erased")
    )
    if tenant_ids is not None:
        stmt = stmt.where(tenants.c.id.in_(list(tenant_ids)))
    snapshots: list[RentSnapshot] = []
    for (
        tid,
        due_day,
        balance,
        as_of,
        demand,
        received,
        termination,
        court,
        risk,
        arrears,
        promise,
        paid,
        ok,
        ended,
    ) in conn.execute(stmt):
        snapshots.append(
            RentSnapshot(
                tenant_id=tid,
                due_day=due_day,
                balance_ore=balance,
                balance_as_of=as_of,
                demand_sent_on=demand,
                demand_received_on=received,
                termination_on=None if ended else termination,
                court_date=court,
                at_risk=bool(risk),
                arrears_last_12m=bool(arrears),
                promise_on=promise,
                paid_claim_until=paid,
                reachable=bool(ok),
                has_open_case=tid in open_case_ids,
                case_held=tid in held_ids,
                waiting_conversation=tid in waiting_ids,
                crisis_on=crisis.get(tid),
                plan_agreed_on=plans.get(tid),
                plan_balance_ore=plan_balance.get(tid),
            )
        )
    return snapshots


def load_contacts(
    conn: Connection, tenant_ids: Sequence[int], available: Collection[str] = CHANNELS
) -> dict[int, Contact]:
    """Names, languages and channels of the tenants among `tenant_ids` who have an address; `goes` says which of
    the `available` channels a message would take now, or that it would wait for one (`bot.outbox.route.outlook`)."""
    held = exists().where(cases.c.tenant_id == tenants.c.id, cases.c.status.in_(HELD_STATUSES))
    found: dict[int, Contact] = {}
    for ids in chunked(tenant_ids):
        rows = conn.execute(
            select(
                tenants.c.id,
                tenants.c.tenant_ref,
                tenants.c.name,
                tenants.c.language,
                tenants.c.phone,
                tenants.c.telegram_chat_id,
                tenants.c.telegram_blocked,
                held,
            ).where(tenants.c.id.in_(ids), tenants.c.status == "active")
        )
        for tid, ref, name, language, phone, chat_id, blocked, is_held in rows:
            channel = best_channel(phone, chat_id, bool(blocked))
            if channel is not None:
                goes = outlook(
                    "queued",
                    channel,
                    active=True,
                    phone=phone,
                    chat_id=chat_id,
                    blocked=bool(blocked),
                    available=available,
                )
                found[tid] = Contact(tid, ref, name, language, channel, bool(is_held), goes)
    return found


@dataclass(frozen=True)
class Contacted:
    """Who already hears from keephome on a day: `anyone` holds back a rent reminder; `planned`, the tenants with a
    reminder already planned that day, holds back one with no next chance (`scheduler.policy.no_next_chance`: the
    court eve, the last påkrav reminder), which goes beside any other proactive message of the day."""

    anyone: set[int]
    planned: set[int]


def unsent_reminders(conn: Connection, tenant_ids: Iterable[int]) -> dict[int, str]:
    """Tenant id -> the trigger of their open reminder conversation whose question has not gone out yet (it waits
    for the morning after quiet days, a channel or the pause)."""
    found: dict[int, str] = {}
    c = conversations.c
    for part in chunked(list(tenant_ids)):
        rows = conn.execute(
            select(c.tenant_id, c.trigger).where(c.tenant_id.in_(part), c.active.is_(True), question_unseen(c.id))
        )
        found.update((int(tenant_id), str(trigger)) for tenant_id, trigger in rows)
    return found


def contacted_on(conn: Connection, day: date, tz: ZoneInfo) -> Contacted:
    """Tenants who already have a proactive message going out on the local `day`, or a reminder for it.

    A message written on an earlier day that has not gone out yet does not count: it is checked again before it
    goes (`bot.reminders.recheck`), and a reminder planned now replaces it when its question never went out and
    the new one is as urgent or more (`unsent_reminders`; the plan leaves a less urgent one out).
    Except an appointment's reminder, queued at booking for the eve (`bot.host.appointments`): the tenant meets a
    person the next day, and only one proactive message goes a day, so that reminder is the day's message and the
    rent reminder waits for the policy's next chance (were it planned, the sender would drop the appointment's
    reminder as the second message of the day). One read of the day's rows answers both.
    """
    start, end = day_window(day, tz)
    key = outbox.c.idempotency_key
    sending = select(
        outbox.c.tenant_id,
        or_(outbox.c.created_at >= start, outbox.c.state == "sent").label("now_or_sent"),
        key.like(APPOINTMENT_REMINDERS).label("appointment_reminder"),
    ).where(
        outbox.c.proactive.is_(True),
        outbox.c.state.not_in(("held", "dropped")),
        outbox.c.tenant_id.is_not(None),
        outbox.c.not_before >= start,
        outbox.c.not_before < end,
    )
    planned = set(
        conn.execute(select(planned_reminders.c.tenant_id).where(planned_reminders.c.planned_for == day)).scalars()
    )
    anyone = set(planned)
    for row in conn.execute(sending):
        if row.now_or_sent or row.appointment_reminder:
            anyone.add(row.tenant_id)
    return Contacted(anyone, planned)


def planned_on(conn: Connection, tenant_ids: Iterable[int], day: date) -> set[int]:
    """Among `tenant_ids`, those with a reminder already planned for `day` (uses the key's index)."""
    ids = list(tenant_ids)
    found: set[int] = set()
    for part in chunked(ids):
        rows = conn.execute(
            select(planned_reminders.c.tenant_id).where(
                planned_reminders.c.tenant_id.in_(part), planned_reminders.c.planned_for == day
            )
        )
        found.update(rows.scalars())
    return found


def planned_keys(conn: Connection, tenant_ids: Iterable[int]) -> set[tuple[int, str, str, int]]:
    """The reminder keys already recorded for `tenant_ids` (offset -1 stands for none)."""
    pr = planned_reminders.c
    found: set[tuple[int, str, str, int]] = set()
    for part in chunked(list(tenant_ids)):
        rows = conn.execute(select(pr.tenant_id, pr.trigger, pr.period, pr.offset_days).where(pr.tenant_id.in_(part)))
        found.update((int(t), str(tr), str(p), int(o)) for t, tr, p, o in rows)
    return found


@dataclass(frozen=True, slots=True)
class SetAside:
    """A reminder that waits (no channel, the pause) or was dropped on a day, and why."""

    tenant_ref: str
    trigger: str
    state: str  # waiting or dropped
    reason: str


def set_aside(conn: Connection, day: date, tz: ZoneInfo) -> list[SetAside]:
    """Proactive messages that wait now, and those dropped on the local `day`, with their reasons."""
    start, end = day_window(day, tz)
    rows = conn.execute(
        select(tenants.c.tenant_ref, conversations.c.trigger, outbox.c.template, outbox.c.state, outbox.c.last_error)
        .select_from(outbox)
        .join(messages, messages.c.id == outbox.c.message_id)
        .join(tenants, tenants.c.id == outbox.c.tenant_id)
        .outerjoin(conversations, conversations.c.id == messages.c.conversation_id)
        .where(
            outbox.c.state.in_(("waiting", "dropped")),
            outbox.c.proactive.is_(True),
            or_(
                outbox.c.state == "waiting",
                and_(outbox.c.state == "dropped", messages.c.updated_at >= start, messages.c.updated_at < end),
            ),
        )
        .order_by(outbox.c.state.desc(), tenants.c.tenant_ref, outbox.c.id)
    )
    return [
        SetAside(ref, "nudge" if template == "common.nudge" else trigger or template, state, reason or "")
        for ref, trigger, template, state, reason in rows
    ]
