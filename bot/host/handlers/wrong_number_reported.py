"""wrong_number_reported: the number is not the tenant's; no more messages to it, and the organisation is told."""

from __future__ import annotations

from bot.host.notices import notify_wrong_number
from bot.host.turn import Turn
from bot.settings import Settings
from bot.store.scene import Scene
from bot.store.schema import audit_log
from bot.tenants.status import set_status
from conversations.model import WrongNumberReported

__all__ = ["handle"]


def handle(scene: Scene, turn: Turn, event: WrongNumberReported, index: int, settings: Settings) -> Turn:
    """Mark the number wrong; the console's admin page lists it, admins who asked for notices hear it on Telegram,
    and the audit log says when."""
    scene.flush()  # queued rows of this batch are held too
    set_status(scene.conn, turn.tenant_id, "wrong_number", turn.now)
    entry = {"at": turn.now, "actor": "system", "action": "tenant.wrong_number", "target": f"tenant:{turn.tenant_id}"}
    scene.add((audit_log, {**entry, "detail": None}))
    notify_wrong_number(scene, turn.tenant_id, turn.now, settings.public_url)
    return turn
