"""Moves waiting conversations along without the tenant: a nudge, giving up, or a balance that was paid."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, exists, select, update

from bot.host.cases import HELD_STATUSES
from bot.host.handlers import apply_events
from bot.host.turn import Turn, save_state
from bot.reminders.reads import chunked
from bot.reminders.send_window import proactive_not_before
from bot.settings import Settings
from bot.store.db import Database
from bot.store.message_status import hold_unsent
from bot.store.scene import Scene
from bot.store.schema import cases, conversations, messages, outbox, rent_positions, tenants
from conversations import engine
from conversations.model import FactReported, Input, MessageRequested, WaitExpired
from conversations.state import State

__all__ = ["balance_updated", "expire_waiting"]

log = logging.getLogger(__name__)


_held = exists().where(cases.c.tenant_id == conversations.c.tenant_id, cases.c.status.in_(HELD_STATUSES))


def _resume(
    scene: Scene,
    row: Any,
    user_input: Input,
    key: str,
    now: datetime,
    settings: Settings,
    *,
    quietly: bool = False,
) -> None:
    state = State.load(row.state)
    new_state, events = engine.resume(state, user_input, now)
    if quietly:
        events = [e for e in events if not isinstance(e, MessageRequested)]
    turn = Turn(
        tenant_id=row.tenant_id,
        conversation_id=row.id,
        channel=state.channel,
        language=row.language,
        now=now,
        today=now.astimezone(ZoneInfo(settings.timezone)).date(),
        key=key,
        proactive=True,
        not_before=proactive_not_before(scene.conn, row.tenant_id, now, settings) if events else None,
    )
    save_state(scene, turn, new_state)
    apply_events(scene, turn, events, settings)


def _hold_unsent(conn: Connection, conversation_id: int, now: datetime) -> bool:
    """Hold the conversation's messages that have not left yet; True when none of its messages had left."""
    rows = conn.execute(
        select(outbox.c.id, outbox.c.message_id, outbox.c.state, outbox.c.lease_until)
        .join(messages, messages.c.id == outbox.c.message_id)
        .where(messages.c.conversation_id == conversation_id)
    ).all()
    # A leased row may be with the provider right now: it counts as gone.
    unsent = [r for r in rows if r.state == "pending" and (r.lease_until is None or r.lease_until < now)]
    if unsent:
        hold_unsent(conn, outbox.c.id.in_([r.id for r in unsent]), "balance cleared", now)
    return len(unsent) == len(rows)


# What resuming a conversation without the tenant needs to know about it.
_WAITING = (
    conversations.c.id,
    conversations.c.tenant_id,
    conversations.c.state,
    conversations.c.version,
    tenants.c.language,
)


def _expire_batch(conn: Connection, now: datetime, settings: Settings, is_sqlite: bool, batch: int) -> int:
    stmt = (
        select(*_WAITING, tenants.c.status, _held.label("held"))
        .join(tenants, tenants.c.id == conversations.c.tenant_id)
        .where(conversations.c.active.is_(True), conversations.c.waiting_until <= now)
        .order_by(conversations.c.waiting_until, conversations.c.id)
        .limit(batch)
    )
    if not is_sqlite:
        stmt = stmt.with_for_update(skip_locked=True, of=conversations)
    rows = (conn.execute(stmt)).all()
    for row in rows:
        if row.status != "active":
            # Opted out or wrong number meanwhile: end quietly, nothing more goes to them.
            conn.execute(
                update(conversations)
                .where(conversations.c.id == row.id)
                .values(active=False, waiting_until=None, ended_reason=str(row.status)[:40], updated_at=now)
            )
            continue
        # While a person holds the case the bot does not nudge; the conversation ends as handed off. A question the
        # adviser asked (a consent to share) is nudged and given up like any other.
        held = row.held and not engine.answers_while_held(State.load(row.state))
        user_input: Input = FactReported("case_taken") if held else WaitExpired()
        _resume(Scene.of(conn), row, user_input, f"wait:{row.id}:{row.version}", now, settings)
    return len(rows)


async def expire_waiting(db: Database, now: datetime, settings: Settings, batch: int = 200) -> int:
    """Resume every conversation whose wait ran out with WaitExpired: a nudge first, then giving up."""
    total = 0
    while True:
        handled = await db.run(_expire_batch, now, settings, db.is_sqlite, batch)
        total += handled
        if handled < batch:
            break
    if total:
        log.info("resumed %s waiting conversations", total)
    return total


def balance_updated(conn: Connection, tenant_ids: Iterable[int], now: datetime, settings: Settings) -> int:
    """For tenants whose balance is now 0, end their waiting reminder conversation with a thank-you.

    Messages of that conversation not sent yet are held; when the tenant heard nothing of it at all, the
    conversation ends without a word.
    """
    ids = sorted(set(tenant_ids))
    handled = 0
    for part in chunked(ids):
        stmt = (
            select(*_WAITING)
            .join(tenants, tenants.c.id == conversations.c.tenant_id)
            .join(rent_positions, rent_positions.c.tenant_id == conversations.c.tenant_id)
            .where(
                conversations.c.tenant_id.in_(part),
                conversations.c.active.is_(True),
                conversations.c.trigger.is_not(None),
                and_(rent_positions.c.balance_ore <= 0, tenants.c.status == "active"),
                ~_held,
            )
        )
        for row in (conn.execute(stmt)).all():
            # A question still waiting for the morning is taken back, and then there is nothing to thank for.
            unheard = _hold_unsent(conn, row.id, now)
            key = f"fact:{row.id}:{row.version}"
            _resume(Scene.of(conn), row, FactReported("balance_cleared"), key, now, settings, quietly=unheard)
            handled += 1
    return handled
