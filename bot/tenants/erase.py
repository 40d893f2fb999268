"""Erasing a tenant: personal data and every text about them leave every table, the rows stay.

What stays is what the outcome page counts — that a reminder went out, was delivered or answered, that a consent
was given, a case opened and closed with an outcome, that a balance was settled — on a row no longer tied to a
person: the name, phone, Telegram chat and tenant_ref go, and so do message texts, the values queued messages
were to be rendered with, inbound receipts, the answers and name in conversation state, case reasons, notes,
tasks and outcome notes, reminder reasons, link codes, the rent position and balance amounts, the details of
audit entries about them and the API's stored answers that name them. The tenant_ref survives only as a keyed
hash (`ref_hash`, keyed with KEEPHOME_SECRET_KEY) in `erased_refs`, so a later import of the same tenant_ref
leaves it out unless its row says `reactivate=1` (bot/tenants/upsert.py). On SQLite the erase runs with
`secure_delete` on, and `erase` then checkpoints the WAL, so the old texts leave the database file as well.
The erasure is audited by the tenant's internal id and counts, never by their name or tenant_ref.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, case, delete, func, or_, select, update

from bot.store.audit import write_entry
from bot.store.db import Database
from bot.store.dialect import insert_for
from bot.store.message_status import hold_unsent
from bot.store.retention import KEPT_REASONS, blank_state, checkpoint, scrubbing
from bot.store.schema import (
    api_idempotency,
    audit_log,
    audit_names,
    balance_events,
    case_events,
    case_tasks,
    cases,
    consents,
    conversations,
    court_cases,
    erased_refs,
    inbound,
    link_codes,
    messages,
    outbox,
    planned_reminders,
    referrals,
    rent_positions,
    tenants,
)
from bot.tenants.audit_scope import entries_about
from bot.tenants.case_closing import close_cases
from bot.tenants.status import set_status

__all__ = ["ERASED_PREFIX", "Erased", "NotErasable", "erasable", "erase", "erase_tenant", "erased_on", "ref_hash"]

# An erased tenant's tenant_ref becomes this, their id and a random part: unique, and no import can name it.
ERASED_PREFIX = "erased:"


class NotErasable(LookupError):
    """There is no live tenant with that tenant_ref (or id), or no key to make the tombstone with."""


@dataclass(frozen=True, slots=True)
class Erased:
    """What one erasure did: the tenant's internal id and how many rows of each kind it blanked."""

    tenant_id: int
    counts: dict[str, int]
    # Whether the database file holds no older copy of what was blanked (SQLite's WAL checkpoint completed).
    file_scrubbed: bool = True


def ref_hash(secret_key: str, tenant_ref: str) -> str:
    """The keyed hash an erased tenant_ref is remembered by."""
    return hmac.new(secret_key.encode(), f"tenant_ref:{tenant_ref}".encode(), hashlib.sha256).hexdigest()


def _ids(conn: Connection, query: Any) -> list[int]:
    return [int(i) for i in conn.execute(query).scalars()]


def _blank_audit(conn: Connection, tenant_id: int, tenant_ref: str) -> int:
    """Details of audit entries about the tenant go (`entries_about`: aimed at them or a part of theirs, or naming
    one of those or the tenant_ref), and with them the names they carried (a blanked detail names no one: the audit
    filter then finds an entry by its target only); the entries (who, when, what) stay."""
    ids = [r.id for r in entries_about(conn, tenant_id, tenant_ref) if r.detail is not None]
    for start in range(0, len(ids), 1000):
        part = ids[start : start + 1000]
        conn.execute(update(audit_log).where(audit_log.c.id.in_(part)).values(detail=None))
        conn.execute(delete(audit_names).where(audit_names.c.audit_id.in_(part)))
    return len(ids)


def _blank_conversations(conn: Connection, tenant_id: int) -> int:
    c = conversations.c
    rows = conn.execute(select(c.id, c.state).where(c.tenant_id == tenant_id)).all()
    for row in rows:
        conn.execute(update(conversations).where(c.id == row.id).values(state=blank_state(row.state)))
    return len(rows)


def _blank_inbound(conn: Connection, tenant: Any, message_ids: list[int], now: datetime) -> int:
    """The webhook's receipts of the tenant's messages: by their own provider ids, and by their number or chat."""
    m, i = messages.c, inbound.c
    keys = conn.execute(
        select(m.channel, m.provider_id).where(m.id.in_(message_ids), m.direction == "in", m.provider_id.is_not(None))
    ).all()
    ids: set[int] = set()
    for start in range(0, len(keys), 500):
        part = keys[start : start + 500]
        provider_ids = [k.provider_id for k in part]
        found = conn.execute(select(i.id, i.channel, i.provider_id).where(i.provider_id.in_(provider_ids))).all()
        wanted = {(k.channel, k.provider_id) for k in part}
        ids.update(r.id for r in found if (r.channel, r.provider_id) in wanted)
    senders = []
    if tenant.phone:
        senders.append((i.channel == "sms") & (i.sender == tenant.phone))
    if tenant.telegram_chat_id is not None:
        senders.append((i.channel == "telegram") & (i.sender == str(tenant.telegram_chat_id)))
    if senders:
        ids.update(_ids(conn, select(i.id).where(or_(*senders))))
    for row_id in ids:
        # Unprocessed rows are marked processed: the processor must not answer a blanked receipt. A message keephome
        # could not answer is dealt with by the erasure: there is no one left to answer, nor words to read.
        conn.execute(
            update(inbound)
            .where(i.id == row_id)
            .values(
                sender="",
                text=None,
                payload=None,
                provider_id=f"{ERASED_PREFIX}{row_id}",
                processed_at=now,
                lease_until=None,
                dealt_with_at=func.coalesce(i.dealt_with_at, case((i.failed_at.is_not(None), now))),
            )
        )
    return len(ids)


def _blank_api_answers(conn: Connection, tenant_ref: str, phone: str | None) -> int:
    """The API's stored answers (kept a day for Idempotency-Key repeats) that name the tenant_ref (as a JSON value,
    or quoted inside a refusal's reason: `belongs to tenant_ref \"T-1\"`) or the tenant's number."""
    quoted = json.dumps(tenant_ref)
    forms = [quoted, json.dumps(quoted)[1:-1], *([phone] if phone else [])]
    body = api_idempotency.c.body
    named = or_(*(body.contains(form, autoescape=True) for form in forms))
    return int(conn.execute(delete(api_idempotency).where(named)).rowcount)


def erase_tenant(conn: Connection, tenant_id: int, now: datetime, actor: str, *, secret_key: str) -> dict[str, int]:
    """Erase one tenant inside the caller's transaction (call `checkpoint` after the commit on SQLite).

    Raises NotErasable when there is no such tenant, or they are erased already. `secret_key` is
    KEEPHOME_SECRET_KEY: the tombstone is a keyed hash of the tenant_ref. Returns counts by kind.
    """
    if not secret_key:
        raise NotErasable("KEEPHOME_SECRET_KEY is not set: it keys the tombstone that keeps an erased tenant out")
    t = tenants.c
    tenant = conn.execute(
        select(t.id, t.tenant_ref, t.phone, t.telegram_chat_id, t.status).where(t.id == tenant_id)
    ).first()
    if tenant is None or tenant.status == "erased":
        raise NotErasable("there is no such tenant (or they were erased already)")
    with scrubbing(conn):
        # First, as everywhere: nothing proactive leaves any more and the waiting conversation ends.
        set_status(conn, tenant_id, "erased", now)
        case_ids = _ids(conn, select(cases.c.id).where(cases.c.tenant_id == tenant_id))
        m = messages.c
        mine = m.tenant_id == tenant_id
        message_ids = _ids(conn, select(m.id).where(or_(mine, m.case_id.in_(case_ids)) if case_ids else mine))
        # Staff notices of the tenant's urgent cases carry their first name (bot/host/notices.py).
        for case_id in case_ids:
            key = outbox.c.idempotency_key  # a range, not LIKE: the unique index finds them
            notice = and_(key > f"notice:case:{case_id}:", key < f"notice:case:{case_id};")
            message_ids += _ids(conn, select(outbox.c.message_id).where(notice))
        counts = {"messages": len(message_ids), "cases": len(case_ids)}
        counts["inbound"] = _blank_inbound(conn, tenant, message_ids, now)
        for start in range(0, len(message_ids), 1000):
            part = message_ids[start : start + 1000]
            # A Telegram provider id holds the chat id; a Twilio one stays so a late delivery report still matches.
            telegram_or_in = or_(m.channel != "sms", m.direction == "in", m.channel.is_(None))
            conn.execute(update(messages).where(m.id.in_(part)).values(text=None))
            conn.execute(update(messages).where(m.id.in_(part), telegram_or_in).values(provider_id=None))
            o = outbox.c
            conn.execute(update(outbox).where(o.message_id.in_(part)).values({"values": {}, "address": None}))
            hold_unsent(conn, and_(o.message_id.in_(part), o.state == "pending"), "erased", now)
        counts["conversations"] = _blank_conversations(conn, tenant_id)
        # Consents stay as counted facts: standing ones end (before the cases close, so each says "erased"), their
        # wording and purpose go.
        ct = consents.c
        conn.execute(
            update(consents)
            .where(ct.tenant_id == tenant_id, ct.withdrawn_at.is_(None))
            .values(withdrawn_at=now, ended_reason="erased")
        )
        conn.execute(update(consents).where(ct.tenant_id == tenant_id).values(wording=None, purpose=None))
        if case_ids:
            cs = cases.c
            reason = cs.reason.in_(KEPT_REASONS)
            # Open cases close as any case closes (the one writer), without an outcome: the event says "erased".
            close_cases(conn, case_ids, now, event="erased")
            conn.execute(
                update(cases)
                .where(cs.id.in_(case_ids))
                .values(outcome_note=None, volunteer_task=None, volunteer_due=None, updated_at=now)
            )
            conn.execute(update(cases).where(cs.id.in_(case_ids), ~reason).values(reason=""))
            ce = case_events.c
            conn.execute(update(case_events).where(ce.case_id.in_(case_ids), ce.kind != "closed").values(text=None))
        # Tasks stay (the outcome and activity counts read them); an appointment's place and any note go, and a
        # step still open ends as cancelled (as closing a case ends it, bot/host/outreach.py), so no caretaker or
        # volunteer is sent to a tenant who asked to be forgotten.
        conn.execute(
            update(case_tasks).where(case_tasks.c.tenant_id == tenant_id).values(place=None, note=None, updated_at=now)
        )
        conn.execute(
            update(case_tasks)
            .where(case_tasks.c.tenant_id == tenant_id, case_tasks.c.status == "open")
            .values(status="cancelled", done_at=now, updated_at=now)
        )
        # A referral's contents go.
        conn.execute(update(referrals).where(referrals.c.tenant_id == tenant_id).values(contents=None, updated_at=now))
        conn.execute(
            update(planned_reminders)
            .where(planned_reminders.c.tenant_id == tenant_id)
            .values(reason="", computed_from=None)
        )
        conn.execute(update(balance_events).where(balance_events.c.tenant_id == tenant_id).values(balance_ore=None))
        # Court cases and the steps of the rent path stay as dated facts of an erased tenant (the organisation's
        # report counts filings and outcomes); where the court met and how it reached the tenant go.
        conn.execute(
            update(court_cases)
            .where(court_cases.c.tenant_id == tenant_id)
            .values(retskreds=None, meeting_kind=None, reached_by_phone=None, updated_at=now)
        )
        conn.execute(delete(rent_positions).where(rent_positions.c.tenant_id == tenant_id))
        conn.execute(delete(link_codes).where(link_codes.c.tenant_id == tenant_id))
        counts["audit_details"] = _blank_audit(conn, tenant_id, tenant.tenant_ref)
        counts["api_answers"] = _blank_api_answers(conn, tenant.tenant_ref, tenant.phone)
        conn.execute(
            update(tenants)
            .where(t.id == tenant_id)
            .values(
                tenant_ref=f"{ERASED_PREFIX}{tenant_id}:{secrets.token_hex(6)}",
                name="",
                phone=None,
                telegram_chat_id=None,
                telegram_blocked=False,
                channel_preference="auto",
                address=None,
                children=None,
                updated_at=now,
            )
        )
        stmt = insert_for(conn, erased_refs)
        conn.execute(
            stmt.on_conflict_do_update(index_elements=[erased_refs.c.ref_hash], set_={"erased_at": now}),
            {"ref_hash": ref_hash(secret_key, tenant.tenant_ref), "erased_at": now},
        )
    detail = " ".join(f"{kind}={n}" for kind, n in counts.items())
    write_entry(conn, at=now, actor=actor, action="tenant.erase", target=f"tenant:{tenant_id}", detail=detail)
    return counts


def erased_on(conn: Connection, secret_key: str, tenant_ref: str) -> datetime | None:
    """When a tenant_ref was erased, if it was (and has not been brought back by a reactivate=1 import)."""
    found = conn.execute(
        select(erased_refs.c.erased_at).where(erased_refs.c.ref_hash == ref_hash(secret_key, tenant_ref))
    ).scalar_one_or_none()
    return found if isinstance(found, datetime) else None


def erasable(conn: Connection, tenant_ref: str) -> tuple[int, str] | None:
    """The id and name of the tenant not yet erased whose tenant_ref is exactly this; None when there is none."""
    found = conn.execute(
        select(tenants.c.id, tenants.c.name).where(tenants.c.tenant_ref == tenant_ref, tenants.c.status != "erased")
    ).first()
    return (int(found.id), str(found.name)) if found is not None else None


def _erase_by_ref(conn: Connection, tenant_ref: str, now: datetime, actor: str, secret_key: str) -> Erased:
    found = erasable(conn, tenant_ref)
    if found is None:
        raise NotErasable(f'there is no tenant with tenant_ref "{tenant_ref}"')
    return Erased(found[0], erase_tenant(conn, found[0], now, actor, secret_key=secret_key))


async def erase(db: Database, tenant_ref: str, now: datetime, actor: str, secret_key: str | None) -> Erased:
    """Erase the tenant with this tenant_ref in one transaction, then scrub the SQLite file (WAL checkpoint)."""
    if not secret_key:
        raise NotErasable("KEEPHOME_SECRET_KEY is not set: it keys the tombstone that keeps an erased tenant out")
    done = await db.run(_erase_by_ref, tenant_ref, now, actor, secret_key)
    scrubbed = await checkpoint(db)
    return Erased(done.tenant_id, done.counts, scrubbed)
