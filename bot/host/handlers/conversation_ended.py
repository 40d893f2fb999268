"""conversation_ended: nothing to write; the saved state says the conversation is over and why."""

from __future__ import annotations

from bot.host.turn import Turn
from bot.settings import Settings
from bot.store.scene import Scene
from conversations.model import ConversationEnded

__all__ = ["handle"]


def handle(scene: Scene, turn: Turn, event: ConversationEnded, index: int, settings: Settings) -> Turn:
    """The conversation row is written with the state (inactive, with its reason)."""
    return turn
