"""claim_withdrawn: the tenant says they cannot pay, or have not paid after all; a promise or an "I have paid" they
gave before ends, so the reminders it held go again and the console stops showing it."""

from __future__ import annotations

from bot.host.handlers.promise_recorded import keep
from bot.host.turn import Turn
from bot.settings import Settings
from bot.store.scene import Scene
from conversations.model import ClaimWithdrawn

__all__ = ["handle"]


def handle(scene: Scene, turn: Turn, event: ClaimWithdrawn, index: int, settings: Settings) -> Turn:
    """End the promised day and the paid claim on the rent position (written where a promise is)."""
    keep(scene, turn.tenant_id, None)
    return turn
