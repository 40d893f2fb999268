"""paid_claimed: the tenant says they have paid; reminders pause until the ledger can show it."""

from __future__ import annotations

from sqlalchemy import update

from bot.host.turn import Turn
from bot.settings import Settings
from bot.store.scene import Scene
from bot.store.schema import rent_positions
from conversations.model import PaidClaimed

__all__ = ["handle"]


def handle(scene: Scene, turn: Turn, event: PaidClaimed, index: int, settings: Settings) -> Turn:
    """Keep the end of the pause on the rent position."""
    scene.conn.execute(
        update(rent_positions)
        .where(rent_positions.c.tenant_id == turn.tenant_id)
        .values(paid_claim_until=event.pause_until)
    )
    return turn
