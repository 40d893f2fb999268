"""What keephome does with one committed inbound message: keywords first, then the case or the conversation.

Everything here is synchronous and runs inside the processor's transaction (`Database.run`), so a batch
of messages costs one trip to the database thread instead of several per statement.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.host.apply import Turn, apply_events, save_state, withdraw_consent
from bot.host.cases import HELD_STATUSES, OPEN_STATUSES
from bot.inbound.unlinked import handle_unlinked
from bot.outbox.enqueue import enqueue
from bot.settings import Settings
from bot.store.schema import audit_log, cases, conversations, messages, outbox, tenants, unknown_senders
from conversations import engine
from conversations.keywords import Keyword, classify, looks_like_stop_wish
from conversations.model import ButtonPressed, Channel, Context, Input, TextReceived
from conversations.state import State

__all__ = ["ALWAYS_ON", "InboundHandler", "InboundRow", "first_name", "resolve_callback"]

# Always-on keywords: they work even while an adviser holds the case.
ALWAYS_ON = ("opt_out", "opt_in", "language", "withdraw_consent")


def first_name(name: str) -> str:
    """The first word of a tenant's name, as messages greet them."""
    words = name.split()
    return words[0] if words else name


@dataclass(frozen=True)
class InboundRow:
    """A committed inbound message as the processor reads it."""

    id: int
    channel: str
    provider_id: str
    sender: str
    text: str | None
    payload: dict[str, Any] | None


def resolve_callback(conn: Connection, data: str) -> str | None:
    """Turn a button's opaque callback data (`<outbox id>.<index>`) into the choice key it stood for."""
    try:
        outbox_id, index = (int(part) for part in data.split(".", 1))
    except ValueError:
        return None
    choices = conn.execute(select(outbox.c.choices).where(outbox.c.id == outbox_id)).scalar()
    if not isinstance(choices, list) or not 0 <= index < len(choices):
        return None
    return str(choices[index][0])


_open_case = (
    select(cases.c.id, cases.c.status)
    .where(cases.c.tenant_id == tenants.c.id, cases.c.status.in_(OPEN_STATUSES))
    .order_by(cases.c.id)
    .limit(1)
)
_active_conversation = (
    select(conversations.c.id)
    .where(conversations.c.tenant_id == tenants.c.id, conversations.c.active.is_(True))
    .order_by(conversations.c.id.desc())
    .limit(1)
)
# The tenant, their open case and their active conversation in one statement.
_TENANT = select(
    tenants.c.id,
    tenants.c.name,
    tenants.c.language,
    tenants.c.status,
    _open_case.with_only_columns(cases.c.id).scalar_subquery().label("case_id"),
    _open_case.with_only_columns(cases.c.status).scalar_subquery().label("case_status"),
    _active_conversation.scalar_subquery().label("conversation_id"),
)


_TENANT_BY_PHONE = _TENANT.where(tenants.c.phone == bindparam("address"), tenants.c.status != "erased").limit(1)
_TENANT_BY_CHAT = _TENANT.where(tenants.c.telegram_chat_id == bindparam("address"), tenants.c.status != "erased").limit(
    1
)
_INSERT_MESSAGE = messages.insert()
_CONVERSATION_STATE = select(conversations.c.state).where(conversations.c.id == bindparam("conversation_id"))


class InboundHandler:
    """Handles one message at a time inside the caller's transaction; returns a result label for metrics."""

    def __init__(self, settings: Settings, is_sqlite: bool, *, telegram_on: bool | None = None) -> None:
        self._settings = settings
        self._telegram_on = settings.telegram_enabled if telegram_on is None else telegram_on
        self._is_sqlite = is_sqlite
        self._tz = ZoneInfo(settings.timezone)
        self._flow_settings = settings.flow_settings()
        self._languages = settings.language_list

    def handle(self, conn: Connection, row: InboundRow, now: datetime) -> str:
        """Apply one message; every write lands in `conn`'s transaction."""
        tenant = self._find_tenant(conn, row)
        if tenant is None:
            if row.channel == "telegram":
                return handle_unlinked(conn, row.sender, row.text, row.payload or {}, now, self._settings, row.id)
            return self._unknown_sms(conn, row, now)
        conn.execute(
            _INSERT_MESSAGE,
            {
                "tenant_id": tenant.id,
                "case_id": tenant.case_id,
                "direction": "in",
                "channel": row.channel,
                "provider_id": row.provider_id,
                "text": row.text,
                "author": "tenant",
                "status": "received",
                "status_rank": 0,
                "proactive": False,
                "created_at": now,
                "updated_at": now,
            },
        )
        payload = row.payload or {}
        if row.channel == "telegram" and "start" in payload and not row.text:
            return "start"
        keyword = classify(row.text, self._languages) if row.text else None
        held = tenant.case_status in HELD_STATUSES
        if (
            keyword is not None
            and (not held or keyword.kind in ALWAYS_ON)
            and self._keyword(conn, row, tenant, keyword, now)
        ):
            return f"keyword_{keyword.kind}"
        if tenant.status != "active":
            return "ignored_inactive"
        if held:
            # A person holds the case: the message is theirs to answer, the bot stays quiet.
            status = "taken" if tenant.case_status == "waiting_tenant" else tenant.case_status
            conn.execute(update(cases).where(cases.c.id == tenant.case_id).values(status=status, updated_at=now))
            return "to_case"
        if row.text and looks_like_stop_wish(row.text):
            self._reply(conn, row, tenant, "keyword.stop_hint", now)
            return "stop_hint"
        user_input = self._input(conn, row)
        if user_input is None:
            return "not_understood"
        self._converse(conn, row, tenant, user_input, now)
        return "conversation"

    def _find_tenant(self, conn: Connection, row: InboundRow) -> Any | None:
        if row.channel != "telegram":
            return conn.execute(_TENANT_BY_PHONE, {"address": row.sender}).first()
        try:
            return conn.execute(_TENANT_BY_CHAT, {"address": int(row.sender)}).first()
        except ValueError:
            return None

    def _input(self, conn: Connection, row: InboundRow) -> Input | None:
        channel: Channel = "telegram" if row.channel == "telegram" else "sms"
        callback = (row.payload or {}).get("callback")
        if isinstance(callback, str):
            choice = resolve_callback(conn, callback)
            return ButtonPressed(choice, channel) if choice else None
        # A sticker, photo or voice message arrives without text: the flow treats it as an answer it cannot place.
        return TextReceived(row.text or "", channel)

    def _turn(self, tenant: Any, row: InboundRow, now: datetime, conversation_id: int | None) -> Turn:
        return Turn(
            tenant_id=tenant.id,
            conversation_id=conversation_id,
            channel=row.channel,
            language=tenant.language,
            now=now,
            today=now.astimezone(self._tz).date(),
            key=f"in:{row.id}",
            link_code_minutes=self._settings.link_code_minutes,
            public_url=self._settings.public_url,
        )

    def _converse(self, conn: Connection, row: InboundRow, tenant: Any, user_input: Input, now: datetime) -> None:
        turn = self._turn(tenant, row, now, tenant.conversation_id)
        if tenant.conversation_id is not None:
            stored = conn.execute(_CONVERSATION_STATE, {"conversation_id": tenant.conversation_id}).scalar_one()
            state = State.load(stored)
            if tenant.language != state.language:
                state = replace(state, language=tenant.language)
            state, events = engine.resume(state, user_input, now)
            save_state(conn, turn, state)
            apply_events(conn, turn, events)
            return
        channel: Channel = "telegram" if row.channel == "telegram" else "sms"
        context = Context(first_name(tenant.name), tenant.language, channel, None, self._flow_settings)
        state, events = engine.start("payment_check", context, now)
        conversation_id = save_state(conn, turn, state)
        apply_events(conn, replace(turn, conversation_id=conversation_id), events)

    def _keyword(self, conn: Connection, row: InboundRow, tenant: Any, kw: Keyword, now: datetime) -> bool:
        """Apply a keyword; False when it is really an answer to the open question."""
        match kw.kind:
            case "opt_out":
                if tenant.status == "stopped":
                    return True  # confirmed once already
                self._set_status(conn, tenant.id, "stopped", now)
                self._reply(conn, row, tenant, "keyword.opted_out", now)
            case "opt_in":
                if tenant.status in ("stopped", "active"):
                    self._set_status(conn, tenant.id, "active", now)
                    self._reply(conn, row, tenant, "keyword.opted_in", now)
            case "wrong_number":
                self._reply(conn, row, tenant, "keyword.wrong_number", now)
                self._set_status(conn, tenant.id, "wrong_number", now)
                # The housing organisation sees this in the console and the audit log.
                conn.execute(
                    audit_log.insert().values(
                        at=now, actor="system", action="tenant.wrong_number", target=f"tenant:{tenant.id}"
                    )
                )
            case "help":
                if tenant.conversation_id is not None:
                    stored = conn.execute(_CONVERSATION_STATE, {"conversation_id": tenant.conversation_id}).scalar_one()
                    if engine.accepts_help_word(State.load(stored)):
                        return False
                self._reply(conn, row, tenant, "keyword.help", now)
            case "language":
                return self._switch_language(conn, row, tenant, kw.language, now)
            case "telegram":
                return self._offer_telegram(conn, row, tenant, now)
            case "withdraw_consent":
                withdraw_consent(conn, tenant.id, now)
                self._reply(conn, row, tenant, "consent.withdrawn", now)
        return True

    def _switch_language(
        self, conn: Connection, row: InboundRow, tenant: Any, language: str | None, now: datetime
    ) -> bool:
        """Switch to an enabled language, confirm in it and ask the open question again in it."""
        if language is None or language not in self._languages:
            return False
        conn.execute(update(tenants).where(tenants.c.id == tenant.id).values(language=language, updated_at=now))
        self._reply(conn, row, tenant, "keyword.language_changed", now, language=language)
        if tenant.conversation_id is None or tenant.status != "active" or tenant.case_status in HELD_STATUSES:
            return True
        stored = conn.execute(_CONVERSATION_STATE, {"conversation_id": tenant.conversation_id}).scalar_one()
        state = replace(State.load(stored), language=language)
        turn = replace(self._turn(tenant, row, now, tenant.conversation_id), language=language)
        save_state(conn, turn, state)
        apply_events(conn, turn, engine.current_question(state))
        return True

    def _offer_telegram(self, conn: Connection, row: InboundRow, tenant: Any, now: datetime) -> bool:
        """The word TELEGRAM over SMS: the tenant's own word answers the offer, so a code goes out at once."""
        if row.channel != "sms" or tenant.status != "active" or not self._telegram_on:
            return False  # on Telegram already, no Telegram here, or not to be written to: an ordinary message
        context = Context(first_name(tenant.name), tenant.language, "sms", None, self._flow_settings)
        state, _question = engine.start("telegram_offer", context, now)
        state, events = engine.resume(state, TextReceived(row.text or "", "sms"), now)
        turn = self._turn(tenant, row, now, None)
        conversation_id = save_state(conn, turn, state)
        apply_events(conn, replace(turn, conversation_id=conversation_id), events)
        return True

    def _reply(
        self,
        conn: Connection,
        row: InboundRow,
        tenant: Any,
        template: str,
        now: datetime,
        *,
        language: str | None = None,
    ) -> None:
        enqueue(
            conn,
            now=now,
            channel=row.channel,
            template=template,
            values={},
            language=language or tenant.language,
            idempotency_key=f"in:{row.id}:{template}",
            tenant_id=tenant.id,
        )

    def _set_status(self, conn: Connection, tenant_id: int, status: str, now: datetime) -> None:
        conn.execute(update(tenants).where(tenants.c.id == tenant_id).values(status=status, updated_at=now))
        if status == "active":
            return
        # Nothing proactive may leave for this tenant any more, including what is already queued.
        conn.execute(
            update(outbox)
            .where(outbox.c.tenant_id == tenant_id, outbox.c.state == "pending", outbox.c.proactive.is_(True))
            .values(state="held", last_error=status)
        )
        conn.execute(
            update(conversations)
            .where(conversations.c.tenant_id == tenant_id, conversations.c.active.is_(True))
            .values(active=False, waiting_until=None, ended_reason=status, updated_at=now)
        )

    def _unknown_sms(self, conn: Connection, row: InboundRow, now: datetime) -> str:
        """At most one polite generic answer a day; nothing about any tenant is revealed or learnt."""
        if not self._once_today(conn, row.sender, now.astimezone(self._tz).date()):
            return "unknown_quiet"
        enqueue(
            conn,
            now=now,
            channel=row.channel,
            template="unknown_number",
            values={},
            language=self._settings.fallback_language,
            idempotency_key=f"in:{row.id}:unknown",
            address=row.sender,
        )
        return "unknown_answered"

    def _once_today(self, conn: Connection, address: str, today: date) -> bool:
        key = hmac.new((self._settings.secret_key or "keephome").encode(), address.encode(), hashlib.sha256).hexdigest()
        seen = conn.execute(
            select(unknown_senders.c.last_answered_on).where(unknown_senders.c.address_hash == key)
        ).first()
        if seen is not None and seen.last_answered_on == today:
            return False
        insert = sqlite.insert if self._is_sqlite else postgresql.insert
        conn.execute(
            insert(unknown_senders)
            .values(address_hash=key, last_answered_on=today, failed_codes=0)
            .on_conflict_do_update(index_elements=["address_hash"], set_={"last_answered_on": today})
        )
        return True
