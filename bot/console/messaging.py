"""Sending to a tenant from the console: the channel they can be reached on, and the SMS rule check."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.outbox.enqueue import enqueue
from bot.store.schema import outbox

__all__ = ["AMOUNT", "reply_channel", "send_to_tenant", "sms_warnings"]

# "2.500 kr", "kr. 300", "1 200,50", "4500", "300,-": anything that may be an amount of money.
AMOUNT = re.compile(
    r"\d[\d.,\s]*\s*(?:kr\b|kr\.|dkk\b|kroner\b|,-)"
    r"|(?:\bkr\.?|\bdkk)\s*\d"
    r"|\b\d{1,3}(?:[.\s]\d{3})+(?:,\d{1,2})?\b"
    r"|\b\d{4,}\b",
    re.IGNORECASE,
)


def reply_channel(tenant: Any) -> str:
    """Telegram when the tenant linked a chat that is not blocked, SMS otherwise."""
    if tenant.telegram_chat_id is not None and not tenant.telegram_blocked:
        return "telegram"
    return "sms"


def sms_warnings(text: str, forbidden_words: Sequence[str]) -> list[str]:
    """Why this text should not go out by SMS (an amount, debt words); empty when it may."""
    reasons: list[str] = []
    if AMOUNT.search(text):
        reasons.append("it looks like it contains an amount")
    lowered = text.lower()
    words = sorted({w for w in forbidden_words if re.search(rf"\b{re.escape(w)}\b", lowered)})
    if words:
        reasons.append("it contains words about debt or eviction: " + ", ".join(words))
    return reasons


async def send_to_tenant(
    conn: AsyncConnection,
    tenant: Any,
    *,
    case_id: int,
    template: str,
    values: Mapping[str, Any],
    now: datetime,
    key: str,
    author: str,
    text: str | None = None,
) -> bool:
    """Queue a message on the tenant's channel; False when this key was already queued (a double submit)."""
    seen = (await conn.execute(select(outbox.c.id).where(outbox.c.idempotency_key == key))).first()
    if seen is not None:
        return False
    await conn.run_sync(
        enqueue,
        now=now,
        channel=reply_channel(tenant),
        template=template,
        values=values,
        language=tenant.language,
        idempotency_key=key,
        tenant_id=tenant.id,
        case_id=case_id,
        author=author,
        text=text,
    )
    return True
