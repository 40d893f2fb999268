"""paid_claimed: the tenant says they have paid; reminders pause until the ledger can show it."""

from __future__ import annotations

from sqlalchemy import bindparam, update

from bot.host.turn import Turn
from bot.settings import Settings
from bot.store.scene import Scene
from bot.store.schema import rent_positions
from conversations.model import PaidClaimed

__all__ = ["handle"]

# Built once: a turn only fills in the values.
_KEEP = (
    update(rent_positions)
    .where(rent_positions.c.tenant_id == bindparam("tenant"))
    .values(paid_claim_until=bindparam("until", type_=rent_positions.c.paid_claim_until.type))
)


def handle(scene: Scene, turn: Turn, event: PaidClaimed, index: int, settings: Settings) -> Turn:
    """Keep the end of the pause on the rent position."""
    # Written with the scene's rows: a batch of turns costs one executemany, not one statement each.
    scene.change(_KEEP, {"tenant": turn.tenant_id, "until": event.pause_until})
    return turn
