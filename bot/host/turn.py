"""A turn: who and what one set of events belongs to, and the one writer of conversation rows."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, update

from bot.host.cases import BeforeOpening
from bot.store.scene import Scene
from bot.store.schema import conversations
from conversations.state import State

__all__ = ["StateShapes", "Turn", "save_state"]


@dataclass(frozen=True)
class Turn:
    """Who one set of events belongs to, where replies go, and the key that makes repeating it harmless."""

    tenant_id: int
    conversation_id: int | None
    channel: str  # where replies go
    language: str
    now: datetime
    today: date
    key: str  # idempotency prefix: the inbound id, the planned reminder, the timer
    proactive: bool = False
    not_before: datetime | None = None
    evidence_id: int | None = None  # the tenant's message this turn answers (kept as consent evidence)
    opening: BeforeOpening | None = None  # what opening a case needs, when it was read with the tenant

    def in_conversation(self, conversation_id: int | None) -> Turn:
        """This turn in another conversation. Built directly: `dataclasses.replace` costs several times more, and
        this runs for each message a tenant sends and each reminder a plan starts."""
        return Turn(
            tenant_id=self.tenant_id,
            conversation_id=conversation_id,
            channel=self.channel,
            language=self.language,
            now=self.now,
            today=self.today,
            key=self.key,
            proactive=self.proactive,
            not_before=self.not_before,
            evidence_id=self.evidence_id,
            opening=self.opening,
        )


# Built once: the statement is executed with parameters only.
_UPDATE = (
    update(conversations)
    .where(conversations.c.id == bindparam("conversation_id"))
    .values(version=conversations.c.version + 1)
)


class StateShapes:
    """Serialises many first turns cheaply: they differ only by first name, so the rest is built once."""

    def __init__(self) -> None:
        self._seen: dict[tuple[Any, ...], dict[str, Any]] = {}

    def data(self, state: State) -> dict[str, Any]:
        """The state as JSON data."""
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
            state.deadline,
        )
        base = self._seen.get(shape)
        if base is None:
            base = self._seen[shape] = replace(state, first_name="").to_dict()
        return {**base, "first_name": state.first_name}


def save_state(
    scene: Scene,
    turn: Turn,
    state: State,
    trigger: str | None = None,
    shapes: StateShapes | None = None,
) -> int:
    """Write the conversation of this turn (a new row when the turn has none yet); returns its id."""
    facts = {
        "state": shapes.data(state) if shapes is not None else state.to_dict(),
        "active": not state.ended,
        "waiting_until": None if state.ended else state.waiting_until,
        "ended_reason": state.end_reason,
        "updated_at": turn.now,
    }
    if turn.conversation_id is None:
        conversation_id = scene.next_id(conversations)
        row = {
            "id": conversation_id,
            "tenant_id": turn.tenant_id,
            "flow": state.flow,
            "trigger": trigger,
            "version": 1,
            "started_at": turn.now,
            **facts,
        }
        scene.add((conversations, row))
        return conversation_id
    pending = scene.pending_row(conversations, turn.conversation_id)
    if pending is not None:
        pending.update(facts, version=pending["version"] + 1)
    else:
        # Written with the scene's rows: a batch of turns costs one executemany, not one statement each.
        scene.change(_UPDATE, {**facts, "conversation_id": turn.conversation_id})
    return turn.conversation_id
