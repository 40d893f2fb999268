"""API keys: made, listed and revoked by admins (`keephome apikey add`, the console); only a hash is stored.

A key is `kh_` and 43 random URL-safe characters (256 bits), shown once when it is made. The database keeps its
SHA-256 hash: a key is random, so a plain hash cannot be guessed back, and a leaked table opens nothing.
Scopes are ordered: `read` < `write` < `erase`; a key may do what its scope and every lower one allow.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.i18n import N_, Explained
from bot.store.audit import record_entry
from bot.store.schema import api_keys, staff
from bot.store.staff_names import staff_name

__all__ = [
    "MAX_NAME",
    "PREFIX",
    "SCOPES",
    "ApiKeyError",
    "KeyRow",
    "MadeAlready",
    "add_key",
    "covers",
    "hash_key",
    "list_keys",
    "live_keys_made_by",
    "revoke_key",
]

SCOPES = ("read", "write", "erase")
PREFIX = "kh_"
MAX_NAME = 100


class ApiKeyError(Explained, ValueError):
    """A key that cannot be made or revoked as asked, with a message for the person."""


class MadeAlready(ApiKeyError):
    """The form that asks for a key was sent before and made one then (`name`): nothing more is made."""

    def __init__(self, name: str) -> None:
        super().__init__(
            N_(
                "This form was sent before and made the key “%(key)s” then; a key is shown only once, on the answer to "
                "that sending. If you did not copy it, revoke it below and make another."
            ),
            key=name,
        )


@dataclass(frozen=True, slots=True)
class KeyRow:
    """A key as an admin sees it: never the key itself."""

    id: int
    name: str
    scope: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    # Who made it: the admin's name (staff_name), whether their account is still active and its role now; None for a
    # key made with `keephome apikey add`.
    made_by: str | None = None
    maker_active: bool | None = None
    maker_role: str | None = None

    @property
    def maker_left(self) -> bool:
        """A live key whose maker is deactivated or no longer an admin: it goes on working (it is the organisation's
        integration), and the admins left must see it is now theirs to keep or revoke."""
        return (
            self.revoked_at is None
            and self.made_by is not None
            and not (self.maker_active and self.maker_role == "admin")
        )


def hash_key(key: str) -> str:
    """What the database keeps of a key."""
    return hashlib.sha256(key.encode()).hexdigest()


def covers(scope: str, needed: str) -> bool:
    """Whether a key of `scope` may do what needs `needed` (read < write < erase)."""
    return SCOPES.index(scope) >= SCOPES.index(needed)


def _checked_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise ApiKeyError(N_("a key needs a name (what system uses it)"))
    if len(name) > MAX_NAME:
        raise ApiKeyError(N_("a key's name is at most %(length)d characters"), length=MAX_NAME)
    if any(not ch.isprintable() for ch in name):
        raise ApiKeyError(N_("a key's name holds only printable characters"))
    return name


async def add_key(
    conn: AsyncConnection,
    name: str,
    scope: str,
    now: datetime,
    actor: str,
    form_nonce: str | None = None,
    *,
    made_by: int | None = None,
) -> tuple[int, str]:
    """Make a key; returns its id and the key (shown once, never stored). Audited. `form_nonce`, the console form's
    one-time value, makes a form sent again make nothing (MadeAlready). `made_by`: the admin making it in the console
    (None from the command line)."""
    if form_nonce is not None:
        made = (await conn.execute(select(api_keys.c.name).where(api_keys.c.form_nonce == form_nonce))).scalar()
        if made is not None:
            raise MadeAlready(made)
    if scope not in SCOPES:
        raise ApiKeyError(N_("unknown scope %(scope)s: read, write or erase"), scope=scope)
    name = _checked_name(name)
    # A name tells the live keys apart (which system to revoke): a revoked key's name may be given again.
    taken = await conn.execute(
        select(api_keys.c.name).where(func.lower(api_keys.c.name) == name.lower(), api_keys.c.revoked_at.is_(None))
    )
    held = taken.scalar()
    if held is not None:
        raise ApiKeyError(
            N_("a live key is already called “%(key)s”: choose another name, or revoke that key first"), key=held
        )
    key = PREFIX + secrets.token_urlsafe(32)
    key_id = (
        await conn.execute(
            api_keys.insert()
            .values(
                name=name,
                key_hash=hash_key(key),
                scope=scope,
                created_at=now,
                window_count=0,
                form_nonce=form_nonce,
                made_by=made_by,
            )
            .returning(api_keys.c.id)
        )
    ).scalar_one()
    await record_entry(
        conn, at=now, actor=actor, action="apikey.add", target=f"apikey:{key_id}", detail=f'key "{name}" scope={scope}'
    )
    return int(key_id), key


async def list_keys(conn: AsyncConnection) -> Sequence[KeyRow]:
    """Every key with its maker, live ones first, newest first."""
    k = api_keys.c
    rows = await conn.execute(
        select(
            k.id,
            k.name,
            k.scope,
            k.created_at,
            k.last_used_at,
            k.revoked_at,
            staff_name(),
            staff.c.active,
            staff.c.role,
        )
        .select_from(api_keys.outerjoin(staff, staff.c.id == k.made_by))
        .order_by(k.revoked_at.is_not(None), k.id.desc())
    )
    return [KeyRow(*row) for row in rows]


async def live_keys_made_by(conn: AsyncConnection, staff_id: int) -> int:
    """How many live keys this person made (what an admin who deactivates them is told)."""
    k = api_keys.c
    found = await conn.execute(select(func.count()).where(k.made_by == staff_id, k.revoked_at.is_(None)))
    return int(found.scalar_one())


async def revoke_key(conn: AsyncConnection, key_id: int, now: datetime, actor: str) -> str:
    """Revoke a live key at once (its next request gets 401); returns its name. Audited."""
    name = (
        await conn.execute(
            update(api_keys)
            .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=now)
            .returning(api_keys.c.name)
        )
    ).scalar()
    if name is None:
        raise ApiKeyError(N_("there is no such live key"))
    await record_entry(conn, at=now, actor=actor, action="apikey.revoke", target=f"apikey:{key_id}")
    return str(name)
