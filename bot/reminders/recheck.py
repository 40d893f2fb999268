"""The send window the sender asks before proactive rows go: a second look at late rows.

A proactive row is late when it was written on an earlier local day than the one it may go on (planned at 21:00,
a nudge held to the next morning), or when it waited for a channel or the pause (`outbox.recheck`). Before it goes,
the rules are asked again, for today:

- in quiet hours it waits until they end (and is looked at again then);
- a reminder's first question (key `rem:<planned id>:…`) goes only when the reminder policy would plan that very
  reminder today (`scheduler.policy.recheck`: else "stage passed", "nothing owed" or "no longer due"), and while
  its conversation is still open ("conversation ended");
- a nudge (`wait:<conversation>:<version>:…`) only while its conversation still waits on the same question
  ("conversation ended", "conversation moved on");
- at most one proactive message a tenant a day ("one a day"); an appointment's reminder never gives way (the
  eve is kept for it, and only the court eve's reminder goes beside it), nor do the court eve and the last påkrav
  reminder (`scheduler.policy.no_next_chance`: the legal clock gives them no later day; a pause that kept one
  waiting beside another proactive message of the day must not cost the tenant the last word before court or
  the deadline).

A reminder dropped this way leaves nothing waiting: its conversation, whose question never went out, ends with
the same reason, so the next plan takes whatever stage is due then. Its key stays recorded: the same reminder
is not planned again.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select, update

from bot.host.appointments import is_reminder_key
from bot.host.unseen import WENT_OUT
from bot.outbox.claim import Claimed
from bot.reminders.plan import NO_OFFSET, policy_settings
from bot.reminders.reads import day_window, load_snapshots
from bot.reminders.send_window import quiet_not_before
from bot.settings import Settings
from bot.store.schema import conversations, messages, planned_reminders
from scheduler.model import NO_LONGER_DUE, Trigger
from scheduler.policy import no_next_chance, recheck

__all__ = ["CONVERSATION_ENDED", "CONVERSATION_MOVED_ON", "ONE_A_DAY", "SendWindow"]

# Why a late proactive row is dropped, besides the policy's own reasons (scheduler.model).
CONVERSATION_ENDED = "conversation ended"
CONVERSATION_MOVED_ON = "conversation moved on"
ONE_A_DAY = "one a day"

_REMINDER = re.compile(r"^rem:(\d+):")
_NUDGE = re.compile(r"^wait:(\d+):(\d+):")


class SendWindow:
    """When proactive messages may go, as the sender's claim asks it (`bot.outbox.claim.Window`)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._tz = ZoneInfo(settings.timezone)

    def recheck(self, conn: Connection, rows: Sequence[Claimed], now: datetime) -> Mapping[int, str | datetime]:
        """The late rows among these claimed proactive rows that must not go now: dropped (why), or in quiet
        hours put off until they end (when)."""
        today = now.astimezone(self._tz).date()
        late = [r for r in rows if r.recheck or r.created_at.astimezone(self._tz).date() < today]
        if not late:
            return {}
        allowed = quiet_not_before(now, self._settings)
        if allowed > now:  # they waited into the night: they are looked at again when quiet hours end
            return dict.fromkeys((r.id for r in late), allowed)
        conversation_of = dict(
            conn.execute(
                select(messages.c.id, messages.c.conversation_id).where(messages.c.id.in_([r.message_id for r in late]))
            ).all()
        )
        open_versions = dict(
            conn.execute(
                select(conversations.c.id, conversations.c.version).where(
                    conversations.c.id.in_([c for c in conversation_of.values() if c is not None]),
                    conversations.c.active.is_(True),
                )
            ).all()
        )
        dropped: dict[int, str] = {}
        for r in late:
            conversation = conversation_of.get(r.message_id)
            if (_REMINDER.match(r.idempotency_key) or _NUDGE.match(r.idempotency_key)) and (
                conversation not in open_versions
            ):
                dropped[r.id] = CONVERSATION_ENDED
            elif (nudge := _NUDGE.match(r.idempotency_key)) and open_versions.get(conversation) != int(nudge[2]) + 1:
                dropped[r.id] = CONVERSATION_MOVED_ON
        reminders, last_words = self._reminders(conn, [r for r in late if r.id not in dropped], today)
        dropped |= reminders
        dropped |= self._one_a_day(conn, rows, late, dropped, last_words, now)
        self._forget(conn, late, dropped, conversation_of, now)
        return dict(dropped)

    def _reminders(self, conn: Connection, late: Sequence[Claimed], today: date) -> tuple[dict[int, str], set[int]]:
        """Late first questions of reminders whose reminder the policy would not plan today (row id -> why), and
        those that still go and have no next chance (`no_next_chance`)."""
        planned_id = {r.id: int(m.group(1)) for r in late if (m := _REMINDER.match(r.idempotency_key))}
        if not planned_id:
            return {}, set()
        pr = planned_reminders.c
        keys = {
            int(pid): (int(tid), str(trigger), str(period), int(offset))
            for pid, tid, trigger, period, offset in conn.execute(
                select(pr.id, pr.tenant_id, pr.trigger, pr.period, pr.offset_days).where(
                    pr.id.in_(list(planned_id.values()))
                )
            )
        }
        snapshots = {s.tenant_id: s for s in load_snapshots(conn, {k[0] for k in keys.values()}, self._tz)}
        settings = policy_settings(self._settings)
        dropped: dict[int, str] = {}
        last_words: set[int] = set()
        for row_id, pid in planned_id.items():
            key = keys.get(pid)
            snapshot = snapshots.get(key[0]) if key is not None else None
            if key is None or snapshot is None:
                dropped[row_id] = NO_LONGER_DUE
                continue
            trigger, period, offset = Trigger(key[1]), key[2], None if key[3] == NO_OFFSET else key[3]
            why = recheck(snapshot, trigger, period, offset, today, settings)
            if why is not None:
                dropped[row_id] = why
            elif no_next_chance(trigger, offset, settings):
                last_words.add(row_id)
        return dropped, last_words

    def _one_a_day(
        self,
        conn: Connection,
        rows: Sequence[Claimed],
        late: Sequence[Claimed],
        dropped: Mapping[int, str],
        last_words: Collection[int],
        now: datetime,
    ) -> dict[int, str]:
        """A late row to a tenant who had (or is getting in this claim) a proactive message today waits no more;
        an appointment's reminder and the rows in `last_words` go all the same."""
        start, end = day_window(now.astimezone(self._tz).date(), self._tz)
        tenant_ids = {r.tenant_id for r in late if r.tenant_id is not None}
        taken = set(
            conn.execute(
                select(messages.c.tenant_id).where(
                    messages.c.tenant_id.in_(tenant_ids),
                    messages.c.direction == "out",
                    messages.c.proactive.is_(True),
                    messages.c.status.in_(WENT_OUT),
                    messages.c.updated_at >= start,
                    messages.c.updated_at < end,
                )
            ).scalars()
        )
        late_ids = {r.id for r in late}
        taken |= {r.tenant_id for r in rows if r.id not in late_ids}
        # An appointment's reminder never gives way: the planner keeps its eve free, but for the court eve, which
        # has no next chance and goes beside it (bot/reminders/plan.py); neither does a reminder with no next
        # chance. They take the day from any other late row.
        kept = {
            r.id: r.tenant_id
            for r in late
            if r.id not in dropped and (r.id in last_words or is_reminder_key(r.idempotency_key))
        }
        taken |= set(kept.values())
        found: dict[int, str] = {}
        for r in sorted(late, key=lambda r: r.id):
            if r.id in dropped or r.id in kept:
                continue
            if r.tenant_id in taken:
                found[r.id] = ONE_A_DAY
            else:
                taken.add(r.tenant_id)
        return found

    def _forget(
        self,
        conn: Connection,
        late: Sequence[Claimed],
        dropped: Mapping[int, str],
        conversation_of: Mapping[int, int | None],
        now: datetime,
    ) -> None:
        """A dropped reminder's conversation ends: its question never went out, so nothing waits for an answer."""
        ended: dict[int, str] = {}
        for r in late:
            conversation = conversation_of.get(r.message_id)
            if r.id in dropped and _REMINDER.match(r.idempotency_key) and conversation is not None:
                ended[conversation] = dropped[r.id]
        for conversation, reason in ended.items():
            conn.execute(
                update(conversations)
                .where(conversations.c.id == conversation, conversations.c.active.is_(True))
                .values(active=False, waiting_until=None, ended_reason=reason[:40], updated_at=now)
            )
