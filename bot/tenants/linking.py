"""One-time codes and deep-link tokens that link a Telegram chat to a tenant."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select, update
from telegram.helpers import create_deep_linked_url

from bot.i18n import N_
from bot.store.schema import link_codes, tenants

__all__ = [
    "CODE_LENGTH",
    "MAX_MISSES_PER_CODE",
    "SECRET_TEMPLATES",
    "Redeemed",
    "blocked_on_telegram",
    "create_code",
    "deep_link",
    "hash_secret",
    "heard_on_telegram",
    "holder",
    "link_chat",
    "new_code",
    "redeem",
    "shown_code",
]

# A typed code is digits only: easy on a basic phone, and it works without a link in the SMS. What a person types
# is read as a code by bot/inbound/unlinked.py's `code_attempt` (the digits grouped any way, in any script's digits).
CODE_LENGTH = 8
# Why eight digits are enough. A code lives KEEPHOME_LINK_CODE_MINUTES (a day) among 10^8 values, and every
# wrong guess is bounded three ways:
# - one chat: after 5 misses it waits 15 minutes (bot/inbound/unlinked.py), so at most 20 guesses an hour;
# - all chats together: KEEPHOME_LINK_FAILURE_BUDGET misses an hour (30 by default); past it no code is
#   checked until the hour is over, so at most 30 x 24 = 720 guesses a day, however many chats guess;
# - one code: a wrong guess cannot be tied to the code it aimed at, so every miss counts against every code
#   that is live at that moment, and a code stops working after MAX_MISSES_PER_CODE of them.
# At most 100 guesses are ever checked against one working code, so it is guessed with a chance of at most
# 100 / 10^8, one in a million; in a year of 10,000 codes the expected number ever guessed is at most
# 10,000 x 100 / 10^8 = 0.01, and that only under an attack that rings the budget's alarm every hour. Even
# without the per-code limit, a code that lives a day meets at most 720 guesses: 7 in a million. Six digits
# would give one code in ten thousand, and at that rate one guessed code a year. A hundred misses while one
# code is live means an attack (people mistype a few codes a day), so the tenant's code lapsing then is the
# right trade: they ask for a new one.
MAX_MISSES_PER_CODE = 100

# Templates whose values are a one-time secret (a Telegram link code, a deep link): once the row is done the
# values are cleared and the message keeps this text instead of what was sent, so no usable code stays stored
# (bot/outbox/record.py); before that, nothing that shows or exports the message shows its values.
# The text is stored in English, a msgid: the console shows it in the reader's language (bot/console/transcript.py).
SECRET_TEMPLATES: Mapping[str, str] = {"link.code": N_("[link code sent]")}


def new_code() -> str:
    """A random code of CODE_LENGTH digits (tenants' link codes and staff members' notice codes)."""
    return f"{secrets.randbelow(10**CODE_LENGTH):0{CODE_LENGTH}d}"


def shown_code(code: str) -> str:
    """A code as a person reads it: two groups of four digits."""
    return f"{code[:4]} {code[4:]}"


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
    """A fresh eight-digit code; earlier unused codes of the tenant stop working."""
    _retire(conn, tenant_id, "code", now)
    for _ in range(20):
        code = new_code()
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
    problem: str | None = None  # unknown, used, expired, worn (too many misses while it was live)


def _problem(row: Any, kind: str, now: datetime) -> str | None:
    if row is None:
        return "unknown"
    if row.used_at is not None:
        return "used"
    if row.expires_at <= now:
        return "expired"
    if kind == "code" and row.misses >= MAX_MISSES_PER_CODE:
        return "worn"
    return None


def _count_miss(conn: Connection, now: datetime) -> None:
    """Any live code may have been the one a wrong code aimed at: each of them counts the miss."""
    conn.execute(
        update(link_codes)
        .where(link_codes.c.kind == "code", link_codes.c.used_at.is_(None), link_codes.c.expires_at > now)
        .values(misses=link_codes.c.misses + 1)
    )


def _live(conn: Connection, kind: str, secret: str, now: datetime) -> tuple[Any, Redeemed]:
    """The code's or token's row and whose it is, leaving it unused; a wrong, used, expired or worn code counts as
    a miss against every live code."""
    row = (conn.execute(select(link_codes).where(link_codes.c.secret_hash == hash_secret(f"{kind}:{secret}")))).first()
    problem = _problem(row, kind, now)
    if row is None or problem is not None:
        if kind == "code":
            _count_miss(conn, now)
        return None, Redeemed(None, problem)
    return row, Redeemed(int(row.tenant_id))


def owner(conn: Connection, kind: str, secret: str) -> int | None:
    """The tenant a code or token was issued to, whatever its state (used, expired, worn), or None; no miss counted.
    For a chat linked already: its own code sent again is no guess at anyone's."""
    found = conn.execute(
        select(link_codes.c.tenant_id).where(link_codes.c.secret_hash == hash_secret(f"{kind}:{secret}"))
    ).scalar()
    return None if found is None else int(found)


def holder(conn: Connection, kind: str, secret: str, now: datetime) -> Redeemed:
    """Whose live code or token this is, without using it (a chat linked already sent it); a miss counts as
    `redeem`'s does."""
    return _live(conn, kind, secret, now)[1]


def redeem(conn: Connection, kind: str, secret: str, chat_id: int, now: datetime) -> Redeemed:
    """Use a code (its eight digits 0-9, as `code_attempt` reads them) or token once and link the chat; a wrong,
    used, expired or worn one links nothing."""
    row, found = _live(conn, kind, secret, now)
    if row is None:
        return found
    conn.execute(update(link_codes).where(link_codes.c.id == row.id).values(used_at=now))
    link_chat(conn, int(row.tenant_id), chat_id, now)
    return Redeemed(int(row.tenant_id))


def blocked_on_telegram(conn: Connection, tenant_id: int) -> None:
    """Telegram refused a message because the tenant blocked the bot: everything after it goes by SMS, until they
    write from the chat again (`heard_on_telegram`)."""
    conn.execute(update(tenants).where(tenants.c.id == tenant_id).values(telegram_blocked=True))


def heard_on_telegram(conn: Connection, tenant_id: int, now: datetime) -> None:
    """The tenant wrote from their linked chat, which Telegram had refused to deliver to (they blocked the bot):
    they unblocked it, so messages go there again, the Telegram-only questions too."""
    conn.execute(
        update(tenants)
        .where(tenants.c.id == tenant_id, tenants.c.telegram_blocked.is_(True))
        .values(telegram_blocked=False, updated_at=now)
    )


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
