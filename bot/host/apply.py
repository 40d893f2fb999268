"""Turns a conversation's events into database writes inside the caller's (synchronous) transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, bindparam, select, update

from bot.host.cases import open_case
from bot.host.notices import notify_urgent_case
from bot.outbox.enqueue import enqueue
from bot.store.schema import cases, consents, conversations, rent_positions
from bot.tenants import linking
from conversations.model import (
    AnswerRecorded,
    ConsentGiven,
    ConsentWithdrawn,
    ConversationEnded,
    Event,
    HandoffRequested,
    MessageRequested,
    PaidClaimed,
    PromiseRecorded,
    TelegramLinkRequested,
)
from conversations.state import State

__all__ = ["Turn", "apply_events", "save_state", "withdraw_consent"]


@dataclass(frozen=True)
class Turn:
    """Who and what one set of events belongs to."""

    tenant_id: int
    conversation_id: int | None
    channel: str  # where replies go
    language: str
    now: datetime
    today: date
    key: str  # idempotency prefix: the inbound id, the planned reminder, the timer
    proactive: bool = False
    not_before: datetime | None = None
    link_code_minutes: int = 60 * 24
    public_url: str = ""  # for links in staff notices


# Built once: statements with bound parameters skip SQLAlchemy's per-call construction and cache keys.
_INSERT_CONVERSATION = conversations.insert().returning(conversations.c.id)
_UPDATE_CONVERSATION = (
    update(conversations)
    .where(conversations.c.id == bindparam("conversation_id"))
    .values(version=conversations.c.version + 1)
)


def _legal_clock_running(conn: Connection, tenant_id: int) -> bool:
    known = conn.execute(
        select(rent_positions.c.termination_on, rent_positions.c.court_date).where(
            rent_positions.c.tenant_id == tenant_id
        )
    ).first()
    return known is not None and (known.termination_on is not None or known.court_date is not None)


def save_state(conn: Connection, turn: Turn, state: State, trigger: str | None = None) -> int:
    """Insert or update the conversation row for this state; returns its id."""
    data = state.to_dict()
    facts = {
        "state": data,
        "active": not state.ended,
        "waiting_until": None if state.ended else state.waiting_until,
        "ended_reason": state.end_reason,
        "updated_at": turn.now,
    }
    if turn.conversation_id is None:
        row = {**facts, "tenant_id": turn.tenant_id, "flow": state.flow, "trigger": trigger, "version": 1}
        return int(conn.execute(_INSERT_CONVERSATION, {**row, "started_at": turn.now}).scalar_one())
    conn.execute(_UPDATE_CONVERSATION, {**facts, "conversation_id": turn.conversation_id})
    return turn.conversation_id


def withdraw_consent(conn: Connection, tenant_id: int, now: datetime) -> None:
    """Withdraw every standing consent at once; open cases lose the tenant's replies."""
    conn.execute(
        update(consents)
        .where(consents.c.tenant_id == tenant_id, consents.c.withdrawn_at.is_(None))
        .values(withdrawn_at=now)
    )
    conn.execute(update(cases).where(cases.c.tenant_id == tenant_id).values(consented=False, updated_at=now))


def apply_events(conn: Connection, turn: Turn, events: Sequence[Event]) -> None:
    """Write what the events say happened; messages go to the outbox, sent after commit."""
    for index, event in enumerate(events):
        match event:
            case MessageRequested():
                enqueue(
                    conn,
                    now=turn.now,
                    channel=turn.channel,
                    template=event.template,
                    values=event.values,
                    choices=[(c.key, c.label) for c in event.choices],
                    language=turn.language,
                    idempotency_key=f"{turn.key}:{index}",
                    tenant_id=turn.tenant_id,
                    conversation_id=turn.conversation_id,
                    proactive=turn.proactive,
                    not_before=turn.not_before,
                )
            case ConsentGiven(scope=scope, wording_version=version):
                conn.execute(
                    consents.insert().values(
                        tenant_id=turn.tenant_id, scope=scope, wording_version=version, given_at=turn.now
                    )
                )
                conn.execute(update(cases).where(cases.c.tenant_id == turn.tenant_id).values(consented=True))
            case ConsentWithdrawn():
                withdraw_consent(conn, turn.tenant_id, turn.now)
            case HandoffRequested(reason=reason):
                case_id = open_case(
                    conn, turn.tenant_id, origin="handoff", reason=reason, now=turn.now, today=turn.today
                )
                if _legal_clock_running(conn, turn.tenant_id):
                    # A termination or court date is known: staff who asked for it hear at once.
                    notify_urgent_case(conn, case_id, turn.now, turn.public_url)
            case PromiseRecorded(pay_on=pay_on):
                conn.execute(
                    update(rent_positions).where(rent_positions.c.tenant_id == turn.tenant_id).values(promise_on=pay_on)
                )
            case PaidClaimed(pause_until=until):
                conn.execute(
                    update(rent_positions)
                    .where(rent_positions.c.tenant_id == turn.tenant_id)
                    .values(paid_claim_until=until)
                )
            case TelegramLinkRequested():
                code = linking.create_code(conn, turn.tenant_id, turn.now, turn.link_code_minutes)
                enqueue(
                    conn,
                    now=turn.now,
                    channel="sms",
                    template="link.code",
                    values={"code": code},
                    language=turn.language,
                    idempotency_key=f"{turn.key}:{index}",
                    tenant_id=turn.tenant_id,
                )
            case AnswerRecorded() | ConversationEnded():
                # Answers live in the conversation state, which the adviser reads with consent.
                pass
