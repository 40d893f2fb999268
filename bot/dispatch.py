"""Handles committed inbound messages once each, in order: keywords first, then the conversation."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, exists, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import linking
from bot.apply import Turn, active_conversation, apply_events, save_state, withdraw_consent
from bot.cases import HELD_STATUSES, open_case_for
from bot.db import Database
from bot.metrics import Metrics
from bot.outbox import enqueue
from bot.schema import audit_log, cases, inbound, messages, outbox, tenants, unknown_senders
from bot.settings import Settings
from conversations import engine
from conversations.keywords import Keyword, classify, looks_like_stop_wish
from conversations.model import (
    ButtonPressed,
    Channel,
    Context,
    FlowSettings,
    Input,
    TextReceived,
)
from conversations.state import State

__all__ = ["Processor", "flow_settings"]

log = logging.getLogger(__name__)

# Always-on keywords: they work even while an adviser holds the case.
ALWAYS_ON = ("opt_out", "opt_in", "language", "withdraw_consent")


def flow_settings(settings: Settings) -> FlowSettings:
    """The part of the settings a conversation needs."""
    return FlowSettings(
        paid_pause_days=settings.paid_pause_days,
        nudge_after_hours=settings.nudge_after_hours,
        give_up_after_hours=settings.give_up_after_hours,
        consent_wording_version=settings.consent_wording_version,
        timezone=settings.timezone,
    )


@dataclass(frozen=True)
class _Row:
    id: int
    channel: str
    provider_id: str
    sender: str
    text: str | None
    payload: dict[str, Any] | None


class _RowFailed(Exception):
    """A row could not be handled in a batch without savepoints."""


class Processor:
    """Works through committed inbound rows; every decision lands in the same transaction."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        clock: Callable[[], datetime],
        metrics: Metrics,
        on_enqueued: Callable[[], None] = lambda: None,
        batch: int = 200,
        budget: float = 0.02,
    ) -> None:
        self._db = db
        self._budget = budget
        self._settings = settings
        self._clock = clock
        self._metrics = metrics
        self._on_enqueued = on_enqueued
        self._batch = batch
        self._tz = ZoneInfo(settings.timezone)
        self._flow_settings = flow_settings(settings)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """New inbound rows were committed."""
        self._wake.set()

    async def start(self, poll: float = 1.0) -> None:
        """Run the processing loop in the background."""
        if self._task is None:
            self._task = asyncio.create_task(self._loop(poll), name="inbound-processor")

    async def stop(self) -> None:
        """Stop processing; unprocessed rows stay in the table for the next start."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self, poll: float) -> None:
        while True:
            try:
                handled = await self.process_pending()
            except Exception:
                log.exception("inbound processing failed")
                handled = 0
            if handled == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), poll)
                self._wake.clear()
            else:
                # Let a webhook waiting for the single writer connection commit before the next batch.
                await asyncio.sleep(0)

    async def process_all(self) -> int:
        """Process until nothing is pending (tests and the CLI)."""
        total = 0
        while (n := await self.process_pending()) > 0:
            total += n
        return total

    async def process_pending(self) -> int:
        """Process one batch in one transaction; returns how many rows were handled."""
        now = self._clock()
        pending = select(
            inbound.c.id,
            inbound.c.channel,
            inbound.c.provider_id,
            inbound.c.sender,
            inbound.c.text,
            inbound.c.payload,
        ).where(inbound.c.processed_at.is_(None))
        if not self._db.is_sqlite:
            # Several processes share the table: skip rows another holds, and never take a message
            # while an earlier one from the same sender is still waiting (order per tenant).
            earlier = inbound.alias("earlier")
            pending = pending.where(
                ~exists().where(
                    and_(
                        earlier.c.channel == inbound.c.channel,
                        earlier.c.sender == inbound.c.sender,
                        earlier.c.processed_at.is_(None),
                        earlier.c.id < inbound.c.id,
                    )
                )
            ).with_for_update(skip_locked=True)
        pending = pending.order_by(inbound.c.id).limit(self._batch)
        try:
            results = await self._run_batch(pending, now, isolate=False)
        except _RowFailed:
            # One row raised and the whole transaction rolled back: redo the batch with a savepoint per
            # row, so only that row is set aside. Savepoints cost two statements a row, hence only now.
            results = await self._run_batch(pending, now, isolate=True)
        for channel, result in results:
            self._metrics.inbound.labels(channel, result).inc()
        if results:
            self._on_enqueued()
        return len(results)

    async def _run_batch(self, pending: Select[Any], now: datetime, *, isolate: bool) -> list[tuple[str, str]]:
        """Handle a prefix of the pending rows in one transaction; returns (channel, result) per row."""
        started = time.monotonic()
        results: list[tuple[str, str]] = []
        done: list[int] = []
        async with self._db.write() as conn:
            rows = [_Row(*r) for r in (await conn.execute(pending)).all()]
            for row in rows:
                if isolate:
                    try:
                        async with conn.begin_nested():
                            result = await self._handle(conn, row, now)
                    except Exception:
                        log.exception("inbound %s could not be handled; kept for the log", row.id)
                        result = "error"
                else:
                    try:
                        result = await self._handle(conn, row, now)
                    except Exception as exc:
                        raise _RowFailed(row.id) from exc
                results.append((row.channel, result))
                done.append(row.id)
                # The writer is shared with the webhooks' group commit: hold it only briefly.
                if time.monotonic() - started > self._budget:
                    break
            if done:
                await conn.execute(update(inbound).where(inbound.c.id.in_(done)).values(processed_at=now))
        return results

    async def _handle(self, conn: AsyncConnection, row: _Row, now: datetime) -> str:
        tenant = await self._find_tenant(conn, row)
        if tenant is None:
            if row.channel == "telegram":
                return await self._unlinked_telegram(conn, row, now)
            return await self._unknown_sms(conn, row, now)
        case = await open_case_for(conn, tenant.id)
        await conn.execute(
            messages.insert().values(
                tenant_id=tenant.id,
                case_id=case.id if case is not None else None,
                direction="in",
                channel=row.channel,
                provider_id=row.provider_id,
                text=row.text,
                author="tenant",
                status="received",
                status_rank=0,
                created_at=now,
                updated_at=now,
            )
        )
        payload = row.payload or {}
        if row.channel == "telegram" and "start" in payload and not row.text:
            return "start"
        keyword = classify(row.text, self._settings.language_list) if row.text else None
        held = case if case is not None and case.status in HELD_STATUSES else None
        if keyword is not None and (held is None or keyword.kind in ALWAYS_ON):
            answered = await self._keyword(conn, row, tenant, keyword, now)
            if answered:
                return f"keyword_{keyword.kind}"
        if tenant.status != "active":
            return "ignored_inactive"
        if held is not None:
            if held.status == "waiting_tenant":
                await conn.execute(update(cases).where(cases.c.id == held.id).values(status="taken", updated_at=now))
            await conn.execute(update(cases).where(cases.c.id == held.id).values(updated_at=now))
            return "to_case"
        if row.text and looks_like_stop_wish(row.text):
            await self._reply(conn, row, tenant, "keyword.stop_hint", now)
            return "stop_hint"
        user_input = await self._input(conn, row)
        if user_input is None:
            return "not_understood"
        await self._converse(conn, row, tenant, user_input, now)
        return "conversation"

    async def _input(self, conn: AsyncConnection, row: _Row) -> Input | None:
        channel: Channel = "telegram" if row.channel == "telegram" else "sms"
        payload = row.payload or {}
        callback = payload.get("callback")
        if isinstance(callback, str):
            choice = await resolve_callback(conn, callback)
            return ButtonPressed(choice, channel) if choice else None
        if row.text:
            return TextReceived(row.text, channel)
        # A sticker, photo or voice message: the flow treats it like an answer it cannot place.
        return TextReceived("", channel)

    async def _converse(self, conn: AsyncConnection, row: _Row, tenant: Any, user_input: Input, now: datetime) -> None:
        current = await active_conversation(conn, tenant.id)
        channel: Channel = "telegram" if row.channel == "telegram" else "sms"
        turn = self._turn(tenant, row, now, current.id if current is not None else None)
        if current is not None:
            state = State.from_json(_json(current.state))
            if tenant.language != state.language:
                state = _with_language(state, tenant.language)
            state, events = engine.resume(state, user_input, now)
            await save_state(conn, turn, state)
            await apply_events(conn, turn, events)
            return
        context = Context(
            first_name=first_name(tenant.name),
            language=tenant.language,
            channel=channel,
            trigger=None,
            settings=self._flow_settings,
        )
        state, events = engine.start("payment_check", context, now)
        conv_id = await save_state(conn, turn, state)
        await apply_events(conn, _replace_conversation(turn, conv_id), events)

    def _turn(self, tenant: Any, row: _Row, now: datetime, conversation_id: int | None) -> Turn:
        return Turn(
            tenant_id=tenant.id,
            conversation_id=conversation_id,
            channel=row.channel,
            language=tenant.language,
            now=now,
            today=now.astimezone(self._tz).date(),
            key=f"in:{row.id}",
            link_code_minutes=self._settings.link_code_minutes,
        )

    async def _keyword(self, conn: AsyncConnection, row: _Row, tenant: Any, kw: Keyword, now: datetime) -> bool:
        """Apply a keyword; False when it is really an answer to the open question."""
        match kw.kind:
            case "opt_out":
                if tenant.status == "stopped":
                    return True  # confirmed once already
                await self._set_status(conn, tenant.id, "stopped", now)
                await self._end_conversation(conn, tenant.id, "opted_out", now)
                await self._reply(conn, row, tenant, "keyword.opted_out", now)
            case "opt_in":
                if tenant.status in ("stopped", "active"):
                    await self._set_status(conn, tenant.id, "active", now)
                    await self._reply(conn, row, tenant, "keyword.opted_in", now, force=True)
            case "wrong_number":
                await self._reply(conn, row, tenant, "keyword.wrong_number", now)
                await self._set_status(conn, tenant.id, "wrong_number", now)
                await self._end_conversation(conn, tenant.id, "wrong_number", now)
                # The housing organisation sees this in the console and the audit log.
                await conn.execute(
                    audit_log.insert().values(
                        at=now, actor="system", action="tenant.wrong_number", target=f"tenant:{tenant.id}"
                    )
                )
            case "help":
                current = await active_conversation(conn, tenant.id)
                if current is not None and engine.accepts_help_word(State.from_json(_json(current.state))):
                    return False
                await self._reply(conn, row, tenant, "keyword.help", now)
            case "language":
                if kw.language and kw.language in self._settings.language_list:
                    await conn.execute(
                        update(tenants).where(tenants.c.id == tenant.id).values(language=kw.language, updated_at=now)
                    )
                    await self._reply(conn, row, tenant, "keyword.language_changed", now, language=kw.language)
            case "withdraw_consent":
                await withdraw_consent(conn, tenant.id, now)
                await self._reply(conn, row, tenant, "consent.withdrawn", now)
        return True

    async def _reply(
        self,
        conn: AsyncConnection,
        row: _Row,
        tenant: Any,
        template: str,
        now: datetime,
        *,
        language: str | None = None,
        force: bool = False,
    ) -> None:
        await enqueue(
            conn,
            now=now,
            channel=row.channel,
            template=template,
            values={},
            language=language or tenant.language,
            idempotency_key=f"in:{row.id}:{template}",
            tenant_id=tenant.id,
        )

    async def _set_status(self, conn: AsyncConnection, tenant_id: int, status: str, now: datetime) -> None:
        await conn.execute(update(tenants).where(tenants.c.id == tenant_id).values(status=status, updated_at=now))
        if status != "active":
            # Nothing proactive may leave for this tenant any more, including what is already queued.
            await conn.execute(
                update(outbox)
                .where(outbox.c.tenant_id == tenant_id, outbox.c.state == "pending", outbox.c.proactive.is_(True))
                .values(state="held", last_error=status)
            )

    async def _end_conversation(self, conn: AsyncConnection, tenant_id: int, reason: str, now: datetime) -> None:
        from bot.schema import conversations

        await conn.execute(
            update(conversations)
            .where(conversations.c.tenant_id == tenant_id, conversations.c.active.is_(True))
            .values(active=False, waiting_until=None, ended_reason=reason, updated_at=now)
        )

    async def _find_tenant(self, conn: AsyncConnection, row: _Row) -> Any | None:
        if row.channel == "telegram":
            try:
                chat_id = int(row.sender)
            except ValueError:
                return None
            where = tenants.c.telegram_chat_id == chat_id
        else:
            where = tenants.c.phone == row.sender
        return (await conn.execute(select(tenants).where(where, tenants.c.status != "erased").limit(1))).first()

    def _address_hash(self, address: str) -> str:
        key = (self._settings.secret_key or "keephome").encode()
        return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()

    async def _unknown_sms(self, conn: AsyncConnection, row: _Row, now: datetime) -> str:
        """At most one polite generic answer a day; nothing about any tenant is revealed or learnt."""
        today = now.astimezone(self._tz).date()
        if not await self._once_today(conn, row.sender, today):
            return "unknown_quiet"
        await enqueue(
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

    async def _once_today(self, conn: AsyncConnection, address: str, today: date) -> bool:
        key = self._address_hash(address)
        seen = (await conn.execute(select(unknown_senders).where(unknown_senders.c.address_hash == key))).first()
        if seen is not None and seen.last_answered_on == today:
            return False
        insert = sqlite.insert if self._db.is_sqlite else postgresql.insert
        await conn.execute(
            insert(unknown_senders)
            .values(address_hash=key, last_answered_on=today, failed_codes=0)
            .on_conflict_do_update(index_elements=["address_hash"], set_={"last_answered_on": today})
        )
        return True

    async def _unlinked_telegram(self, conn: AsyncConnection, row: _Row, now: datetime) -> str:
        from bot.telegram_linking import handle_unlinked

        return await handle_unlinked(conn, row.sender, row.text, row.payload or {}, now, self._settings, row.id)


async def resolve_callback(conn: AsyncConnection, data: str) -> str | None:
    """Turn a button's opaque callback data (`<outbox id>.<index>`) into the choice key it stood for."""
    try:
        outbox_id, index = (int(part) for part in data.split(".", 1))
    except ValueError:
        return None
    row = (await conn.execute(select(outbox.c.choices).where(outbox.c.id == outbox_id))).first()
    if row is None:
        return None
    choices = row[0]
    if not isinstance(choices, list) or not 0 <= index < len(choices):
        return None
    return str(choices[index][0])


def first_name(name: str) -> str:
    """The first word of a tenant's name, as messages greet them."""
    return name.split()[0] if name.split() else name


def _json(value: Any) -> str:
    import json

    return value if isinstance(value, str) else json.dumps(value)


def _with_language(state: State, language: str) -> State:
    from dataclasses import replace

    return replace(state, language=language)


def _replace_conversation(turn: Turn, conversation_id: int) -> Turn:
    from dataclasses import replace

    return replace(turn, conversation_id=conversation_id)


__all__ += ["first_name", "resolve_callback"]
_ = linking
