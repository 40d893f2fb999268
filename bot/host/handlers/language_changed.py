"""language_changed: the tenant's language from now on; the rest of the turn speaks it already."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import update

from bot.host.turn import Turn
from bot.settings import Settings
from bot.store.scene import Scene
from bot.store.schema import tenants
from conversations.model import LanguageChanged

__all__ = ["handle"]


def handle(scene: Scene, turn: Turn, event: LanguageChanged, index: int, settings: Settings) -> Turn:
    """Store the language; messages after this event are rendered in it."""
    scene.conn.execute(
        update(tenants).where(tenants.c.id == turn.tenant_id).values(language=event.language, updated_at=turn.now)
    )
    return replace(turn, language=event.language)
