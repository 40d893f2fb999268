"""A reminder's question the tenant has not seen yet: how it is told, and how it gives way.

A reminder's conversation waits for an answer only once its question went out (sent, delivered or read). Until
then it gives way: to a new reminder (the planner, `supersede`), to the tenant's own message (the inbound
handler, `give_way`), which is then heard as their first word, never as the answer to a question they have not seen,
and to a person who takes the tenant's case (`taken_over`): while a person holds the case the bot starts no
conversation (the planner starts none for a held case) and sends no nudge of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, exists, or_, select, update

from bot.store.message_status import set_message_status
from bot.store.schema import conversations, messages, outbox
from conversations import engine
from conversations.state import State

__all__ = [
    "CASE_TAKEN",
    "SUPERSEDED",
    "TENANT_FIRST",
    "WENT_OUT",
    "give_way",
    "question_on_its_way",
    "question_unseen",
    "question_went_out",
    "supersede",
    "taken_over",
]

# A message's statuses once it has left for the tenant.
WENT_OUT = ("sent", "delivered", "read")
# Why an unsent proactive message was dropped, and its conversation ended: a new reminder replaced it
# (SUPERSEDED), or the tenant wrote first (TENANT_FIRST: their message is their own first word).
SUPERSEDED = "superseded"
TENANT_FIRST = "tenant wrote first"
# A person took the tenant's case before the bot's own message went: a reminder's question or a nudge.
CASE_TAKEN = "case taken"


def question_went_out(conversation_id: Any) -> ColumnElement[bool]:
    """True for a conversation that sent the tenant a message (found through the tenant's messages, indexed)."""
    return exists().where(
        messages.c.tenant_id == conversations.c.tenant_id,
        messages.c.conversation_id == conversation_id,
        messages.c.direction == "out",
        messages.c.status.in_(WENT_OUT),
    )


def question_unseen(conversation_id: Any) -> ColumnElement[bool]:
    """True for a reminder's conversation (one with a trigger) whose question has not gone out yet."""
    return and_(conversations.c.trigger.is_not(None), ~question_went_out(conversation_id))


def question_on_its_way(conversation_id: Any, now: datetime) -> ColumnElement[bool]:
    """True for a conversation one of whose messages the sender holds now (claimed, its lease running: it may be
    with the provider already, so it can no longer be dropped)."""
    return exists().where(
        messages.c.tenant_id == conversations.c.tenant_id,
        messages.c.conversation_id == conversation_id,
        outbox.c.message_id == messages.c.id,
        outbox.c.state == "pending",
        outbox.c.lease_until >= now,
    )


def give_way(conn: Connection, tenant_id: int, now: datetime) -> bool:
    """The tenant wrote before a reminder's question reached them (it waits behind quiet hours or a campaign's
    rate): that conversation ends as a new reminder would end it, and its question is dropped, so their message is
    heard as their own first word, never as the answer to a question they have not seen. Returns False when the
    question is on its way (the sender is handing it to the provider): it cannot be taken back, so the conversation
    stays and the message answers it, rather than being answered with the same question a second time."""
    return bool(_give_way_unless_on_its_way(conn, [tenant_id], now, TENANT_FIRST))


def taken_over(conn: Connection, tenant_id: int, now: datetime) -> None:
    """A person took the tenant's case: what the bot was about to start or ask again does not go. A reminder's
    conversation whose question has not gone out ends, its question dropped (the planner starts none for a held
    case either); a nudge not sent yet is dropped, and its conversation ends as handed off when its wait runs out
    (bot/reminders/timers.py). A question the tenant answers while a person holds the case (`answers_while_held`: a
    consent question already asked) keeps its nudge."""
    supersede(conn, [tenant_id], set(), now, reason=CASE_TAKEN)
    quiet = [
        int(row.id)
        for row in conn.execute(
            select(conversations.c.id, conversations.c.state).where(
                conversations.c.tenant_id == tenant_id, conversations.c.active.is_(True)
            )
        )
        if not engine.answers_while_held(State.load(row.state))
    ]
    _drop_unsent(conn, [tenant_id], quiet, now, CASE_TAKEN)


def supersede(
    conn: Connection, tenant_ids: Sequence[int], last_word: set[int], now: datetime, reason: str = SUPERSEDED
) -> None:
    """A new reminder replaces the conversation whose question never went out (it waited for a channel or the
    pause); one that has the last word (`PlannedReminder.ends_conversation`: court, the last påkrav reminder)
    replaces any open conversation, answered or not. Their messages not sent yet are dropped."""
    if not tenant_ids:
        return
    replaced = or_(~question_went_out(conversations.c.id), conversations.c.tenant_id.in_(list(last_word)))
    ended = list(
        conn.execute(
            update(conversations)
            .where(conversations.c.tenant_id.in_(list(tenant_ids)), conversations.c.active.is_(True), replaced)
            .values(active=False, waiting_until=None, ended_reason=reason, updated_at=now)
            .returning(conversations.c.id)
        ).scalars()
    )
    _drop_unsent(conn, tenant_ids, ended, now, reason)


def _give_way_unless_on_its_way(conn: Connection, tenant_ids: Sequence[int], now: datetime, reason: str) -> list[int]:
    """End the conversations whose question never went out, except one the sender is handing over now. Their unsent
    messages are dropped first, then the conversations end: the sender leases only rows still pending, so a question
    it takes between the two statements was dropped already, and one it took before is seen leased by the second
    (on PostgreSQL the other order could end a conversation whose question then went all the same)."""
    c = conversations.c
    unseen = list(
        conn.execute(
            select(c.id).where(c.tenant_id.in_(list(tenant_ids)), c.active.is_(True), ~question_went_out(c.id))
        ).scalars()
    )
    if not unseen:
        return []
    _drop_unsent(conn, tenant_ids, unseen, now, reason)
    return list(
        conn.execute(
            update(conversations)
            .where(c.id.in_(unseen), c.active.is_(True), ~question_on_its_way(c.id, now))
            .values(active=False, waiting_until=None, ended_reason=reason, updated_at=now)
            .returning(c.id)
        ).scalars()
    )


def _drop_unsent(
    conn: Connection, tenant_ids: Sequence[int], conversation_ids: Sequence[int], now: datetime, reason: str
) -> None:
    """Drop the proactive messages of these conversations that have not left (waiting, or pending without a lease
    that may be with the provider now)."""
    if not conversation_ids:
        return
    unsent = select(messages.c.id).where(
        messages.c.tenant_id.in_(list(tenant_ids)), messages.c.conversation_id.in_(list(conversation_ids))
    )
    dropped = list(
        conn.execute(
            update(outbox)
            .where(
                outbox.c.message_id.in_(unsent),
                outbox.c.proactive.is_(True),
                or_(
                    outbox.c.state == "waiting",
                    and_(outbox.c.state == "pending", or_(outbox.c.lease_until.is_(None), outbox.c.lease_until < now)),
                ),
            )
            .values(state="dropped", last_error=reason, lease_until=None)
            .returning(outbox.c.message_id)
        ).scalars()
    )
    set_message_status(conn, dropped, "dropped", now)
