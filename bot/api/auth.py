"""Who is calling: the bearer key, its scope, and its requests this minute (429 past the limit).

Each request costs one UPDATE on the key's row that checks the key, stamps `last_used_at` and counts the
request in a one-minute window. The count lives in the database, so the limit
(`KEEPHOME_API_RATE_PER_MINUTE`) holds for all of a deployment's processes together.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, case, literal, or_, update
from starlette.requests import Request

from bot.api.errors import ApiError
from bot.api.keys import PREFIX, covers, hash_key
from bot.store.db import Database
from bot.store.schema import UTCDateTime, api_keys

__all__ = ["WINDOW", "Caller", "authorize"]

WINDOW = timedelta(minutes=1)
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="keephome api"'}


@dataclass(frozen=True, slots=True)
class Caller:
    """The key behind a request."""

    key_id: int
    name: str
    scope: str

    @property
    def actor(self) -> str:
        """How the audit log names this key."""
        return f"api:{self.key_id}"


@dataclass(frozen=True, slots=True)
class _Use:
    key_id: int
    name: str
    scope: str
    window_started_at: datetime
    window_count: int


def _bearer(request: Request) -> str | None:
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key.startswith(PREFIX) or len(key) > 200:
        return None
    return key


def _use(conn: Connection, key_hash: str, now: datetime) -> _Use | None:
    """Count one request of a live key (a new window when the last one is over); None for no such key."""
    k = api_keys.c
    at = literal(now, UTCDateTime())
    fresh = or_(k.window_started_at.is_(None), k.window_started_at <= now - WINDOW)
    row = conn.execute(
        update(api_keys)
        .where(k.key_hash == key_hash, k.revoked_at.is_(None))
        .values(
            last_used_at=at,
            window_started_at=case((fresh, at), else_=k.window_started_at),
            window_count=case((fresh, 1), else_=k.window_count + 1),
        )
        .returning(k.id, k.name, k.scope, k.window_started_at, k.window_count)
    ).first()
    return None if row is None else _Use(int(row[0]), str(row[1]), str(row[2]), row[3], int(row[4]))


async def authorize(request: Request, db: Database, now: datetime, needed: str, per_minute: int) -> Caller:
    """The caller, or ApiError: 401 without a live key, 403 when its scope does not cover `needed`, 429 when
    the key has made `per_minute` requests in this window (Retry-After: seconds until the window ends)."""
    key = _bearer(request)
    used = None if key is None else await db.run(_use, hash_key(key), now)
    if used is None:
        raise ApiError(401, "a valid API key is required: Authorization: Bearer <key>", headers=_CHALLENGE)
    if used.window_count > per_minute:
        wait = max(1, math.ceil((used.window_started_at + WINDOW - now).total_seconds()))
        raise ApiError(
            429,
            f"this key made more than {per_minute} requests in a minute: try again later",
            headers={"Retry-After": str(wait)},
        )
    if not covers(used.scope, needed):
        raise ApiError(403, f"this key's scope ({used.scope}) does not cover this route (it needs {needed})")
    return Caller(used.key_id, used.name, used.scope)
