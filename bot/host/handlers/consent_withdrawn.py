"""consent_withdrawn: the consent ends at once; open cases stop showing the tenant's replies."""

from __future__ import annotations

from sqlalchemy import and_, update

from bot.host.cases import ADVISER_SCOPE, OPEN_STATUSES
from bot.host.turn import Turn
from bot.settings import Settings
from bot.store.scene import Scene
from bot.store.schema import cases, consents
from conversations.model import ConsentWithdrawn

__all__ = ["handle"]


def handle(scene: Scene, turn: Turn, event: ConsentWithdrawn, index: int, settings: Settings) -> Turn:
    """Stamp the withdrawal on the standing consents of that scope; open cases stop showing the replies."""
    scene.conn.execute(
        update(consents)
        .where(
            consents.c.tenant_id == turn.tenant_id,
            consents.c.scope == event.scope,
            consents.c.withdrawn_at.is_(None),
        )
        .values(withdrawn_at=turn.now)
    )
    if event.scope == ADVISER_SCOPE:
        open_cases = and_(cases.c.tenant_id == turn.tenant_id, cases.c.status.in_(OPEN_STATUSES))
        scene.conn.execute(update(cases).where(open_cases).values(consented=False, updated_at=turn.now))
    return turn
