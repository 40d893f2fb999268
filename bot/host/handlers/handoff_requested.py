"""handoff_requested: a case for an adviser; staff who asked hear at once when the legal clock runs."""

from __future__ import annotations

from sqlalchemy import bindparam, select

from bot.host.cases import open_case
from bot.host.notices import notify_urgent_case
from bot.host.turn import Turn
from bot.settings import Settings
from bot.store.scene import Scene
from bot.store.schema import rent_positions
from conversations.model import HandoffRequested

__all__ = ["handle"]

# Built once: whether the legal clock runs (a termination or a court date is known).
_KNOWN = select(rent_positions.c.termination_on, rent_positions.c.court_date).where(
    rent_positions.c.tenant_id == bindparam("tenant")
)


def handle(scene: Scene, turn: Turn, event: HandoffRequested, index: int, settings: Settings) -> Turn:
    """Open (or refresh) the tenant's case."""
    case_id = open_case(
        scene.conn,
        turn.tenant_id,
        origin="handoff",
        reason=event.reason,
        now=turn.now,
        today=turn.today,
        delivery_days=settings.demand_delivery_days,
    )
    known = scene.conn.execute(_KNOWN, {"tenant": turn.tenant_id}).first()
    if known is not None and (known.termination_on is not None or known.court_date is not None):
        notify_urgent_case(scene, case_id, turn.now, settings.public_url)
    return turn
