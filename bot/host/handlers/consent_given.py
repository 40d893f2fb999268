"""consent_given: the tenant's yes, with its wording version, time and the message that said it."""

from __future__ import annotations

from sqlalchemy import bindparam, update

from bot.host.cases import ADVISER_SCOPE, OPEN_STATUSES, among
from bot.host.turn import Turn
from bot.settings import Settings
from bot.store.scene import Scene
from bot.store.schema import cases, consents
from conversations.model import ConsentGiven

__all__ = ["handle"]

# Built once: a turn only fills in the values.
_GIVEN = consents.insert()
_CONSENTED = (
    update(cases)
    .where(cases.c.tenant_id == bindparam("tenant"), among(cases.c.status, OPEN_STATUSES))
    .values(consented=True, updated_at=bindparam("now", type_=cases.c.updated_at.type))
)


def handle(scene: Scene, turn: Turn, event: ConsentGiven, index: int, settings: Settings) -> Turn:
    """Record the consent; an open case may show the tenant's replies from now on."""
    # The evidence message is still in the scene: write it first, so the consent can point at it.
    scene.flush()
    given = {
        "tenant_id": turn.tenant_id,
        "scope": event.scope,
        "wording_version": event.wording_version,
        "given_at": turn.now,
        "evidence_message_id": turn.evidence_id,
    }
    scene.conn.execute(_GIVEN, given)
    if event.scope == ADVISER_SCOPE:
        scene.conn.execute(_CONSENTED, {"tenant": turn.tenant_id, "now": turn.now})
    return turn
