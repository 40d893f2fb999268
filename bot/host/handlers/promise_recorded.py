"""promise_recorded: the day the tenant said they will pay; a reminder checks the day after."""

from __future__ import annotations

from sqlalchemy import update

from bot.host.turn import Turn
from bot.settings import Settings
from bot.store.scene import Scene
from bot.store.schema import rent_positions
from conversations.model import PromiseRecorded

__all__ = ["handle"]


def handle(scene: Scene, turn: Turn, event: PromiseRecorded, index: int, settings: Settings) -> Turn:
    """Keep the promised day on the rent position."""
    scene.conn.execute(
        update(rent_positions).where(rent_positions.c.tenant_id == turn.tenant_id).values(promise_on=event.pay_on)
    )
    return turn
