"""`Idempotency-Key` on a POST or PUT: a repeat within a day gets the first answer and changes nothing.

The key is claimed inside the write's own transaction (an INSERT that does nothing on a conflict): on
PostgreSQL a concurrent repeat waits on the unique index until the first one commits and then finds its
answer; on SQLite the writer is one at a time anyway. A refused request (400, 404, 409, 422) rolls its write
back and then keeps its refusal under the key (`remember_refusal`): a repeat gets that refusal again and
changes nothing, even once the tenant it named exists; a corrected request needs a new key. The same key
with another method, path or body is refused with 422. Answers older than a day are forgotten (and purged
nightly by `bot/store/retention.py`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request

from bot.api.errors import ApiError
from bot.store.db import Database
from bot.store.dialect import insert_for
from bot.store.retention import IDEMPOTENCY_KEPT
from bot.store.schema import api_idempotency

__all__ = ["HEADER", "Answer", "Claim", "claim", "idempotency_key", "remember_refusal", "replay"]

HEADER = "Idempotency-Key"
_MAX_KEY = 200


@dataclass(frozen=True, slots=True)
class Answer:
    """An answer to keep under a key: the status and the JSON body; `replayed` when it is a stored one given to a
    repeat (read before the work, or found by a repeat that came while the first was still being handled)."""

    status: int
    body: Any
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class Claim:
    """An Idempotency-Key this request holds (None when it sent none): `remember` stores its answer."""

    row_id: int

    async def remember(self, conn: AsyncConnection, status: int, body: Any) -> None:
        """Store the answer in the same transaction as the write it answers."""
        await conn.execute(
            update(api_idempotency)
            .where(api_idempotency.c.id == self.row_id)
            .values(status=status, body=json.dumps(body, separators=(",", ":")))
        )


def idempotency_key(request: Request) -> str | None:
    """The request's Idempotency-Key, or None; 400 for one that is empty, too long or not plain ASCII."""
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    key = raw.strip()
    if not key or len(key) > _MAX_KEY or not all(32 < ord(ch) < 127 for ch in key):
        raise ApiError(400, f"{HEADER} must be 1 to {_MAX_KEY} printable ASCII characters without spaces")
    return key


def fingerprint(request: Request, body: bytes) -> str:
    """What makes two requests the same: method, path and body."""
    digest = hashlib.sha256(f"{request.method} {request.url.path}\n".encode())
    digest.update(body)
    return digest.hexdigest()


def _fresh_since(now: datetime) -> datetime:
    return now - IDEMPOTENCY_KEPT


def _answer_of(row: Any, print_: str) -> Answer | None:
    if row.fingerprint != print_:
        raise ApiError(
            422,
            f"this {HEADER} was used for another request (another method, path or body) in the last 24 hours: "
            "give each request a key of its own (a corrected request too)",
        )
    return None if row.status is None else Answer(int(row.status), json.loads(row.body), replayed=True)


async def replay(db: Database, key_id: int, key: str | None, print_: str, now: datetime) -> Answer | None:
    """The stored answer of a repeat (read before any work is done), or None; 422 for another request."""
    if key is None:
        return None
    t = api_idempotency.c
    async with db.read() as conn:
        row = (
            await conn.execute(
                select(t.fingerprint, t.status, t.body).where(
                    t.key_id == key_id, t.idempotency_key == key, t.created_at > _fresh_since(now)
                )
            )
        ).first()
    return None if row is None else _answer_of(row, print_)


async def claim(
    conn: AsyncConnection, key_id: int, key: str | None, print_: str, now: datetime
) -> Claim | Answer | None:
    """Inside the write's transaction: hold the key (a Claim), or the answer a concurrent repeat stored."""
    if key is None:
        return None
    t = api_idempotency.c
    # A stale answer (older than a day) no longer counts: the key is free again.
    await conn.execute(
        delete(api_idempotency).where(t.key_id == key_id, t.idempotency_key == key, t.created_at <= _fresh_since(now))
    )
    stmt = (
        insert_for(conn.dialect.name, api_idempotency)
        .values(key_id=key_id, idempotency_key=key, fingerprint=print_, created_at=now)
        .on_conflict_do_nothing(index_elements=[t.key_id, t.idempotency_key])
        .returning(t.id)
    )
    row_id = (await conn.execute(stmt)).scalar()
    if row_id is not None:
        return Claim(int(row_id))
    row = (
        await conn.execute(select(t.fingerprint, t.status, t.body).where(t.key_id == key_id, t.idempotency_key == key))
    ).one()
    answer = _answer_of(row, print_)
    if answer is None:  # cannot happen: an answer is stored in the transaction that claimed the key
        raise ApiError(409, f"a request with this {HEADER} is still being handled: try again")
    return answer


async def remember_refusal(db: Database, key_id: int, key: str, print_: str, now: datetime, answer: Answer) -> None:
    """Keep a refused request's answer under its key (its write rolled back; this is a transaction of its own), so a
    repeat gets the same refusal. A key another request holds meanwhile keeps that request's answer."""
    t = api_idempotency.c
    async with db.write() as conn:
        await conn.execute(
            delete(api_idempotency).where(
                t.key_id == key_id, t.idempotency_key == key, t.created_at <= _fresh_since(now)
            )
        )
        await conn.execute(
            insert_for(conn.dialect.name, api_idempotency)
            .values(
                key_id=key_id,
                idempotency_key=key,
                fingerprint=print_,
                created_at=now,
                status=answer.status,
                body=json.dumps(answer.body, separators=(",", ":")),
            )
            .on_conflict_do_nothing(index_elements=[t.key_id, t.idempotency_key])
        )
