"""Plans a day's reminders: the policy over every tenant, each key recorded once, each starting a conversation."""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, func, select

from bot import collector
from bot.host.cases import open_case
from bot.host.handlers import apply_events
from bot.host.notices import Recipients, notify_urgent_case, urgent_case_recipients
from bot.host.turn import StateShapes, Turn, save_state
from bot.host.unseen import supersede
from bot.outbox.claim import NO_CHANNEL
from bot.outbox.route import CHANNELS, configured_channels, outlook
from bot.reminders.reads import (
    Contact,
    SetAside,
    chunked,
    contacted_on,
    load_contacts,
    load_snapshots,
    planned_keys,
    planned_on,
    set_aside,
    unsent_reminders,
)
from bot.reminders.send_window import quiet_not_before
from bot.settings import Settings
from bot.store.db import Database
from bot.store.dialect import insert_for
from bot.store.scene import Scene
from bot.store.schema import messages, outbox, planned_reminders, tenants
from bot.tenants.names import first_name
from conversations import engine
from conversations.model import Channel, Context
from scheduler.model import URGENCY, PlannedReminder, PlanSummary, PolicySettings, Trigger
from scheduler.policy import no_next_chance, plan

__all__ = [
    "FLOW",
    "NO_OFFSET",
    "PlanOutcome",
    "PlannedRow",
    "ReminderFate",
    "day_so_far",
    "open_outreach_case",
    "plan_reminders",
    "policy_settings",
    "record_planned",
    "reminder_fates",
    "reminder_key",
]

log = logging.getLogger(__name__)

FLOW = "payment_check"
# The database key has no NULLs (a NULL never conflicts), so "no offset" is stored as -1.
NO_OFFSET = -1


def policy_settings(settings: Settings) -> PolicySettings:
    """The part of the settings the reminder policy reads."""
    return PolicySettings.of(
        before_due_days=settings.before_due_days,
        demand_offsets=settings.demand_offset_list,
        demand_delivery_days=settings.demand_delivery_days,
        balance_max_age_days=settings.balance_max_age_days,
        crisis_hold_days=settings.crisis_hold_days,
    )


@dataclass(frozen=True, slots=True)
class PlannedRow:
    """One reminder as the operator sees it: who, which stage, which channel, why and from when.

    `channel` is the tenant's channel (the conversation's); `sends_on` and `status` what its message is reported as
    (`bot.outbox.route.outlook`): the channel it actually goes out on with the channels configured and `queued`,
    or "none" and `waiting` when none of them reaches the tenant (it waits for one, neither sent nor failed).
    """

    tenant_id: int
    tenant_ref: str
    trigger: str
    channel: str
    reason: str
    computed_from: dict[str, str]
    send_after: datetime
    sends_on: str
    status: str


@dataclass(frozen=True)
class PlanOutcome:
    """What one planning run found (dry run) or recorded (real run); `set_aside` lists the proactive messages
    that wait now (no channel, the pause) and those dropped on the day, with why."""

    day: date
    dry_run: bool
    summary: PlanSummary
    rows: list[PlannedRow]
    already_contacted: int
    set_aside: list[SetAside] = field(default_factory=list)


def reminder_key(r: PlannedReminder) -> tuple[int, str, str, int]:
    """The reminder's key as the database records it once (tenant, trigger, period, offset or NO_OFFSET)."""
    return (r.tenant_id, r.trigger.value, r.period, NO_OFFSET if r.offset is None else r.offset)


def _row(r: PlannedReminder, contact: Contact, send_after: datetime) -> PlannedRow:
    return PlannedRow(
        r.tenant_id,
        contact.tenant_ref,
        r.trigger.value,
        contact.channel,
        r.reason,
        r.computed_from,
        send_after,
        contact.goes.channel,
        contact.goes.status,
    )


async def plan_reminders(
    db: Database,
    settings: Settings,
    now: datetime,
    *,
    day: date | None = None,
    dry_run: bool = False,
    channels: Collection[str] | None = None,
) -> PlanOutcome:
    """Plan `day` (default today); a real run records new reminders and starts their conversations.

    `channels` are the channels the service sends on (default: those the settings configure); each row says
    which of them its message takes, or "none" (it waits for one).
    """
    tz = ZoneInfo(settings.timezone)
    today = now.astimezone(tz).date()
    day = day or today
    if not dry_run and day != today:
        raise ValueError(f"reminders are planned for real only for today ({today.isoformat()})")
    with collector.held_off():
        return await _plan(db, settings, now, tz, today, day, dry_run, channels)


async def _plan(
    db: Database,
    settings: Settings,
    now: datetime,
    tz: ZoneInfo,
    today: date,
    day: date,
    dry_run: bool,
    channels: Collection[str] | None,
) -> PlanOutcome:
    available = frozenset(channels) if channels is not None else configured_channels(settings)
    async with db.read() as conn:
        rules = policy_settings(settings)
        day_plan = plan(await conn.run_sync(load_snapshots, None, tz), day, rules)
        contacted = await conn.run_sync(contacted_on, day, tz)
        # The court eve and the last påkrav reminder have no next chance: another proactive message that day (a nudge,
        # an appointment's text) does not hold them back, they go beside it.
        reminders = [
            r
            for r in day_plan.reminders
            if r.tenant_id
            not in (contacted.planned if no_next_chance(r.trigger, r.offset, rules) else contacted.anyone)
        ]
        # A reminder planned on an earlier day whose question has not gone out yet (quiet days in a row, Christmas)
        # is replaced by a new one only as urgent or more: a plain "missed" never takes a påkrav countdown's place.
        unsent = await conn.run_sync(unsent_reminders, [r.tenant_id for r in reminders])
        reminders = [r for r in reminders if _as_urgent(r, unsent.get(r.tenant_id))]
        if dry_run:
            known = await conn.run_sync(planned_keys, [r.tenant_id for r in reminders])
            reminders = [r for r in reminders if reminder_key(r) not in known]
            contacts = await conn.run_sync(load_contacts, [r.tenant_id for r in reminders], available)
            aside = await conn.run_sync(set_aside, day, tz)
    skipped = len(day_plan.reminders) - len(reminders)
    at = now if day == today else datetime.combine(day, time(settings.plan_hour), tzinfo=tz).astimezone(UTC)
    send_after = quiet_not_before(at, settings)
    if dry_run:
        rows = [_row(r, contacts[r.tenant_id], send_after) for r in reminders if r.tenant_id in contacts]
        return PlanOutcome(day, True, day_plan.summary, rows, skipped, aside)
    rows = []
    for part in chunked(reminders):
        rows.extend(await db.run(record_planned, part, settings, now, day, send_after, available))
    async with db.read() as conn:
        aside = await conn.run_sync(set_aside, day, tz)
    log.info(
        "planned %s reminder%s for %s (%s considered)",
        len(rows),
        "" if len(rows) == 1 else "s",
        day,
        day_plan.summary.considered,
    )
    return PlanOutcome(day, False, day_plan.summary, rows, skipped, aside)


def _as_urgent(r: PlannedReminder, waiting: str | None) -> bool:
    """Whether `r` may replace the reminder whose question waits to go (`waiting`, its trigger; None for none)."""
    if waiting is None:
        return True
    try:
        return r.urgency >= URGENCY[Trigger(waiting)]
    except ValueError:
        return True  # a trigger this version does not plan: the new reminder goes


def _insert_keys(conn: Connection, part: Sequence[PlannedReminder], day: date, now: datetime) -> dict[int, int]:
    """Record the reminders; returns tenant id -> planned id for those no run had recorded before."""
    pr = planned_reminders.c
    stmt = (
        insert_for(conn, planned_reminders)
        .on_conflict_do_nothing(index_elements=[pr.tenant_id, pr.trigger, pr.period, pr.offset_days])
        .returning(pr.id, pr.tenant_id)
    )
    params = [
        {
            "tenant_id": r.tenant_id,
            "trigger": r.trigger.value,
            "period": r.period,
            "offset_days": reminder_key(r)[3],
            "planned_for": day,
            "reason": r.reason[:300],
            "computed_from": r.computed_from,
            "created_at": now,
        }
        for r in part
    ]
    result = conn.execute(stmt, params)
    return {int(tenant_id): int(planned_id) for planned_id, tenant_id in result}


def record_planned(
    conn: Connection,
    part: Sequence[PlannedReminder],
    settings: Settings,
    now: datetime,
    day: date,
    send_after: datetime,
    available: Collection[str] | None = None,
) -> list[PlannedRow]:
    """One chunk in one transaction: re-check each tenant, record the keys, start the conversations."""
    ids = [r.tenant_id for r in part]
    contacts = load_contacts(conn, ids, configured_channels(settings) if available is None else available)
    busy = planned_on(conn, ids, day)
    wanted = [r for r in part if r.tenant_id in contacts and r.tenant_id not in busy]
    if not wanted:
        return []
    new = _insert_keys(conn, wanted, day, now)
    fresh = [r for r in wanted if r.tenant_id in new]
    scene = Scene.of(conn)
    court = [r for r in fresh if r.trigger is Trigger.COURT]
    supersede(conn, [r.tenant_id for r in fresh], {r.tenant_id for r in fresh if r.ends_conversation}, now)
    if court:
        _open_outreach(scene, court, settings, now, day)
    talk = [r for r in fresh if not contacts[r.tenant_id].case_held]
    _start_conversations(scene, talk, contacts, new, settings, now, day, send_after)
    return [_row(r, contacts[r.tenant_id], send_after) for r in fresh]


def _open_outreach(
    scene: Scene, court: Sequence[PlannedReminder], settings: Settings, now: datetime, day: date
) -> None:
    """A known termination or court date: an urgent case for an adviser, with or without consent."""
    # The outreach has replaced whatever the bot was asking (`supersede`); one conversation per tenant at a time.
    recipients = urgent_case_recipients(scene.conn)
    for r in court:
        open_outreach_case(scene, r, settings, now, day, recipients)


def open_outreach_case(
    scene: Scene,
    r: PlannedReminder,
    settings: Settings,
    now: datetime,
    day: date,
    recipients: Recipients | None = None,
) -> int:
    """The urgent case of a court-rule reminder, for an adviser, and the notices to staff who asked for them
    (`recipients`, when the caller read them for many cases)."""
    case_id = open_case(
        scene.conn,
        r.tenant_id,
        origin="outreach",
        reason=f"urgent outreach: {r.reason}"[:200],
        now=now,
        today=day,
        delivery_days=settings.demand_delivery_days,
    ).case_id
    notify_urgent_case(scene, case_id, now, settings.public_url, recipients)
    return case_id


def _start_conversations(
    scene: Scene,
    fresh: Sequence[PlannedReminder],
    contacts: dict[int, Contact],
    planned_ids: dict[int, int],
    settings: Settings,
    now: datetime,
    day: date,
    send_after: datetime,
) -> None:
    """Start payment_check for each reminder; its first question goes out proactively after quiet hours."""
    flow = settings.flow_settings()
    shapes = StateShapes()
    for r in fresh:
        contact = contacts[r.tenant_id]
        channel = cast(Channel, contact.channel)
        context = Context(first_name(contact.name), contact.language, channel, r.trigger.value, flow, r.deadline)
        # The wait for an answer (the nudge, giving up) counts from when the question may go, not from the planning:
        # an evening's plan asks at 09:00 and nudges the next morning, not that evening.
        state, started = engine.start(FLOW, context, max(now, send_after))
        turn = Turn(
            tenant_id=r.tenant_id,
            conversation_id=None,
            channel=channel,
            language=contact.language,
            now=now,
            today=day,
            key=f"rem:{planned_ids[r.tenant_id]}",
            proactive=True,
            not_before=send_after,
        )
        turn = turn.in_conversation(save_state(scene, turn, state, r.trigger.value, shapes))
        apply_events(scene, turn, started, settings)


@dataclass(frozen=True, slots=True)
class ReminderFate:
    """What became of one reminder planned on a day: its first question as stored (`status` is None when no
    question was queued for it: a person held the tenant's case)."""

    status: str | None
    error_code: str | None = None
    channel: str | None = None
    outbox_state: str | None = None
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    attempts: int = 0
    maybe_sent: bool = False


def reminder_fates(
    conn: Connection, day: date, tz: ZoneInfo, available: Collection[str] = CHANNELS
) -> list[ReminderFate]:
    """Every reminder planned on the local `day`, once each, with what became of its first question (key
    `rem:<planned id>:0`); a reminder the send window dropped later is counted too, by its question, though its
    planned row is gone. A question not sent yet that none of the `available` channels reaches waits for one
    (`bot.outbox.route.outlook`), also before the sender has looked at it and set it aside."""
    start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(date.fromordinal(day.toordinal() + 1), time(0), tzinfo=tz).astimezone(UTC)
    o, m, t = outbox.c, messages.c, tenants.c
    asked: dict[str, ReminderFate] = {}
    found = conn.execute(
        select(
            o.idempotency_key,
            m.status,
            m.error_code,
            func.coalesce(m.channel, o.channel).label("channel"),
            o.state,
            o.last_error,
            o.next_attempt_at,
            o.attempts,
            o.maybe_sent,
            t.status.label("tenant_status"),
            t.phone,
            t.telegram_chat_id,
            t.telegram_blocked,
        )
        .join(messages, m.id == o.message_id)
        .outerjoin(tenants, t.id == o.tenant_id)
        .where(o.proactive.is_(True), o.idempotency_key.like("rem:%"), o.created_at >= start, o.created_at < end)
        .order_by(o.id)
    )
    for row in found:
        planned_id = row.idempotency_key.split(":")[1]
        if planned_id in asked:
            continue
        seen = outlook(
            row.status,
            row.channel,
            active=row.tenant_status == "active",
            phone=row.phone,
            chat_id=row.telegram_chat_id,
            blocked=bool(row.telegram_blocked),
            available=available,
        )
        # Waiting for a channel the sender has not set it aside for yet: it will, with this reason.
        state, error = ("waiting", NO_CHANNEL) if seen.status != row.status else (row.state, row.last_error)
        asked[planned_id] = ReminderFate(
            seen.status,
            row.error_code,
            seen.channel,
            state,
            error,
            row.next_attempt_at,
            int(row.attempts or 0),
            bool(row.maybe_sent),
        )
    planned = conn.execute(select(planned_reminders.c.id).where(planned_reminders.c.planned_for == day)).scalars()
    unasked = [ReminderFate(None) for planned_id in planned if str(planned_id) not in asked]
    return [*asked.values(), *unasked]


async def day_so_far(
    db: Database, settings: Settings, day: date, channels: Collection[str] | None = None
) -> list[ReminderFate]:
    """`reminder_fates` for `day` in the organisation's time zone, on a read connection; `channels` are those the
    service sends on (default: those the settings configure)."""
    available = frozenset(channels) if channels is not None else configured_channels(settings)
    async with db.read() as conn:
        return await conn.run_sync(reminder_fates, day, ZoneInfo(settings.timezone), available)
