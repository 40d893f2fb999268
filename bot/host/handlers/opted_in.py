"""opted_in: the tenant said START; reminders may reach them again."""

from __future__ import annotations

from bot.host.turn import Turn
from bot.settings import Settings
from bot.store.scene import Scene
from bot.tenants.status import set_status
from conversations.model import OptedIn

__all__ = ["handle"]


def handle(scene: Scene, turn: Turn, event: OptedIn, index: int, settings: Settings) -> Turn:
    """Make the tenant active again."""
    set_status(scene.conn, turn.tenant_id, "active", turn.now, only_from=("stopped", "active"))
    return turn
