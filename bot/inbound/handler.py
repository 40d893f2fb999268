"""What keephome does with one committed inbound message: commands first, then the case or the conversation.

Everything here is synchronous and runs inside the processor's transaction (`Database.run`); what it
writes goes to the transaction's scene, so a batch of messages costs a few statements, not several each.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, bindparam, exists, select, update

from bot.channels.base import parse_button_data
from bot.host.cases import ADVISER_SCOPE, HELD_STATUSES, OPEN_STATUSES
from bot.host.handlers import apply_events
from bot.host.turn import Turn, save_state
from bot.inbound.strangers import Stranger, answer_once_today, stranger_key
from bot.inbound.unlinked import Unlinked, handle_unlinked
from bot.outbox.enqueue import enqueue, record_inbound
from bot.settings import ConfigError, Settings
from bot.store.scene import Scene
from bot.store.schema import cases, consents, conversations, outbox, tenants
from bot.tenants.names import first_name
from bot.tenants.upsert import running_deadline_for
from conversations import engine
from conversations.commands import CommandResult, TenantFacts, command
from conversations.model import ButtonPressed, Channel, Context, Input, TextReceived
from conversations.state import State

__all__ = ["AmbiguousTenant", "InboundHandler", "InboundRow", "resolve_callback"]


class AmbiguousTenant(RuntimeError):
    """Two tenants answer to one address: the message is set aside rather than given to either."""


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
    parsed = parse_button_data(data)
    if parsed is None:
        return None
    outbox_id, index = parsed
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
_consented = exists().where(
    consents.c.tenant_id == tenants.c.id, consents.c.scope == ADVISER_SCOPE, consents.c.withdrawn_at.is_(None)
)
# The tenant, their open case, their active conversation and their consent in one statement.
_TENANT = select(
    tenants.c.id,
    tenants.c.name,
    tenants.c.language,
    tenants.c.status,
    _open_case.with_only_columns(cases.c.id).scalar_subquery().label("case_id"),
    _open_case.with_only_columns(cases.c.status).scalar_subquery().label("case_status"),
    _active_conversation.scalar_subquery().label("conversation_id"),
    _consented.label("consented"),
)
# One address, one tenant: uq_tenants_phone_live and the unique telegram_chat_id make a second row impossible;
# two rows are read so that, should it happen anyway, the message fails loudly instead of going to either.
_TENANT_BY_PHONE = _TENANT.where(tenants.c.phone == bindparam("address"), tenants.c.status != "erased").limit(2)
_TENANT_BY_CHAT = _TENANT.where(tenants.c.telegram_chat_id == bindparam("address"), tenants.c.status != "erased").limit(
    2
)
_CONVERSATION_STATE = select(conversations.c.state).where(conversations.c.id == bindparam("conversation_id"))


class InboundHandler:
    """Handles one message at a time inside the caller's transaction; returns a result label for metrics."""

    def __init__(self, settings: Settings, *, telegram_on: bool | None = None) -> None:
        if not settings.secret_key:
            raise ConfigError("KEEPHOME_SECRET_KEY is missing: it keys the hashes kept of unknown senders")
        self._settings = settings
        self._secret = settings.secret_key
        self._telegram_on = settings.telegram_enabled if telegram_on is None else telegram_on
        self._tz = ZoneInfo(settings.timezone)
        self._flow_settings = settings.flow_settings()
        self._languages = tuple(settings.language_list)

    def handle(self, scene: Scene, row: InboundRow, now: datetime) -> str:
        """Apply one message; every write lands in the scene's transaction."""
        conn = scene.conn
        tenant = self._find_tenant(conn, row)
        if tenant is None:
            return self._stranger(scene, row, now)
        evidence = record_inbound(
            scene,
            now=now,
            tenant_id=tenant.id,
            case_id=tenant.case_id,
            channel=row.channel,
            provider_id=row.provider_id,
            text=row.text,
        )
        payload = row.payload or {}
        if row.channel == "telegram" and "start" in payload and not row.text:
            return "start"
        state = self._state(conn, tenant)
        turn = Turn(
            tenant_id=tenant.id,
            conversation_id=tenant.conversation_id,
            channel=row.channel,
            language=tenant.language,
            now=now,
            today=now.astimezone(self._tz).date(),
            key=f"in:{row.id}",
            evidence_id=evidence,
        )
        held = tenant.case_status in HELD_STATUSES
        result = command(row.text, self._facts(tenant, row, held, state), now)
        if result is not None:
            self._apply_command(scene, turn, result)
            return result.kind if result.kind == "stop_hint" else f"keyword_{result.kind}"
        if tenant.status != "active":
            return "ignored_inactive"
        if held:
            # A person holds the case: the message is theirs to answer, the bot stays quiet.
            status = "taken" if tenant.case_status == "waiting_tenant" else tenant.case_status
            conn.execute(update(cases).where(cases.c.id == tenant.case_id).values(status=status, updated_at=now))
            return "to_case"
        user_input = self._input(conn, row)
        if user_input is None:
            return "not_understood"
        self._converse(scene, turn, tenant, state, user_input)
        return "conversation"

    def _find_tenant(self, conn: Connection, row: InboundRow) -> Any | None:
        if row.channel != "telegram":
            found = conn.execute(_TENANT_BY_PHONE, {"address": row.sender}).all()
        else:
            try:
                chat = int(row.sender)
            except ValueError:
                return None
            found = conn.execute(_TENANT_BY_CHAT, {"address": chat}).all()
        if len(found) > 1:
            ids = " and ".join(str(tenant.id) for tenant in found)
            raise AmbiguousTenant(f"inbound {row.id}: tenants {ids} share one {row.channel} address")
        return found[0] if found else None

    def _state(self, conn: Connection, tenant: Any) -> State | None:
        if tenant.conversation_id is None:
            return None
        stored = conn.execute(_CONVERSATION_STATE, {"conversation_id": tenant.conversation_id}).scalar_one()
        state = State.load(stored)
        # The tenant may have switched language since the conversation began.
        return state if state.language == tenant.language else replace(state, language=tenant.language)

    def _facts(self, tenant: Any, row: InboundRow, held: bool, state: State | None) -> TenantFacts:
        return TenantFacts(
            first_name=first_name(tenant.name),
            language=tenant.language,
            channel=_channel(row),
            status=tenant.status,
            consented=bool(tenant.consented),
            held=held,
            conversation=state,
            languages=self._languages,
            telegram_on=self._telegram_on,
            settings=self._flow_settings,
        )

    def _apply_command(self, scene: Scene, turn: Turn, result: CommandResult) -> None:
        if result.resumed is not None and turn.conversation_id is not None:
            save_state(scene, turn, result.resumed)
        if result.started is not None:
            # The command's own short conversation (help, withdrawal, the Telegram offer); the open one waits on.
            started = replace(turn, conversation_id=None)
            turn = replace(started, conversation_id=save_state(scene, started, result.started))
        apply_events(scene, turn, result.events, self._settings)

    def _input(self, conn: Connection, row: InboundRow) -> Input | None:
        callback = (row.payload or {}).get("callback")
        if isinstance(callback, str):
            choice = resolve_callback(conn, callback)
            return ButtonPressed(choice, _channel(row)) if choice else None
        # A sticker, photo or voice message arrives without text: the flow treats it as an answer it cannot place.
        return TextReceived(row.text or "", _channel(row))

    def _converse(self, scene: Scene, turn: Turn, tenant: Any, state: State | None, user_input: Input) -> None:
        if state is not None:
            state, events = engine.resume(state, user_input, turn.now)
            save_state(scene, turn, state)
            apply_events(scene, turn, events, self._settings)
            return
        deadline = running_deadline_for(scene.conn, tenant.id, turn.today, self._settings.demand_delivery_days)
        name, language = first_name(tenant.name), tenant.language
        context = Context(name, language, _channel_of(turn), None, self._flow_settings, deadline)
        if isinstance(user_input, TextReceived):
            # Their first words may already say it ("jeg kan ikke betale"): heard at once, not asked again.
            state, events = engine.start_with_text("payment_check", context, turn.now, user_input.text)
        else:
            state, events = engine.start("payment_check", context, turn.now)
        turn = replace(turn, conversation_id=save_state(scene, turn, state))
        apply_events(scene, turn, events, self._settings)

    def _stranger(self, scene: Scene, row: InboundRow, now: datetime) -> str:
        today = now.astimezone(self._tz).date()
        if row.channel == "telegram":
            message = Unlinked(
                row.sender,
                row.text,
                row.payload or {},
                now,
                today,
                row.id,
                self._secret,
                self._settings.fallback_language,
                self._settings.link_failure_budget,
            )
            return handle_unlinked(scene, message)
        # At most one polite generic answer a day; nothing about any tenant is revealed or learnt.
        stranger = Stranger(scene.conn, stranger_key(self._secret, row.channel, row.sender))
        if not answer_once_today(scene.conn, stranger, today):
            return "unknown_quiet"
        enqueue(
            scene,
            now=now,
            channel=row.channel,
            template="unknown_number",
            values={},
            language=self._settings.fallback_language,
            idempotency_key=f"in:{row.id}:unknown",
            address=row.sender,
        )
        return "unknown_answered"


def _channel(row: InboundRow) -> Channel:
    return "telegram" if row.channel == "telegram" else "sms"


def _channel_of(turn: Turn) -> Channel:
    return "telegram" if turn.channel == "telegram" else "sms"
