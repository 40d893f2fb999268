"""A reminder's question the tenant has not seen yet: how it is told, and how it gives way.

A reminder's conversation waits for an answer only once its question went out (sent, delivered or read). Until
then it gives way: to a new reminder (the planner, `supersede`) and to the tenant's own message (the inbound
handler, `give_way`), which is then heard as their first word, never as the answer to a question they have not seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, exists, or_, select, update

from bot.store.message_status import set_message_status
from bot.store.schema import conversations, messages, outbox

__all__ = ["SUPERSEDED", "TENANT_FIRST", "WENT_OUT", "give_way", "question_unseen", "question_went_out", "supersede"]

# A message's statuses once it has left for the tenant.
WENT_OUT = ("sent", "delivered", "read")
# Why an unsent proactive message was dropped, and its conversation ended: a new reminder replaced it
# (SUPERSEDED), or the tenant wrote first (TENANT_FIRST: their message is their own first word).
SUPERSEDED = "superseded"
TENANT_FIRST = "tenant wrote first"


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


def give_way(conn: Connection, tenant_id: int, now: datetime) -> None:
    """The tenant wrote before a reminder's question reached them (it waits behind quiet hours or a campaign's
    rate): that conversation ends as a new reminder would end it, and its question is dropped, so their message is
    heard as their own first word, never as the answer to a question they have not seen."""
    supersede(conn, [tenant_id], set(), now, reason=TENANT_FIRST)


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
    if not ended:
        return
    unsent = select(messages.c.id).where(
        messages.c.tenant_id.in_(list(tenant_ids)), messages.c.conversation_id.in_(ended)
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
