"""Who is calling: the bearer key, its scope, and its requests this minute (429 past the limit).

Each request costs one UPDATE on the key's row that checks the key, stamps `last_used_at` and counts the
request in a one-minute window. The count lives in the database, so the limit
(`KEEPHOME_API_RATE_PER_MINUTE`) holds for all of a deployment's processes together.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, case, literal, or_, select, update
from starlette.requests import Request

from bot.api.errors import ApiError
from bot.api.keys import PREFIX, SCOPES, covers, hash_key
from bot.store.db import Database
from bot.store.schema import UTCDateTime, api_keys

__all__ = ["WINDOW", "Caller", "authorize"]

WINDOW = timedelta(minutes=1)
_REALM = 'Bearer realm="keephome api"'
_REQUIRED = "a valid API key is required"


def _challenge(error: str | None = None, **params: str) -> dict[str, str]:
    """The WWW-Authenticate of RFC 6750: the realm alone when no key was sent; with `error` (invalid_token,
    insufficient_scope) when one was, so a client can tell a key to replace from a request to fix."""
    if error is None:
        return {"WWW-Authenticate": _REALM}
    extra = "".join(f', {name}="{value}"' for name, value in params.items())
    return {"WWW-Authenticate": f'{_REALM}, error="{error}"{extra}'}


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
    """The key sent as `Authorization: Bearer <key>`, or None when none was sent that way."""
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    key = key.strip()
    return key if scheme.lower() == "bearer" and key else None


def _well_formed(key: str) -> bool:
    return key.startswith(PREFIX) and len(key) <= 200


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


def _revoked(conn: Connection, key_hash: str) -> bool:
    """Whether a key that is not live was revoked (else it was never made): said in the 401, so the caller knows
    whether to ask for a new key or to check that this one was copied whole."""
    query = select(api_keys.c.id).where(api_keys.c.key_hash == key_hash, api_keys.c.revoked_at.is_not(None))
    return conn.execute(query).first() is not None


async def authorize(request: Request, db: Database, now: datetime, needed: str, per_minute: int) -> Caller:
    """The caller, or ApiError: 401 without a live key, 403 when its scope does not cover `needed`, 429 when
    the key has made `per_minute` requests in this window (Retry-After: seconds until the window ends)."""
    key = _bearer(request)
    if key is None:
        raise ApiError(401, f"{_REQUIRED}: Authorization: Bearer <key>", headers=_challenge())
    used = await db.run(_use, hash_key(key), now) if _well_formed(key) else None
    if used is None:
        revoked = _well_formed(key) and await db.run(_revoked, hash_key(key))
        why = "this key was revoked: an admin can make a new one" if revoked else "this key is not one keephome knows"
        raise ApiError(401, f"{_REQUIRED}: {why}", headers=_challenge("invalid_token", error_description=why))
    if used.window_count > per_minute:
        wait = max(1, math.ceil((used.window_started_at + WINDOW - now).total_seconds()))
        raise ApiError(
            429,
            f"this key made more than {per_minute} requests in a minute: try again in {wait} s (Retry-After)",
            headers={"Retry-After": str(wait)},
        )
    if not covers(used.scope, needed):
        raise ApiError(
            403,
            f"this key's scope ({used.scope}) does not cover this route (it needs {needed}): use a key of scope "
            f"{' or '.join(SCOPES[SCOPES.index(needed) :])}",
            headers=_challenge("insufficient_scope", scope=needed),
        )
    return Caller(used.key_id, used.name, used.scope)
