"""One-time codes and deep-link tokens that link a Telegram chat to a tenant."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, select, update
from telegram.helpers import create_deep_linked_url

from bot.store.schema import link_codes, tenants

__all__ = ["CODE_PATTERN", "Redeemed", "create_code", "deep_link", "hash_secret", "link_chat", "redeem"]

CODE_LENGTH = 6
# A typed code is digits only: easy on a basic phone, and it works without a link in the SMS.
CODE_PATTERN = re.compile(r"^\s*(\d{3})[\s-]?(\d{3})\s*$")


def hash_secret(secret: str) -> str:
    """What the database keeps of a code or token."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _store(conn: Connection, tenant_id: int, kind: str, secret: str, now: datetime, minutes: int) -> None:
    conn.execute(
        link_codes.insert().values(
            tenant_id=tenant_id,
            kind=kind,
            secret_hash=hash_secret(f"{kind}:{secret}"),
            expires_at=now + timedelta(minutes=minutes),
            created_at=now,
        )
    )


def _retire(conn: Connection, tenant_id: int, kind: str, now: datetime) -> None:
    conn.execute(
        update(link_codes)
        .where(link_codes.c.tenant_id == tenant_id, link_codes.c.kind == kind, link_codes.c.used_at.is_(None))
        .values(used_at=now)
    )


def create_code(conn: Connection, tenant_id: int, now: datetime, minutes: int) -> str:
    """A fresh six-digit code; earlier unused codes of the tenant stop working."""
    _retire(conn, tenant_id, "code", now)
    for _ in range(20):
        code = "".join(secrets.choice("0123456789") for _ in range(CODE_LENGTH))
        taken = (
            conn.execute(select(link_codes.c.id).where(link_codes.c.secret_hash == hash_secret(f"code:{code}")))
        ).first()
        if taken is None:
            _store(conn, tenant_id, "code", code, now, minutes)
            return code
    raise RuntimeError("could not find a free link code")


def deep_link(conn: Connection, tenant_id: int, now: datetime, minutes: int, bot_username: str) -> str:
    """A one-time `t.me/<bot>?start=<token>` link that links the chat of whoever opens it first."""
    # Like a new code, a new link makes the tenant's earlier unused ones stop working.
    _retire(conn, tenant_id, "token", now)
    # The payload: 32 characters of A-Za-z0-9_-, within Telegram's 64.
    token = secrets.token_urlsafe(24)
    _store(conn, tenant_id, "token", token, now, minutes)
    return str(create_deep_linked_url(bot_username.lstrip("@"), token))


@dataclass(frozen=True)
class Redeemed:
    """The outcome of a code or token: the tenant it linked, or why it did not."""

    tenant_id: int | None
    problem: str | None = None  # unknown, used, expired


def redeem(conn: Connection, kind: str, secret: str, chat_id: int, now: datetime) -> Redeemed:
    """Use a code or token once and link the chat; a wrong, used or expired one links nothing."""
    if kind == "code":
        match = CODE_PATTERN.match(secret)
        secret = "".join(match.groups()) if match else secret.strip()
    row = (conn.execute(select(link_codes).where(link_codes.c.secret_hash == hash_secret(f"{kind}:{secret}")))).first()
    if row is None:
        return Redeemed(None, "unknown")
    if row.used_at is not None:
        return Redeemed(None, "used")
    if row.expires_at <= now:
        return Redeemed(None, "expired")
    conn.execute(update(link_codes).where(link_codes.c.id == row.id).values(used_at=now))
    link_chat(conn, int(row.tenant_id), chat_id, now)
    return Redeemed(int(row.tenant_id))


def link_chat(conn: Connection, tenant_id: int, chat_id: int, now: datetime) -> None:
    """Bind the chat to the tenant (and only to that tenant)."""
    conn.execute(
        update(tenants).where(tenants.c.telegram_chat_id == chat_id).values(telegram_chat_id=None, updated_at=now)
    )
    conn.execute(
        update(tenants)
        .where(tenants.c.id == tenant_id)
        .values(telegram_chat_id=chat_id, telegram_blocked=False, channel_preference="telegram", updated_at=now)
    )
