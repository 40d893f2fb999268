"""What an unlinked Telegram chat can do: redeem a deep link or a code, or share its own contact."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
from sqlalchemy import Connection, select, update
from sqlalchemy.dialects import postgresql, sqlite
from telegram.helpers import create_deep_linked_url

from bot.outbox.enqueue import enqueue
from bot.settings import Settings
from bot.store.schema import audit_log, staff, tenants, unknown_senders
from bot.tenants import linking

__all__ = [
    "BLOCK_MINUTES",
    "MAX_FAILED_CODES",
    "STAFF_CODE",
    "deep_link",
    "handle_unlinked",
    "normalise_phone",
    "sender_hash",
]

# What a staff member types to the bot to get notices here: "STAFF 123456" (the code from their console page).
STAFF_CODE = re.compile(r"^\s*staff\s*(\d{3})[\s-]?(\d{3})\s*$", re.IGNORECASE)
MAX_FAILED_CODES = 5
BLOCK_MINUTES = 15


def sender_hash(settings: Settings, chat_id: str) -> str:
    """The keyed hash `unknown_senders` keeps instead of the chat id."""
    key = (settings.secret_key or "keephome").encode()
    return hmac.new(key, f"tg:{chat_id}".encode(), hashlib.sha256).hexdigest()


def normalise_phone(raw: str) -> str | None:
    """E.164 for a number Telegram shares (usually international without '+'), or None if invalid."""
    digits = "".join(ch for ch in raw if ch.isdigit())
    candidate = f"+{digits}" if raw.strip().startswith("+") or len(digits) > 8 else digits
    try:
        number = phonenumbers.parse(candidate, "DK")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def deep_link(conn: Connection, tenant_id: int, now: datetime, settings: Settings, bot_username: str) -> str:
    """A one-time `t.me/<bot>?start=<token>` link that links the chat of whoever opens it first."""
    token = linking.create_token(conn, tenant_id, now, settings.link_token_minutes)
    return str(create_deep_linked_url(bot_username, token))


def _sender_row(conn: Connection, key: str) -> Any | None:
    return (conn.execute(select(unknown_senders).where(unknown_senders.c.address_hash == key))).first()


def _upsert(conn: Connection, key: str, **values: Any) -> None:
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(unknown_senders).values({"address_hash": key, "failed_codes": 0, **values})
    conn.execute(stmt.on_conflict_do_update(index_elements=["address_hash"], set_=values))


def _reply(
    conn: Connection,
    template: str,
    now: datetime,
    inbound_id: int,
    *,
    language: str,
    tenant_id: int | None = None,
    chat_id: str | None = None,
    values: dict[str, Any] | None = None,
) -> None:
    enqueue(
        conn,
        now=now,
        channel="telegram",
        template=template,
        values=values or {},
        language=language,
        idempotency_key=f"in:{inbound_id}:{template}",
        tenant_id=tenant_id,
        address=None if tenant_id is not None else chat_id,
    )


def _linked(conn: Connection, tenant_id: int, now: datetime, inbound_id: int) -> None:
    language = (conn.execute(select(tenants.c.language).where(tenants.c.id == tenant_id))).scalar_one()
    # The chat is the tenant's now: address by tenant, so the sender finds the chat (and SMS if blocked).
    _reply(conn, "link.linked", now, inbound_id, language=language, tenant_id=tenant_id)


def _redeem(
    conn: Connection, kind: str, secret: str, chat_id: str, now: datetime, settings: Settings, inbound_id: int
) -> str:
    def attempt() -> tuple[bool, str]:
        result = linking.redeem(conn, kind, secret, int(chat_id), now)
        if result.tenant_id is None:
            return False, f"link_{result.problem or 'unknown'}"
        _linked(conn, result.tenant_id, now, inbound_id)
        return True, f"linked_by_{kind}"

    return _guarded(conn, chat_id, now, settings, inbound_id, attempt)


def _redeem_staff(conn: Connection, code: str, chat_id: str, now: datetime, settings: Settings, inbound_id: int) -> str:
    """A staff member links this chat for notices of urgent cases with the code from their console page."""

    def attempt() -> tuple[bool, str]:
        person = conn.execute(
            select(staff.c.id).where(
                staff.c.telegram_code_hash == linking.hash_secret(f"staff:{code}"),
                staff.c.telegram_code_expires_at > now,
                staff.c.active.is_(True),
            )
        ).first()
        if person is None:
            return False, "staff_link_unknown"
        conn.execute(
            update(staff)
            .where(staff.c.id == person.id)
            .values(
                telegram_chat_id=int(chat_id),
                notify_telegram=True,
                telegram_code_hash=None,
                telegram_code_expires_at=None,
            )
        )
        conn.execute(
            audit_log.insert().values(
                at=now, actor=f"staff:{person.id}", action="staff.telegram_linked", target=f"staff:{person.id}"
            )
        )
        _reply(conn, "staff.linked", now, inbound_id, language="da", chat_id=chat_id)
        return True, "staff_linked"

    return _guarded(conn, chat_id, now, settings, inbound_id, attempt)


def _guarded(
    conn: Connection,
    chat_id: str,
    now: datetime,
    settings: Settings,
    inbound_id: int,
    attempt: Callable[[], tuple[bool, str]],
) -> str:
    """Try a code unless this chat guessed wrong too often; count the misses."""
    key = sender_hash(settings, chat_id)
    row = _sender_row(conn, key)
    blocked_until = row.blocked_until if row is not None else None
    if blocked_until is not None and blocked_until > now:
        # Not even checked: guessing stays slow however many tries arrive.
        minutes = max(1, int((blocked_until - now).total_seconds() // 60) + 1)
        _reply(
            conn,
            "link.bad_code",
            now,
            inbound_id,
            language=settings.fallback_language,
            chat_id=chat_id,
            values={"wait_minutes": minutes},
        )
        return "link_slowed"
    ok, outcome = attempt()
    if ok:
        if row is not None:
            _upsert(conn, key, failed_codes=0, blocked_until=None)
        return outcome
    # An expired block starts a fresh count.
    failed = (row.failed_codes if row is not None and blocked_until is None else 0) + 1
    block = now + timedelta(minutes=BLOCK_MINUTES) if failed >= MAX_FAILED_CODES else None
    _upsert(conn, key, failed_codes=failed, blocked_until=block)
    _reply(conn, "link.bad_code", now, inbound_id, language=settings.fallback_language, chat_id=chat_id)
    return outcome


def _contact(
    conn: Connection, chat_id: str, payload: dict[str, Any], now: datetime, settings: Settings, inbound_id: int
) -> str:
    user_id, from_id = payload.get("contact_user_id"), payload.get("from_id")
    # Only one's own contact proves anything: a forwarded card of someone else links nothing.
    own = user_id is not None and user_id == from_id and str(from_id) == chat_id
    phone = normalise_phone(str(payload.get("contact_phone") or "")) if own else None
    tenant = None
    if phone is not None:
        tenant = (
            conn.execute(select(tenants.c.id).where(tenants.c.phone == phone, tenants.c.status != "erased").limit(1))
        ).first()
    if tenant is None:
        _reply(conn, "link.contact_mismatch", now, inbound_id, language=settings.fallback_language, chat_id=chat_id)
        return "contact_mismatch" if own else "contact_not_own"
    linking.link_chat(conn, int(tenant.id), int(chat_id), now)
    _upsert(conn, sender_hash(settings, chat_id), failed_codes=0, blocked_until=None)
    _linked(conn, int(tenant.id), now, inbound_id)
    return "linked_by_contact"


def _welcome(
    conn: Connection, chat_id: str, now: datetime, settings: Settings, inbound_id: int, *, always: bool
) -> str:
    key = sender_hash(settings, chat_id)
    today = now.astimezone(ZoneInfo(settings.timezone)).date()
    row = _sender_row(conn, key)
    if not always and row is not None and row.last_answered_on == today:
        return "welcome_quiet"
    _upsert(conn, key, last_answered_on=today)
    _reply(conn, "telegram.welcome", now, inbound_id, language=settings.fallback_language, chat_id=chat_id)
    return "welcome"


def handle_unlinked(
    conn: Connection,
    chat_id: str,
    text: str | None,
    payload: dict[str, Any],
    now: datetime,
    settings: Settings,
    inbound_id: int,
) -> str:
    """Link the chat if the message proves who it is; otherwise explain how, kindly and rarely."""
    try:
        int(chat_id)
    except ValueError:
        return "ignored"
    if "callback" in payload:
        return "ignored"  # a button from before the chat was unlinked
    if "contact_phone" in payload:
        return _contact(conn, chat_id, payload, now, settings, inbound_id)
    start = payload.get("start")
    if isinstance(start, str):
        if start:
            return _redeem(conn, "token", start, chat_id, now, settings, inbound_id)
        # Pressing Start deserves an answer each time; it is a person asking how this works.
        return _welcome(conn, chat_id, now, settings, inbound_id, always=True)
    staff_code = STAFF_CODE.match(text or "")
    if staff_code:
        return _redeem_staff(conn, "".join(staff_code.groups()), chat_id, now, settings, inbound_id)
    if text and linking.CODE_PATTERN.match(text):
        return _redeem(conn, "code", text, chat_id, now, settings, inbound_id)
    return _welcome(conn, chat_id, now, settings, inbound_id, always=False)
