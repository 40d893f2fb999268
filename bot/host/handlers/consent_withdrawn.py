"""consent_withdrawn: every standing consent ends at once; open cases lose the tenant's replies."""

from __future__ import annotations

from sqlalchemy import update

from bot.host.turn import Turn
from bot.settings import Settings
from bot.store.scene import Scene
from bot.store.schema import cases, consents
from conversations.model import ConsentWithdrawn

__all__ = ["handle"]


def handle(scene: Scene, turn: Turn, event: ConsentWithdrawn, index: int, settings: Settings) -> Turn:
    """Stamp the withdrawal on every consent not withdrawn yet."""
    scene.conn.execute(
        update(consents)
        .where(consents.c.tenant_id == turn.tenant_id, consents.c.withdrawn_at.is_(None))
        .values(withdrawn_at=turn.now)
    )
    scene.conn.execute(
        update(cases).where(cases.c.tenant_id == turn.tenant_id).values(consented=False, updated_at=turn.now)
    )
    return turn
