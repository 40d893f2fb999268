"""Purging by retention: raw inbound payloads (a message keephome could not answer once someone dealt with it),
spent link codes, unknown senders, sign-in counts and status callbacks kept for a sid never recorded do not stay
forever; message texts, answers and case notes are blanked when their time is up.

Blanking keeps the rows (the outcome page still counts them) and removes what a person wrote or what names
them: `KEEPHOME_RETENTION_MESSAGE_DAYS` after a message, an outbox row, a reminder or a conversation, unless the
tenant has an open case (the adviser reads the history) or the message is the proof of a consent that still
stands; `KEEPHOME_RETENTION_CASE_DAYS` after a case closed, its notes, task, outcome note and messages. On
SQLite the work runs with `secure_delete` on and ends with a WAL checkpoint, so the old texts leave the file
too (`scrubbing`, `checkpoint`; erasure uses the same two).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    Text,
    and_,
    bindparam,
    case,
    cast,
    delete,
    make_url,
    not_,
    or_,
    select,
    update,
)

from bot.store.db import Database
from bot.store.schema import (
    INBOUND_FAILED,
    api_idempotency,
    case_events,
    case_tasks,
    cases,
    consents,
    conversations,
    early_statuses,
    inbound,
    link_codes,
    login_attempts,
    messages,
    outbox,
    planned_reminders,
    referrals,
    staff_sessions,
    unknown_senders,
)

__all__ = [
    "BLANK_BATCH",
    "EARLY_STATUS_KEPT",
    "IDEMPOTENCY_KEPT",
    "KEPT_REASONS",
    "LOGIN_ATTEMPTS_KEPT",
    "blank_state",
    "checkpoint",
    "purge",
    "scrubbing",
]

# A sign-in count (per e-mail typed, per client address) is forgotten after a day nobody used it; the
# limits themselves forget wrong attempts after a quiet day at most (`bot.console.throttle`).
LOGIN_ATTEMPTS_KEPT = timedelta(days=1)
# An API write's answer is replayed for a repeat of its Idempotency-Key within a day (bot/api/idempotency.py).
IDEMPOTENCY_KEPT = timedelta(days=1)
# A status callback that came before its sid was recorded waits for the sender to record it (seconds, or minutes
# while the database was away; bot/outbox/status.py): after a day no send of ours will record that sid.
EARLY_STATUS_KEPT = timedelta(days=1)


def _purge(conn: Connection, now: datetime, days: int) -> dict[str, int]:
    cutoff = now - timedelta(days=days)
    # The inbound table is the webhook's receipt (provider id, sender, text); the message itself lives on in
    # `messages` for the adviser. Keep receipts long enough to recognise a provider's late retries. A message
    # keephome could not answer lives only here: it stays until someone has dealt with it (the admin page lists it
    # and `keephome_inbound_failed` counts it), then goes as any receipt does.
    raw = conn.execute(
        delete(inbound).where(inbound.c.processed_at.is_not(None), inbound.c.received_at < cutoff, not_(INBOUND_FAILED))
    )
    codes = conn.execute(delete(link_codes).where(or_(link_codes.c.used_at < cutoff, link_codes.c.expires_at < cutoff)))
    # A number's STOP is kept until it says START or becomes a tenant's (bot/tenants/said_stop.py): it holds for
    # the number however long that takes.
    strangers = conn.execute(
        delete(unknown_senders).where(
            unknown_senders.c.last_answered_on < cutoff.date(),
            or_(unknown_senders.c.blocked_until.is_(None), unknown_senders.c.blocked_until < now),
            unknown_senders.c.stopped_at.is_(None),
        )
    )
    # Waits (15 minutes at most) and running checks (seconds) are long over when a row is a day old.
    logins = conn.execute(delete(login_attempts).where(login_attempts.c.last_at < now - LOGIN_ATTEMPTS_KEPT))
    # A staff session past its 12 hours opens nothing (a revoked one is past them by then at the latest): kept, the
    # rows would say when each person signed in for as long as keephome runs.
    sessions = conn.execute(delete(staff_sessions).where(staff_sessions.c.expires_at < now))
    answers = conn.execute(delete(api_idempotency).where(api_idempotency.c.created_at < now - IDEMPOTENCY_KEPT))
    early = conn.execute(delete(early_statuses).where(early_statuses.c.received_at < now - EARLY_STATUS_KEPT))
    return {
        "inbound": raw.rowcount,
        "link_codes": codes.rowcount,
        "unknown_senders": strangers.rowcount,
        "login_attempts": logins.rowcount,
        "staff_sessions": sessions.rowcount,
        "api_idempotency": answers.rowcount,
        "early_statuses": early.rowcount,
    }


# Rows blanked per kind and transaction: a first run over a year of history never holds the writer for long.
BLANK_BATCH = 2000
# Case reasons that are codes, not words someone wrote: kept when a case's texts are blanked. Each says the case was the
# tenant's own request: with their yes (`tenant_asked`), or by the words of a tenant who opted out (`stopped_asked`,
# bot/inbound/stopped.py), which the code does not tell (storage sits below the inbound layer, so named here).
KEPT_REASONS = ("tenant_asked", "stopped_asked")


@contextmanager
def scrubbing(conn: Connection) -> Iterator[None]:
    """On SQLite, what the block deletes or overwrites is zeroed in the database file (`secure_delete`)."""
    if conn.dialect.name != "sqlite":
        yield
        return
    before = conn.exec_driver_sql("PRAGMA secure_delete").scalar()
    conn.exec_driver_sql("PRAGMA secure_delete=ON")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA secure_delete={int(before or 0)}")


async def checkpoint(db: Database, attempts: int = 5) -> bool:
    """On SQLite, copy the WAL into the database file and empty it, so no older copy of an overwritten page
    stays behind; True when it completed (a reader holding an old snapshot delays it; tried a few times)."""
    path = make_url(db.url).database if db.is_sqlite else None
    if not path or path == ":memory:":
        return True

    def run() -> bool:
        with closing(sqlite3.connect(path, timeout=15)) as conn:
            busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        return bool(busy == 0)

    for attempt in range(attempts):
        if await asyncio.to_thread(run):
            return True
        await asyncio.sleep(0.2 * (attempt + 1))
    return False


def blank_state(state: Any) -> dict[str, Any]:
    """A stored conversation state without the tenant's name and answers; its step and ending stay."""
    kept = dict(state) if isinstance(state, dict) else {}
    return {**kept, "first_name": "", "data": {}}


def _open_case_tenants() -> Select[Any]:
    return select(cases.c.tenant_id).where(cases.c.status != "closed")


def _standing_proof() -> Select[Any]:
    c = consents.c
    return select(c.evidence_message_id).where(c.withdrawn_at.is_(None), c.evidence_message_id.is_not(None))


def _closed_cases(before: datetime) -> Select[Any]:
    return select(cases.c.id).where(cases.c.status == "closed", cases.c.closed_at < before)


def _blank_messages(conn: Connection, old: datetime, closed: datetime, batch: int) -> int:
    m = messages.c
    no_open_case = or_(m.tenant_id.is_(None), m.tenant_id.not_in(_open_case_tenants()))
    ids = (
        conn.execute(
            select(m.id)
            .where(
                m.text.is_not(None),
                m.id.not_in(_standing_proof()),
                or_(and_(m.created_at < old, no_open_case), m.case_id.in_(_closed_cases(closed))),
            )
            .limit(batch)
        )
        .scalars()
        .all()
    )
    if ids:
        conn.execute(update(messages).where(m.id.in_(ids)).values(text=None))
    return len(ids)


def _blank_outbox(conn: Connection, old: datetime, closed: datetime, batch: int) -> int:
    o = outbox.c
    no_open_case = or_(o.tenant_id.is_(None), o.tenant_id.not_in(_open_case_tenants()))
    of_closed_case = o.message_id.in_(select(messages.c.id).where(messages.c.case_id.in_(_closed_cases(closed))))
    ids = (
        conn.execute(
            select(o.id)
            .where(
                o.state != "pending",
                or_(cast(o["values"], Text) != "{}", o.address.is_not(None)),
                or_(and_(o.created_at < old, no_open_case), of_closed_case),
            )
            .limit(batch)
        )
        .scalars()
        .all()
    )
    if ids:
        conn.execute(update(outbox).where(o.id.in_(ids)).values({"values": {}, "address": None}))
    return len(ids)


def _blank_conversations(conn: Connection, old: datetime, batch: int) -> int:
    c = conversations.c
    rows = conn.execute(
        select(c.id, c.state)
        .where(
            c.active.is_(False),
            c.updated_at < old,
            c.tenant_id.not_in(_open_case_tenants()),
            or_(c.state["first_name"].as_string() != "", c.state["data"].as_string() != "{}"),
        )
        .limit(batch)
    ).all()
    if rows:
        stmt = update(conversations).where(c.id == bindparam("row_id")).values(state=bindparam("blank"))
        conn.execute(stmt, [{"row_id": r.id, "blank": blank_state(r.state)} for r in rows])
    return len(rows)


def _blank_reminder_reasons(conn: Connection, old: datetime, batch: int) -> int:
    pr = planned_reminders.c
    waiting = pr.tenant_id.not_in(_open_case_tenants())
    ids = conn.execute(select(pr.id).where(pr.created_at < old, pr.reason != "", waiting).limit(batch)).scalars().all()
    if ids:
        conn.execute(update(planned_reminders).where(pr.id.in_(ids)).values(reason="", computed_from=None))
    return len(ids)


def _blank_cases(conn: Connection, closed: datetime, batch: int) -> int:
    cs = cases.c
    written = or_(cs.outcome_note.is_not(None), cs.volunteer_task.is_not(None), cs.reason.not_in(("", *KEPT_REASONS)))
    ids = conn.execute(_closed_cases(closed).where(written).limit(batch)).scalars().all()
    if ids:
        reason = case((cs.reason.in_(KEPT_REASONS), cs.reason), else_="")
        conn.execute(update(cases).where(cs.id.in_(ids)).values(outcome_note=None, volunteer_task=None, reason=reason))
    ce = case_events.c
    # The closing event's text is the outcome's code: the outcome page counts it.
    events = (
        conn.execute(
            select(ce.id)
            .where(ce.case_id.in_(_closed_cases(closed)), ce.kind != "closed", ce.text.is_not(None))
            .limit(batch)
        )
        .scalars()
        .all()
    )
    if events:
        conn.execute(update(case_events).where(ce.id.in_(events)).values(text=None))
    # A task's place (an appointment's address) and note go with the case's other texts.
    t = case_tasks.c
    tasks = (
        conn.execute(
            select(t.id)
            .where(t.case_id.in_(_closed_cases(closed)), or_(t.place.is_not(None), t.note.is_not(None)))
            .limit(batch)
        )
        .scalars()
        .all()
    )
    if tasks:
        conn.execute(update(case_tasks).where(t.id.in_(tasks)).values(place=None, note=None))
    return len(ids) + len(events) + len(tasks)


def _blank_sharing(conn: Connection, closed: datetime, batch: int) -> int:
    """A referral's contents, and the wording and purpose of consents that ended, go with their closed case's
    texts (the referral's decision and the consent's recipient and dates stay: the report counts them)."""
    r = referrals.c
    ids = (
        conn.execute(select(r.id).where(r.case_id.in_(_closed_cases(closed)), r.contents.is_not(None)).limit(batch))
        .scalars()
        .all()
    )
    if ids:
        conn.execute(update(referrals).where(r.id.in_(ids)).values(contents=None))
    c = consents.c
    ended = (
        conn.execute(
            select(c.id)
            .where(
                c.case_id.in_(_closed_cases(closed)),
                c.withdrawn_at.is_not(None),
                or_(c.wording.is_not(None), c.purpose.is_not(None)),
            )
            .limit(batch)
        )
        .scalars()
        .all()
    )
    if ended:
        conn.execute(update(consents).where(c.id.in_(ended)).values(wording=None, purpose=None))
    return len(ids) + len(ended)


def _blank(conn: Connection, now: datetime, message_days: int, case_days: int, batch: int) -> dict[str, int]:
    old, closed = now - timedelta(days=message_days), now - timedelta(days=case_days)
    with scrubbing(conn):
        return {
            "message_texts": _blank_messages(conn, old, closed, batch),
            "outbox_values": _blank_outbox(conn, old, closed, batch),
            "conversations": _blank_conversations(conn, old, batch),
            "reminder_reasons": _blank_reminder_reasons(conn, old, batch),
            "case_texts": _blank_cases(conn, closed, batch),
            "sharing_texts": _blank_sharing(conn, closed, batch),
        }


async def purge(
    db: Database,
    now: datetime,
    days: int,
    *,
    message_days: int = 365,
    case_days: int = 365,
    batch: int = BLANK_BATCH,
) -> dict[str, int]:
    """Delete what has outlived its purpose and blank the texts whose time is up; returns how many rows went
    from each table or were blanked, by kind."""
    counts = await db.run(_purge, now, days)
    while True:
        done = await db.run(_blank, now, message_days, case_days, batch)
        for kind, n in done.items():
            counts[kind] = counts.get(kind, 0) + n
        if max(done.values()) < batch:
            break
    if any(counts.values()):
        await checkpoint(db)
    return counts
