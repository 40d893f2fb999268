"""language_changed: the tenant's language from now on; the rest of the turn speaks it already."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import bindparam, update

from bot.host.turn import Turn
from bot.settings import Settings
from bot.store.scene import Scene
from bot.store.schema import tenants
from conversations.model import LanguageChanged

__all__ = ["handle"]

# Built once: a turn only fills in the values.
_STORE = (
    update(tenants)
    .where(tenants.c.id == bindparam("tenant"))
    .values(
        language=bindparam("new_language", type_=tenants.c.language.type),
        # The tenant's own choice: an import of the organisation's file keeps it (bot/tenants/upsert.py).
        language_chosen_at=bindparam("now", type_=tenants.c.language_chosen_at.type),
        updated_at=bindparam("now", type_=tenants.c.updated_at.type),
    )
)


def handle(scene: Scene, turn: Turn, event: LanguageChanged, index: int, settings: Settings) -> Turn:
    """Store the language as the tenant's own choice; messages after this event are rendered in it."""
    scene.conn.execute(_STORE, {"tenant": turn.tenant_id, "new_language": event.language, "now": turn.now})
    return replace(turn, language=event.language)
