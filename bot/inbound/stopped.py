"""What a tenant who opted out writes is kept for staff: keephome writes nothing proactive to them, but their words
must not vanish. Their open case hears it (the handler's rule for a case), a wish for a person or words of crisis
open a case to take, and anything else is set aside as the messages keephome could not answer are
(bot/console/unanswered.py: the admin page, the tenant's page, with their words only where their consent lets
staff read them)."""

from __future__ import annotations

from sqlalchemy import bindparam, update

from bot.host.cases import open_case
from bot.host.notices import notify_urgent_case
from bot.host.turn import Turn
from bot.settings import Settings
from bot.store.scene import Scene
from bot.store.schema import inbound
from conversations.answers import asks_for_person

__all__ = ["STOPPED_ASKED", "keep_for_staff"]

# The reason of a case a tenant who opted out opened by asking for a person (or in distress): a code the console
# words (bot/console/inbox.py), which says nothing of what they wrote.
STOPPED_ASKED = "stopped_asked"

# The message set aside for staff, as the processor sets aside one it could not handle (built once).
_SET_ASIDE = (
    update(inbound)
    .where(inbound.c.id == bindparam("inbound_id"))
    .values(failed_at=bindparam("now", type_=inbound.c.failed_at.type))
)


def keep_for_staff(
    scene: Scene, turn: Turn, inbound_id: int, text: str | None, settings: Settings, *, crisis: bool = False
) -> str:
    """Keep a message of an opted-out tenant who has no open case where staff see it: a case to take when it asks for
    a person ("RÅDGIVER", "hjælp, jeg bliver sat ud") or is words of crisis (`crisis`), opened as the tenant's own
    request for an adviser is (staff who asked hear at once when the legal clock runs); otherwise set aside. The
    label for metrics."""
    if crisis or (text is not None and asks_for_person(text, turn.language, turn.today)):
        opened = open_case(
            scene.conn,
            turn.tenant_id,
            origin="handoff",
            reason=STOPPED_ASKED,
            now=turn.now,
            today=turn.today,
            delivery_days=settings.demand_delivery_days,
            known=turn.opening,
        )
        if opened.clock_runs:
            notify_urgent_case(scene, opened.case_id, turn.now, settings.public_url)
        return "stopped_case"
    scene.change(_SET_ASIDE, {"inbound_id": inbound_id, "now": turn.now})
    return "stopped_set_aside"
