"""What the case page shows of consents, referrals to the kommune and the steps beside them (one read).

The consents with their evidence (the tenant's message on Telegram, or the form's date and who recorded it),
the referrals with the kommune's decision, and the tracked steps (boligstøtte, free debt counselling). Its
labels are msgids the templates translate (`{{ _(label) }}`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.console.messaging import telegram_open
from bot.host.consents import SHARE_SCOPE
from bot.i18n import N_
from bot.store.schema import audit_log, case_tasks, consents, messages, referrals, staff
from bot.store.staff_names import staff_name

__all__ = [
    "DATA_KIND_LABELS",
    "DECISIONS",
    "HELP_KINDS",
    "METHOD_LABELS",
    "RECIPIENT_LABELS",
    "STEP_KINDS",
    "STEP_STATUSES",
    "ConsentShown",
    "sharing_panel",
    "withdrawal_detail",
]

DATA_KIND_LABELS = {
    "rent_position": N_("Rent position"),
    "letters": N_("Letters received (påkrav, ophævelse, court)"),
    "household": N_("Household (children under 18, address)"),
    "contact": N_("Contact (name, phone)"),
    "conversation": N_("The conversation with keephome"),
}
RECIPIENT_LABELS = {
    "organisation": N_("Our own advisers"),
    "kommune": N_("A kommune unit"),
    "volunteer_org": N_("A volunteer organisation"),
}
METHOD_LABELS = {
    "conversation": N_("Yes in a conversation"),
    "telegram": N_("Yes on Telegram to the full wording"),
    "signed_form": N_("Signed form"),
    "oral": N_("Oral (own advice only)"),
}
# The help a referral asks the kommune for (named, not by paragraph).
HELP_KINDS = {
    "one_off_grant": N_("One-off grant (enkeltydelse)"),
    "rent_help": N_("Temporary help with rent"),
    "money_management": N_("Money-management agreement"),
}
DECISIONS = {
    "granted": N_("Granted"),
    "refused": N_("Refused"),
    "granted_with_conditions": N_("Granted with conditions"),
}
# Steps tracked beside a referral: case_tasks rows of these kinds, with these statuses in order.
STEP_KINDS = {
    "boligstoette": N_("Boligstøtte (Udbetaling Danmark)"),
    "debt_counselling": N_("Free debt counselling"),
}
# A step of one of these statuses is under way: a second of its kind is not tracked beside it (a boligstøtte to apply
# for, applied for or granted; counselling to book or booked). A refused one, or counselling done, may start anew.
STEPS_UNDER_WAY = ("open", "applied", "granted")
STEP_STATUSES = {
    "boligstoette": {
        "open": N_("To apply"),
        "applied": N_("Applied"),
        "granted": N_("Granted"),
        "refused": N_("Refused"),
    },
    "debt_counselling": {
        "open": N_("To book"),
        "applied": N_("Booked"),
        "done": N_("Done"),
    },
}


@dataclass(frozen=True)
class ConsentShown:
    """One consent as the case page lists it."""

    row: Any
    kinds: list[str]
    state: str  # active, withdrawn, case_closed, erased
    recorded_by: str | None
    evidence: Any | None  # the tenant's message (id, channel, time)
    # Who recorded in the console that the tenant withdrew it (its audit entry); None for a withdrawal by the
    # tenant's own word, or one not withdrawn.
    withdrawn_by: str | None = None


def _state(row: Any) -> str:
    if row.withdrawn_at is None:
        return "active"
    return str(row.ended_reason or "withdrawn")


def withdrawal_detail(tenant_id: int, consent_id: int) -> str:
    """The audit detail of a consent's withdrawal recorded from the case page (bot/console/consents.py): it names the
    consent, so the page finds who recorded the withdrawal by it (`_withdrawn_by`)."""
    return f"tenant:{tenant_id} consent:{consent_id}"


async def _withdrawn_by(conn: AsyncConnection, tenant_id: int, ids: list[int]) -> dict[int, str]:
    """The e-mail of the staff member who recorded each of these withdrawals, by consent id, as the audit log
    names them (`consent.withdraw`, with its `withdrawal_detail`)."""
    if not ids:
        return {}
    details = {withdrawal_detail(tenant_id, i): i for i in ids}
    entries = await conn.execute(
        select(audit_log.c.actor, audit_log.c.detail).where(
            audit_log.c.action == "consent.withdraw", audit_log.c.detail.in_(tuple(details))
        )
    )
    actors = {details[e.detail]: e.actor for e in entries}
    staff_ids = {int(a.removeprefix("staff:")) for a in actors.values() if a.startswith("staff:")}
    if not staff_ids:
        return {}
    found = await conn.execute(select(staff.c.id, staff_name()).where(staff.c.id.in_(staff_ids)))
    emails = {f"staff:{row.id}": str(row.name) for row in found}
    return {i: emails[a] for i, a in actors.items() if a in emails}


async def sharing_panel(conn: AsyncConnection, case: Any, tenant: Any, now: datetime) -> dict[str, Any]:
    """The consents of the tenant (this case's and those not tied to a case), this case's referrals and steps."""
    c = consents.c
    rows = (
        await conn.execute(
            select(consents, staff_name("recorder"))
            .outerjoin(staff, staff.c.id == c.recorded_by)
            .where(c.tenant_id == tenant.id, (c.case_id == case.id) | c.case_id.is_(None))
            .order_by(c.id)
        )
    ).all()
    evidence_ids = [r.evidence_message_id for r in rows if r.evidence_message_id is not None]
    evidence: dict[int, Any] = {}
    if evidence_ids:
        found = await conn.execute(
            select(messages.c.id, messages.c.channel, messages.c.created_at).where(messages.c.id.in_(evidence_ids))
        )
        evidence = {m.id: m for m in found}
    withdrawn_by = await _withdrawn_by(conn, tenant.id, [r.id for r in rows if _state(r) == "withdrawn"])
    shown = [
        ConsentShown(
            row=r,
            kinds=[DATA_KIND_LABELS.get(k, k) for k in (r.data_kinds or [])],
            state=_state(r),
            recorded_by=r.recorder,
            evidence=evidence.get(r.evidence_message_id),
            withdrawn_by=withdrawn_by.get(r.id),
        )
        for r in rows
    ]
    kommune = [
        s.row
        for s in shown
        if s.state == "active"
        and s.row.scope == SHARE_SCOPE
        and s.row.recipient_kind == "kommune"
        and s.row.case_id == case.id
    ]
    made = (
        await conn.execute(
            select(referrals, staff_name("author"))
            .outerjoin(staff, staff.c.id == referrals.c.created_by)
            .where(referrals.c.case_id == case.id)
            .order_by(referrals.c.id)
        )
    ).all()
    steps = (
        await conn.execute(
            select(case_tasks)
            .where(case_tasks.c.case_id == case.id, case_tasks.c.kind.in_(tuple(STEP_KINDS)))
            .order_by(case_tasks.c.id)
        )
    ).all()
    under_way = {step.kind for step in steps if step.status in STEPS_UNDER_WAY}
    return {
        "consents": shown,
        "kommune_consents": kommune,
        "referrals": made,
        "steps": steps,
        # The kinds a step may be added of: none of its kind under way (the add refuses one, `_add_step`).
        "addable_steps": {kind: label for kind, label in STEP_KINDS.items() if kind not in under_way},
        "can_ask_on_telegram": telegram_open(tenant),
        "data_kinds": DATA_KIND_LABELS,
        "recipient_labels": RECIPIENT_LABELS,
        "method_labels": METHOD_LABELS,
        "help_kinds": HELP_KINDS,
        "decisions": DECISIONS,
        "step_kinds": STEP_KINDS,
        "step_statuses": STEP_STATUSES,
    }
