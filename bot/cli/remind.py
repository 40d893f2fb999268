"""`keephome remind`: plan today's reminders now, or show who a day would remind, on which channel and why."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.console.delivery import DeliveryFacts, delivery
from bot.i18n import speaking
from bot.outbox.route import NONE
from bot.reminders.jobs import JobServices, plan_today
from bot.reminders.plan import PlannedRow, PlanOutcome, ReminderFate, day_so_far, plan_reminders
from bot.settings import Settings
from bot.store.db import Database, utcnow
from bot.store.flags import is_paused
from bot.store.migrate import prepare
from bot.tenants.csv_out import CsvWriter

__all__ = ["CSV_COLUMNS", "run_remind", "tally_lines", "write_csv", "write_table"]

CSV_COLUMNS = ("tenant_ref", "stage", "channel", "send_after", "reason", "computed_from")


def _computed_from(row: PlannedRow) -> str:
    return ", ".join(f"{name}={value}" for name, value in row.computed_from.items())


def _cells(row: PlannedRow, tz: ZoneInfo) -> list[str]:
    send_after = row.send_after.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    # The channel it actually goes out on with the channels configured, or "none": it waits for one
    # (`bot.outbox.route.outlook`, which the API's reminders report from too).
    return [row.tenant_ref, row.trigger, row.sends_on, send_after, row.reason, _computed_from(row)]


def write_csv(outcome: PlanOutcome, tz: ZoneInfo, out: TextIO) -> None:
    """One line per reminder; `stage` is the trigger's name, times are local; formula-like cells neutralised."""
    writer = CsvWriter(out)
    writer.writerow(CSV_COLUMNS)
    for row in outcome.rows:
        writer.writerow(_cells(row, tz))


def _summary(outcome: PlanOutcome) -> list[str]:
    s = outcome.summary
    return [
        f"{s.considered} tenants considered: {s.planned} due a reminder by the policy, "
        f"{outcome.already_contacted} of them already contacted that day or reminded of the same before;",
        f"not reminded: {s.stale} with stale balance data, {s.unreachable} unreachable (opted out, wrong number "
        f"or no address), {s.held_by_conversation} held by a conversation or case, "
        f"{s.held_by_paid_claim} held by a paid claim or a promise, "
        f"{s.held_by_crisis} held after words of crisis, {s.held_by_plan} covered by a payment plan.",
    ]


def _table(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for index, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return lines


def write_table(outcome: PlanOutcome, tz: ZoneInfo, out: TextIO, *, paused: bool = False) -> None:
    """A readable table for a person at a terminal, with a short summary (the CSV has the computed dates); `paused`:
    the pause switch is on."""
    if outcome.dry_run:
        title = f"Reminders that {outcome.day.isoformat()} would bring (dry run: nothing recorded or sent)"
    else:
        title = f"Reminders planned for {outcome.day.isoformat()}: {len(outcome.rows)} new"
    print(title, file=out)
    if outcome.rows:
        header = ["tenant_ref", "stage", "channel", "send after", "reason"]
        for line in _table([header, *(_cells(row, tz)[:5] for row in outcome.rows)]):
            print(line, file=out)
    else:
        print("(no reminders)", file=out)
    for line in _summary(outcome):
        print(line, file=out)
    if outcome.set_aside:
        print("Not sent, and why (waiting now, or dropped that day):", file=out)
        rows = [[a.tenant_ref, a.trigger, a.state, a.reason] for a in outcome.set_aside]
        for line in _table([["tenant_ref", "stage", "state", "why"], *rows]):
            print(line, file=out)
    if outcome.rows and not outcome.dry_run:
        for line in _what_next(outcome.rows, paused):
            print(line, file=out)


def _what_next(rows: Sequence[PlannedRow], paused: bool) -> list[str]:
    """What happens to the reminders a real run planned: queued ones go, those on channel "none" wait for one, and
    none goes while sending is paused."""
    waiting = sum(1 for row in rows if row.status == "waiting")
    lines = []
    if paused:
        lines.append(
            "Sending is paused (the console's switch or KEEPHOME_PAUSED): none of them goes out while it is. Once it "
            "is resumed, each goes from its send-after time (at once if that has passed), if still due then."
        )
    elif waiting < len(rows):
        which = "Those on a channel are" if waiting else "They are"
        lines.append(f"{which} queued; the running service sends each one from its send-after time.")
    if waiting:
        lines.append(
            f"Waiting for a channel: {waiting} (channel {NONE}), as no configured channel reaches the tenant. Neither "
            "sent nor failed, each goes when the service runs with a channel that does (if still due then; else it "
            "is dropped, with why)."
        )
    return lines


# How the reminders planned on a day fared, in this order; the counts add up to the reminders planned.
_FATES = (
    ("sent", "sent"),
    ("waiting", "waiting"),
    ("held", "held"),
    ("dropped", "dropped"),
    ("failed", "failed"),
    ("unasked", "no message"),
)
# A message's delivery state (bot/console/delivery.py) in the tally's terms.
_FATE_OF = {"delivered": "sent", "sent": "sent", "sending": "sent", "queued": "waiting"}


def _fate(fate: ReminderFate, now: datetime, tz: ZoneInfo, paused: bool) -> tuple[str, str]:
    """A reminder's place in the tally and why (the console's words for it)."""
    if fate.status is None:
        return "unasked", "a person holds the tenant's case"
    facts = DeliveryFacts(
        fate.status,
        fate.error_code,
        fate.channel,
        fate.outbox_state,
        fate.last_error,
        fate.next_attempt_at,
        fate.attempts,
        fate.maybe_sent,
        proactive=True,  # a reminder's question (`reminder_fates` reads proactive rows only)
    )
    # The command speaks English whatever language the console speaks; a time on another day names its day.
    with speaking("en"):
        shown = delivery(facts, now, lambda when: _when(when, now, tz), paused=paused)
    if shown.state == "queued":
        return "waiting", shown.label + (f", {shown.why}" if shown.why else "")
    if shown.state == "delivered":
        return "sent", "delivered"
    return _FATE_OF.get(shown.state, shown.state), shown.why


def _when(when: datetime | None, now: datetime, tz: ZoneInfo) -> str:
    if when is None:
        return "–"
    local = when.astimezone(tz)
    return f"{local:%H:%M}" if local.date() == now.astimezone(tz).date() else f"{local:%Y-%m-%d %H:%M}"


def tally_lines(
    fates: Sequence[ReminderFate], day: date, now: datetime, tz: ZoneInfo, *, paused: bool = False
) -> list[str]:
    """How the reminders planned on `day` fared so far: sent, waiting, held, dropped, failed (each with why),
    and the sum, which is the number planned. Nothing when none was planned that day. `paused`: the pause switch
    is on, so none of those not sent yet goes now."""
    if not fates:
        return []
    counted: dict[str, Counter[str]] = {name: Counter() for name, _ in _FATES}
    for fate in fates:
        name, why = _fate(fate, now, tz, paused)
        counted[name][why] += 1
    total = len(fates)
    lines = [f"Reminders planned on {day.isoformat()}: {total}, and what became of them so far:"]
    width = max(len(label) for _, label in _FATES)
    for name, label in _FATES:
        reasons = counted[name]
        n = sum(reasons.values())
        why = "; ".join(f"{count} {reason}" for reason, count in sorted(reasons.items(), key=_most) if reason)
        lines.append(f"  {label:<{width}}  {n:>5}" + (f"  ({why})" if why else ""))
    parts = " + ".join(f"{sum(counted[name].values())} {label}" for name, label in _FATES)
    lines.append(f"  {parts} = {total} planned")
    return lines


def _most(item: tuple[str, int]) -> tuple[int, str]:
    return -item[1], item[0]


async def run_remind(
    settings: Settings,
    day: date | None,
    dry_run: bool,
    as_csv: bool,
    out: TextIO,
    *,
    now: datetime | None = None,
) -> int:
    """Plan today's reminders (or, with dry_run, show any day's); returns the exit status."""
    tz = ZoneInfo(settings.timezone)
    now = now or utcnow()
    today = now.astimezone(tz).date()
    day = day or today
    if not dry_run and day != today:
        print(
            f"keephome remind: reminders are planned for real only for today ({today.isoformat()}); "
            f"add --dry-run to see what {day.isoformat()} would bring",
            file=sys.stderr,
        )
        return 2
    db = Database(settings.database_url)
    try:
        problem = await prepare(db)
        if problem is not None:
            print(f"keephome remind: {problem}", file=sys.stderr)
            return 2
        if dry_run:
            outcome = await plan_reminders(db, settings, now, day=day, dry_run=True)
        else:
            # As the scheduler plans (`plan_today`): the day is recorded as planned, so the admin page and the
            # scheduler's catch-up see it; the running service's sender finds the rows at its next look.
            jobs = JobServices(db, settings, lambda: now, wake_sender=lambda: None)
            outcome = await plan_today(jobs)
        fates = [] if as_csv else await day_so_far(db, settings, day)
        # As the sender reads it (`bot.runtime.Runtime.paused`): the setting, or the console's switch as stored now.
        paused = settings.paused
        if not paused:
            async with db.read() as conn:
                paused = await conn.run_sync(is_paused)
    finally:
        await db.dispose()
    if as_csv:
        write_csv(outcome, tz, out)
    else:
        write_table(outcome, tz, out, paused=paused)
    for line in tally_lines(fates, day, now, tz, paused=paused):
        print(line, file=out)
    return 0
