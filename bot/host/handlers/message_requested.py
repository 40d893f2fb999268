"""message_requested: queue the message on the turn's channel, in the turn's language."""

from __future__ import annotations

from bot.host.turn import Turn
from bot.outbox.enqueue import enqueue
from bot.settings import Settings
from bot.store.scene import Scene
from conversations.model import MessageRequested

__all__ = ["handle"]


def handle(scene: Scene, turn: Turn, event: MessageRequested, index: int, settings: Settings) -> Turn:
    """Add the message and its outbox row to the scene."""
    enqueue(
        scene,
        now=turn.now,
        channel=turn.channel,
        template=event.template,
        values=event.values,
        choices=[(c.key, c.label) for c in event.choices],
        language=turn.language,
        idempotency_key=f"{turn.key}:{index}",
        tenant_id=turn.tenant_id,
        conversation_id=turn.conversation_id,
        proactive=turn.proactive,
        not_before=turn.not_before,
    )
    return turn
