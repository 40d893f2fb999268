"""What an adviser may read of a tenant's messages: DESIGN.md's consent rule in one place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.cases import has_consent
from bot.schema import conversations, messages

__all__ = ["MAX_MESSAGES", "Transcript", "answers", "transcript"]

MAX_MESSAGES = 200


@dataclass(frozen=True)
class Transcript:
    """The visible messages, oldest first, and how many of the tenant's replies are hidden."""

    consent: bool
    messages: list[Any]
    hidden: int


async def _told_at(conn: AsyncConnection, case_id: int) -> Any | None:
    """When the tenant was told that a person reads along (the case.taken message)."""
    return (
        await conn.execute(
            select(func.min(messages.c.created_at)).where(
                messages.c.case_id == case_id, messages.c.template == "case.taken"
            )
        )
    ).scalar_one_or_none()


async def transcript(conn: AsyncConnection, case: Any, after_id: int = 0) -> Transcript:
    """Without consent only the bot's and staff's messages, plus replies written after the tenant was told."""
    consent = await conn.run_sync(has_consent, case.tenant_id)
    query = select(messages).where(messages.c.tenant_id == case.tenant_id, messages.c.id > after_id)
    hidden = 0
    if not consent:
        told = await _told_at(conn, case.id)
        visible_in = messages.c.created_at > told if told is not None else messages.c.id < 0
        hidden_query = select(func.count()).where(
            messages.c.tenant_id == case.tenant_id, messages.c.direction == "in", messages.c.id > after_id
        )
        if told is not None:
            hidden_query = hidden_query.where(messages.c.created_at <= told)
        hidden = int((await conn.execute(hidden_query)).scalar_one())
        query = query.where(or_(messages.c.direction == "out", visible_in))
    query = query.order_by(messages.c.id.desc()).limit(MAX_MESSAGES)
    rows = list(reversed((await conn.execute(query)).all()))
    return Transcript(consent, rows, hidden)


async def answers(conn: AsyncConnection, tenant_id: int) -> dict[str, Any]:
    """The answers of the tenant's latest conversation (shown only with consent)."""
    state = (
        await conn.execute(
            select(conversations.c.state)
            .where(conversations.c.tenant_id == tenant_id)
            .order_by(conversations.c.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if not isinstance(state, dict):
        return {}
    data = state.get("data")
    return dict(data) if isinstance(data, dict) else {}
