"""handoff_requested: a case for an adviser; staff who asked hear at once when the legal clock runs."""

from __future__ import annotations

from bot.host.cases import open_case
from bot.host.notices import notify_urgent_case
from bot.host.turn import Turn
from bot.settings import Settings
from bot.store.scene import Scene
from conversations.model import HandoffRequested

__all__ = ["handle"]


def handle(scene: Scene, turn: Turn, event: HandoffRequested, index: int, settings: Settings) -> Turn:
    """Open (or refresh) the tenant's case."""
    opened = open_case(
        scene.conn,
        turn.tenant_id,
        origin="handoff",
        reason=event.reason,
        now=turn.now,
        today=turn.today,
        delivery_days=settings.demand_delivery_days,
        known=turn.opening,
    )
    if opened.clock_runs:
        notify_urgent_case(scene, opened.case_id, turn.now, settings.public_url)
    return turn
