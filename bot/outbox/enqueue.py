"""The durable outbox: a message and its outbox row, written with the state change that caused them."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from bot.store.schema import messages, outbox
from conversations.values import encode_values

__all__ = ["STATUS_RANK", "Enqueued", "backoff", "enqueue"]

# Delivery status only moves forward; a late "sent" never overwrites "delivered".
STATUS_RANK = {
    "queued": 0,
    "sending": 1,
    "sent": 2,
    "undelivered": 3,
    "failed": 3,
    "delivered": 4,
    "read": 5,
    "received": 0,
    "held": 3,
}


@dataclass(frozen=True)
class Enqueued:
    """The ids of a queued message and its outbox row."""

    message_id: int
    outbox_id: int


# Built once and executed with parameters: the hot path skips statement construction.
_INSERT_MESSAGE = messages.insert().returning(messages.c.id)
_INSERT_OUTBOX = outbox.insert().returning(outbox.c.id)


def enqueue(
    conn: Connection,
    *,
    now: datetime,
    channel: str,
    template: str,
    values: Mapping[str, Any],
    language: str,
    idempotency_key: str,
    tenant_id: int | None = None,
    address: str | None = None,
    conversation_id: int | None = None,
    case_id: int | None = None,
    author: str = "bot",
    proactive: bool = False,
    not_before: datetime | None = None,
    text: str | None = None,
    choices: Sequence[tuple[str, str]] = (),
) -> Enqueued:
    """Write a message and its outbox row inside the caller's transaction.

    Async callers use `await conn.run_sync(enqueue, ...)`; the hot paths call it inside `Database.run`.
    """
    message_id = conn.execute(
        _INSERT_MESSAGE,
        {
            "tenant_id": tenant_id,
            "conversation_id": conversation_id,
            "case_id": case_id,
            "direction": "out",
            "channel": channel,
            "text": text,
            "template": template,
            "author": author,
            "status": "queued",
            "status_rank": 0,
            "proactive": proactive,
            "created_at": now,
            "updated_at": now,
        },
    ).scalar_one()
    start = not_before or now
    outbox_id = conn.execute(
        _INSERT_OUTBOX,
        {
            "message_id": message_id,
            "tenant_id": tenant_id,
            "address": address,
            "channel": channel,
            "template": template,
            "values": encode_values(dict(values)),
            "choices": [list(c) for c in choices] or None,
            "language": language,
            "proactive": proactive,
            "not_before": start,
            "attempts": 0,
            "next_attempt_at": start,
            "idempotency_key": idempotency_key,
            "state": "pending",
            "created_at": now,
        },
    ).scalar_one()
    return Enqueued(message_id, outbox_id)


def backoff(attempt: int, base: float = 5.0, cap: float = 3600.0, rng: random.Random | None = None) -> float:
    """Exponential backoff with full jitter, in seconds."""
    r = rng or random
    return float(r.uniform(base / 2, min(cap, base * 2 ** max(0, attempt - 1))))
