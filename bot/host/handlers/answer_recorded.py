"""answer_recorded: nothing to write; answers live in the conversation state, read by the adviser with consent."""

from __future__ import annotations

from bot.host.turn import Turn
from bot.settings import Settings
from bot.store.scene import Scene
from conversations.model import AnswerRecorded

__all__ = ["handle"]


def handle(scene: Scene, turn: Turn, event: AnswerRecorded, index: int, settings: Settings) -> Turn:
    """The state saved with the turn already holds the answer."""
    return turn
