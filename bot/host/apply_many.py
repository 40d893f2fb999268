"""Writes the first turns of many conversations with a few multi-row statements instead of one per tenant."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection, Table

from bot.host.apply import Turn, apply_events
from bot.store.schema import conversations, messages, outbox
from conversations.model import AnswerRecorded, ConversationEnded, Event, MessageRequested
from conversations.state import State
from conversations.values import encode_values

__all__ = ["apply_many", "insert_conversations"]


def insert_conversations(
    conn: Connection, turns: Sequence[Turn], states: Sequence[State], triggers: Sequence[str | None]
) -> list[Turn]:
    """Insert one conversation row per state; returns the turns with their new conversation ids."""
    if not turns:
        return []
    shapes: dict[tuple[Any, ...], dict[str, Any]] = {}
    params = [
        {
            "tenant_id": turn.tenant_id,
            "flow": state.flow,
            "trigger": trigger,
            "state": _state_data(state, shapes),
            "active": not state.ended,
            "waiting_until": None if state.ended else state.waiting_until,
            "ended_reason": state.end_reason,
            "version": 1,
            "started_at": turn.now,
            "updated_at": turn.now,
        }
        for turn, state, trigger in zip(turns, states, triggers, strict=True)
    ]
    ids = _insert_by_tenant(conn, conversations, params)
    return [replace(turn, conversation_id=cid) for turn, cid in zip(turns, ids, strict=True)]


def _insert_by_tenant(conn: Connection, table: Table, params: Sequence[dict[str, Any]]) -> list[int]:
    """Multi-row inserts returning the new ids in the order of `params`.

    SQLite can only keep RETURNING in parameter order one row at a time, so each statement holds at most
    one row per tenant and the ids are matched back by tenant.
    """
    ids: list[int] = [0] * len(params)
    pending = list(range(len(params)))
    while pending:
        round_: list[int] = []
        later: list[int] = []
        seen: set[Any] = set()
        for i in pending:
            tenant_id = params[i]["tenant_id"]
            (later if tenant_id in seen else round_).append(i)
            seen.add(tenant_id)
        stmt = table.insert().returning(table.c.id, table.c.tenant_id)
        found = {int(t): int(i) for i, t in conn.execute(stmt, [params[i] for i in round_])}
        for i in round_:
            ids[i] = found[params[i]["tenant_id"]]
        pending = later
    return ids


def _state_data(state: State, shapes: dict[tuple[Any, ...], dict[str, Any]]) -> dict[str, Any]:
    """The state as JSON data; first turns differ only by first name, so the rest is serialised once."""
    shape = (
        state.flow,
        state.flow_version,
        state.step,
        state.language,
        state.channel,
        state.trigger,
        state.settings,
        tuple(state.data.items()),
        state.retries,
        state.nudged,
        state.waiting_until,
        state.expires_at,
        state.ended,
        state.end_reason,
    )
    base = shapes.get(shape)
    if base is None:
        base = shapes[shape] = replace(state, first_name="").to_dict()
    return {**base, "first_name": state.first_name}


def _only_messages(events: Sequence[Event]) -> bool:
    return all(isinstance(e, MessageRequested | AnswerRecorded | ConversationEnded) for e in events)


def apply_many(conn: Connection, items: Sequence[tuple[Turn, Sequence[Event]]]) -> None:
    """Like `apply_events` for each item; turns that only ask questions share a few multi-row inserts."""
    queued: list[tuple[Turn, int, MessageRequested]] = []
    for turn, events in items:
        if not _only_messages(events):
            apply_events(conn, turn, events)
            continue
        queued.extend((turn, index, e) for index, e in enumerate(events) if isinstance(e, MessageRequested))
    if not queued:
        return
    message_params: list[dict[str, Any]] = [
        {
            "tenant_id": turn.tenant_id,
            "conversation_id": turn.conversation_id,
            "case_id": None,
            "direction": "out",
            "channel": turn.channel,
            "text": None,
            "template": event.template,
            "author": "bot",
            "status": "queued",
            "status_rank": 0,
            "proactive": turn.proactive,
            "created_at": turn.now,
            "updated_at": turn.now,
        }
        for turn, _, event in queued
    ]
    message_ids = _insert_by_tenant(conn, messages, message_params)
    outbox_params: list[dict[str, Any]] = []
    for (turn, index, event), message_id in zip(queued, message_ids, strict=True):
        start = turn.not_before or turn.now
        outbox_params.append(
            {
                "message_id": message_id,
                "tenant_id": turn.tenant_id,
                "address": None,
                "channel": turn.channel,
                "template": event.template,
                "values": encode_values(dict(event.values)),
                "choices": [[c.key, c.label] for c in event.choices] or None,
                "language": turn.language,
                "proactive": turn.proactive,
                "not_before": start,
                "attempts": 0,
                "next_attempt_at": start,
                "idempotency_key": f"{turn.key}:{index}",
                "state": "pending",
                "created_at": turn.now,
            }
        )
    conn.execute(outbox.insert(), outbox_params)
