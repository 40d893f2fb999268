"""promise_recorded: the day the tenant said they will pay; a reminder checks the day after. A promise is their latest
word: an "I have paid" said before it no longer stands (its pause of the reminders ends, and the console stops
asking the adviser to check it)."""

from __future__ import annotations

from sqlalchemy import bindparam, update

from bot.host.turn import Turn
from bot.settings import Settings
from bot.store.scene import Scene
from bot.store.schema import rent_positions
from conversations.model import PromiseRecorded

__all__ = ["handle"]

# Built once: a turn only fills in the values.
_KEEP = (
    update(rent_positions)
    .where(rent_positions.c.tenant_id == bindparam("tenant"))
    .values(promise_on=bindparam("pay_on", type_=rent_positions.c.promise_on.type), paid_claim_until=None)
)


def handle(scene: Scene, turn: Turn, event: PromiseRecorded, index: int, settings: Settings) -> Turn:
    """Keep the promised day on the rent position; a paid claim before it ends."""
    # Written with the scene's rows: a batch of turns costs one executemany, not one statement each.
    scene.change(_KEEP, {"tenant": turn.tenant_id, "pay_on": event.pay_on})
    return turn
