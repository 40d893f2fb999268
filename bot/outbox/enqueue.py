"""The one writer of outbox rows: a message and its outbox row, added to the transaction's scene.

A row holds the template key and its values, not only text: it is rendered for the channel it finally
goes out on. Nothing is sent here; the sender claims the row after the commit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select

from bot.store.scene import Scene
from bot.store.schema import messages, outbox
from conversations.values import encode_values

__all__ = ["Enqueued", "enqueue", "message_row", "queued", "queued_among", "record_inbound"]


@dataclass(frozen=True)
class Enqueued:
    """The ids of a queued message and its outbox row."""

    message_id: int
    outbox_id: int


def message_row(
    scene: Scene,
    *,
    now: datetime,
    direction: str,
    channel: str | None,
    author: str,
    status: str,
    tenant_id: int | None = None,
    conversation_id: int | None = None,
    case_id: int | None = None,
    provider_id: str | None = None,
    text: str | None = None,
    template: str | None = None,
    proactive: bool = False,
) -> dict[str, Any]:
    """Every column of a `messages` row, with an id of its own (the only shape the scene writes)."""
    return {
        "id": scene.next_id(messages),
        "tenant_id": tenant_id,
        "conversation_id": conversation_id,
        "case_id": case_id,
        "direction": direction,
        "channel": channel,
        "provider_id": provider_id,
        "text": text,
        "template": template,
        "author": author,
        "status": status,
        "status_rank": 0,
        "error_code": None,
        "proactive": proactive,
        "created_at": now,
        "updated_at": now,
    }


def record_inbound(
    scene: Scene,
    *,
    now: datetime,
    tenant_id: int,
    case_id: int | None,
    channel: str,
    provider_id: str,
    text: str | None,
) -> int:
    """Keep what a tenant wrote, for the adviser and as evidence; returns the message id."""
    row = message_row(
        scene,
        now=now,
        direction="in",
        channel=channel,
        author="tenant",
        status="received",
        tenant_id=tenant_id,
        case_id=case_id,
        provider_id=provider_id,
        text=text,
    )
    scene.add((messages, row))
    return int(row["id"])


# Probes of the idempotency key's unique index (built once).
_QUEUED = select(outbox.c.idempotency_key).where(outbox.c.idempotency_key.in_(bindparam("keys", expanding=True)))


def queued(conn: Connection, idempotency_key: str) -> bool:
    """Whether a message with this key was committed to the outbox: for a message sent at most once (a notice,
    a daily receipt, a double submit), asked before `enqueue`, which would otherwise add a row the database refuses."""
    return bool(queued_among(conn, [idempotency_key]))


def queued_among(conn: Connection, idempotency_keys: Sequence[str]) -> set[str]:
    """Which of these keys committed messages took (`queued` for many keys, in one statement)."""
    if not idempotency_keys:
        return set()
    return set(conn.execute(_QUEUED, {"keys": list(idempotency_keys)}).scalars())


def enqueue(
    scene: Scene,
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
) -> Enqueued | None:
    """Queue a message: its row and its outbox row are written together when the transaction ends.

    The idempotency key is unique: a repeat within the transaction queues nothing (None), and a row whose
    key was committed before is left out when the scene is written.
    """
    if not scene.first_use(outbox, idempotency_key):
        return None
    message = message_row(
        scene,
        now=now,
        direction="out",
        channel=channel,
        author=author,
        status="queued",
        tenant_id=tenant_id,
        conversation_id=conversation_id,
        case_id=case_id,
        text=text,
        template=template,
        proactive=proactive,
    )
    start = not_before or now
    queued = {
        "id": scene.next_id(outbox),
        "message_id": message["id"],
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
        "lease_until": None,
        "idempotency_key": idempotency_key,
        "state": "pending",
        "last_error": None,
        "created_at": now,
    }
    scene.add((messages, message), (outbox, queued))
    return Enqueued(int(message["id"]), int(queued["id"]))
