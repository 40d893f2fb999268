"""The one writer of `case_tasks`: work on a case beyond the conversation.

Three kinds of work share the table — reaching an unreachable tenant (bot/host/outreach.py: call, knock,
postcard), a volunteer's appointment (bot/host/appointments.py) and the steps tracked beside a referral
(boligstøtte, debt counselling; bot/console/referrals.py) — and each decides which statuses its kinds may take.
This module only writes them: a task starts `open`; a status that ends it stamps `done_at`. (Erasure, below
this layer, blanks a tenant's tasks and ends the open ones itself: bot/tenants/erase.py.)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, insert, update

from bot.store.schema import case_tasks

__all__ = ["OPEN", "add_task", "set_task_status"]

OPEN = "open"
_t = case_tasks.c


def add_task(
    conn: Connection,
    *,
    case_id: int,
    tenant_id: int,
    kind: str,
    now: datetime,
    assignee_id: int | None = None,
    created_by: int | None = None,
    **details: Any,
) -> int:
    """A new open task; `details` are the kind's own columns (an appointment's `at`, `place`, `advice_kind`).
    Returns its id."""
    row = {
        "case_id": case_id,
        "tenant_id": tenant_id,
        "kind": kind,
        "status": OPEN,
        "assignee_id": assignee_id,
        "created_by": created_by,
        "created_at": now,
        "updated_at": now,
        **details,
    }
    return int(conn.execute(insert(case_tasks).values(**row).returning(_t.id)).scalar_one())


def set_task_status(
    conn: Connection,
    status: str,
    now: datetime,
    *where: ColumnElement[bool],
    finished: bool = True,
) -> int:
    """Give the tasks `where` selects this status (a finished one gets `done_at`, one still going has none);
    returns how many changed, so a caller that expected one open task can tell that someone was first."""
    changed = conn.execute(
        update(case_tasks).where(*where).values(status=status, updated_at=now, done_at=now if finished else None)
    )
    return int(changed.rowcount)
