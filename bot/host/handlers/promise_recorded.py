"""promise_recorded: the day the tenant said they will pay; a reminder checks the day after. A promise is their latest
word: an "I have paid" said before it no longer stands (its pause of the reminders ends, and the console stops
asking the adviser to check it). The one writer of what the tenant said of paying: `keep` also ends both when they
take it back (claim_withdrawn)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import bindparam, update

from bot.host.turn import Turn
from bot.settings import Settings
from bot.store.scene import Scene
from bot.store.schema import rent_positions
from conversations.model import PromiseRecorded

__all__ = ["handle", "keep"]

# Built once: a turn only fills in the values.
_KEEP = (
    update(rent_positions)
    .where(rent_positions.c.tenant_id == bindparam("tenant"))
    .values(promise_on=bindparam("pay_on", type_=rent_positions.c.promise_on.type), paid_claim_until=None)
)


def keep(scene: Scene, tenant_id: int, pay_on: date | None) -> None:
    """Keep the promised day on the tenant's rent position (None: no promise stands); a paid claim before it ends."""
    # Written with the scene's rows: a batch of turns costs one executemany, not one statement each.
    scene.change(_KEEP, {"tenant": tenant_id, "pay_on": pay_on})


def handle(scene: Scene, turn: Turn, event: PromiseRecorded, index: int, settings: Settings) -> Turn:
    """Keep the promised day on the rent position; a paid claim before it ends."""
    keep(scene, turn.tenant_id, event.pay_on)
    return turn
