"""The one writer of a case's closing: an adviser's outcome (bot/host/cases.py, `close_case`) and erasure
(bot/tenants/erase.py) close through `close_cases`.

Closing does the same things whoever closes: the case leaves the queue and every list (status `closed`,
`closed_at`), its volunteer lets go of it, it gets its event (`closed` with the outcome; `erased` when erasure
closes it, with no outcome), and a kommune consent given for it lapses (retssikkerhedsloven § 11 a: it covers one
case). A volunteer's task still open on it ends with it, on the record: a `task_ended` event names the volunteer
(its `staff_id`: whose task ended, as on `task_done`), so their task list says the task ended because the case
closed instead of the task just being gone (bot/console/volunteer.py). A text the volunteer prepared that still
waits for the night's quiet hours to end does not go once the task was taken from them (`hold_task_texts`: handed to
an adviser, taken back, the case closed; the tenant would read "we call you tomorrow" from nobody); a task the
volunteer marks done keeps its text (a reminder sent at night, then the task done). It lives below bot/host, which
opens, takes and hands cases over, so that erasure can use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from bot.store.message_status import hold_waiting
from bot.store.schema import case_events, cases, consents, messages

__all__ = ["OPEN_STATUSES", "TASK_ENDED", "TASK_TEXT_HELD", "close_cases", "hold_task_texts"]

OPEN_STATUSES = ("waiting", "taken", "waiting_tenant", "volunteer")
# The case event that a volunteer's open task ended because its case closed; its staff_id is the volunteer.
TASK_ENDED = "task_ended"
# The outbox reason of a volunteer's prepared text (templates volunteer.*) held because the task ended before the text
# went (bot/console/delivery.py words it).
TASK_TEXT_HELD = "task ended before it went"
_VOLUNTEER_TEXTS = "volunteer.%"


def hold_task_texts(conn: Connection, case_ids: Sequence[int], now: datetime) -> list[int]:
    """Hold the volunteer's prepared texts to these cases that still wait for quiet hours to end: their task was
    handed to an adviser, taken back, or the case closed. Returns the messages held."""
    return hold_waiting(conn, case_ids, messages.c.template.like(_VOLUNTEER_TEXTS), TASK_TEXT_HELD, now)


def close_cases(
    conn: Connection,
    case_ids: Sequence[int],
    now: datetime,
    *,
    staff_id: int | None = None,
    outcome: str | None = None,
    note: str | None = None,
    event: str = "closed",
) -> list[int]:
    """Close the open cases among `case_ids` (inside the caller's transaction); returns the ids it closed, so a case
    closed meanwhile is left as it is. `event` is the kind of the case event each gets; its text is the outcome."""
    if not case_ids:
        return []
    c = cases.c
    # Whose task is open on these cases, read before the closing lets the volunteer go (locked on PostgreSQL, so a
    # volunteer marking it done meanwhile either comes first, and no task ends here, or waits for the closing).
    with_task = {
        int(row.id): int(row.volunteer_id)
        for row in conn.execute(
            select(c.id, c.volunteer_id)
            .where(c.id.in_(list(case_ids)), c.status == "volunteer", c.volunteer_id.is_not(None))
            .with_for_update()
        )
    }
    closed = [
        int(case_id)
        for case_id in conn.execute(
            update(cases)
            .where(c.id.in_(list(case_ids)), c.status.in_(OPEN_STATUSES))
            .values(
                status="closed",
                outcome=outcome,
                outcome_note=note or None,
                closed_at=now,
                updated_at=now,
                volunteer_id=None,
            )
            .returning(c.id)
        ).scalars()
    ]
    if not closed:
        return []
    hold_task_texts(conn, closed, now)
    # The task ends first, so the closing is the case's last event.
    events = [
        {"case_id": i, "staff_id": with_task[i], "kind": TASK_ENDED, "text": None, "at": now}
        for i in closed
        if i in with_task
    ]
    events += [{"case_id": i, "staff_id": staff_id, "kind": event, "text": outcome, "at": now} for i in closed]
    conn.execute(insert(case_events), events)
    ct = consents.c
    conn.execute(
        update(consents)
        .where(ct.case_id.in_(closed), ct.recipient_kind == "kommune", ct.withdrawn_at.is_(None))
        .values(withdrawn_at=now, ended_reason="case_closed")
    )
    return closed
