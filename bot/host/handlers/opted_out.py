"""opted_out: the tenant said STOP; nothing proactive reaches them any more."""

from __future__ import annotations

from bot.host.turn import Turn
from bot.settings import Settings
from bot.store.scene import Scene
from bot.tenants.status import set_status
from conversations.model import OptedOut

__all__ = ["handle"]


def handle(scene: Scene, turn: Turn, event: OptedOut, index: int, settings: Settings) -> Turn:
    """Stop the tenant (the one writer of tenant status ends the conversation and holds what is queued)."""
    scene.flush()  # queued rows of this batch are held too
    # Only a tenant who gets messages: a number reported wrong stays wrong (its STOP is no reason to lose sight of it
    # on the admins' list, and its START must not bring messages back to a stranger).
    set_status(scene.conn, turn.tenant_id, "stopped", turn.now, only_from=("active",))
    return turn
