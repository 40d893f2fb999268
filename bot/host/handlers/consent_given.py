"""consent_given: the tenant's yes, with its wording version, time and the message that said it."""

from __future__ import annotations

from sqlalchemy import and_, update

from bot.host.cases import ADVISER_SCOPE, OPEN_STATUSES
from bot.host.turn import Turn
from bot.settings import Settings
from bot.store.scene import Scene
from bot.store.schema import cases, consents
from conversations.model import ConsentGiven

__all__ = ["handle"]


def handle(scene: Scene, turn: Turn, event: ConsentGiven, index: int, settings: Settings) -> Turn:
    """Record the consent; an open case may show the tenant's replies from now on."""
    # The evidence message is still in the scene: write it first, so the consent can point at it.
    scene.flush()
    scene.conn.execute(
        consents.insert().values(
            tenant_id=turn.tenant_id,
            scope=event.scope,
            wording_version=event.wording_version,
            given_at=turn.now,
            evidence_message_id=turn.evidence_id,
        )
    )
    if event.scope == ADVISER_SCOPE:
        open_cases = and_(cases.c.tenant_id == turn.tenant_id, cases.c.status.in_(OPEN_STATUSES))
        scene.conn.execute(update(cases).where(open_cases).values(consented=True, updated_at=turn.now))
    return turn
