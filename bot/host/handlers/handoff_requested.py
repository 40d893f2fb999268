"""handoff_requested: a case for an adviser; staff who asked hear at once when the legal clock runs."""

from __future__ import annotations

from bot.host.cases import open_case
from bot.host.notices import notify_urgent_case
from bot.host.turn import Turn
from bot.settings import Settings
from bot.store.scene import Scene
from conversations.model import HandoffRequested

__all__ = ["handle", "open_handoff"]


def handle(scene: Scene, turn: Turn, event: HandoffRequested, index: int, settings: Settings) -> Turn:
    """Open (or refresh) the tenant's case."""
    open_handoff(scene, turn, event.reason, settings)
    return turn


def open_handoff(scene: Scene, turn: Turn, reason: str, settings: Settings) -> int:
    """Open (or refresh) the tenant's case for a person, `reason` its code; staff who asked hear at once when the legal
    clock runs. The case's id."""
    opened = open_case(
        scene.conn,
        turn.tenant_id,
        origin="handoff",
        reason=reason,
        now=turn.now,
        today=turn.today,
        delivery_days=settings.demand_delivery_days,
        known=turn.opening,
    )
    if opened.clock_runs:
        notify_urgent_case(scene, opened.case_id, turn.now, settings.public_url)
    return opened.case_id
