"""What a tenant who opted out writes is kept for staff: keephome writes nothing proactive to them, but their words
must not vanish. Their open case hears it (the handler's rule for a case), a wish for a person or words of crisis
open a case to take, and anything else is set aside as the messages keephome could not answer are
(bot/console/unanswered.py: the admin page, the tenant's page, with their words only where their consent lets
staff read them). And whether a reply reaches them at all by SMS (`sms_reaches`), the one rule
of it."""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, select, update

from bot.channels.twilio_sms import OPTED_OUT_CODE
from bot.host.cases import has_consent
from bot.host.handlers.handoff_requested import open_handoff
from bot.host.notices import notify_crisis
from bot.host.turn import Turn
from bot.settings import Settings
from bot.store.scene import Scene
from bot.store.schema import inbound, messages
from conversations.answers import asks_for_person
from conversations.keywords import carrier_stop, says_opt_out

__all__ = ["STOPPED_ASKED", "keep_for_staff", "sms_reaches"]

# The reason of a case a tenant who opted out opened by asking for a person or by words of crisis: a code the console
# words (bot/console/inbox.py), one for both, as it says nothing of what they wrote (that they wrote words of crisis
# is what they wrote: bot/console/crisis.py tells it only while their consent stands).
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
    request for an adviser is (staff who asked hear at once when the legal clock runs, and of words of crisis as of
    those to a case a person holds: only with the tenant's consent, as the words are theirs); otherwise set aside. The
    label for metrics. After the carrier's STOP not even the crisis line reached them: a person calling is all there
    is. (Their open case hears words of crisis in the handler: one a person holds or that waits with their yes tells
    staff as any tenant's does, and one without their yes tells nobody.)"""
    if crisis or (text is not None and asks_for_person(text, turn.language, turn.today)):
        case_id = open_handoff(scene, turn, STOPPED_ASKED, settings)
        if crisis and has_consent(scene.conn, turn.tenant_id):
            notify_crisis(scene, case_id, turn.now, settings.public_url)
        return "stopped_case"
    scene.change(_SET_ASIDE, {"inbound_id": inbound_id, "now": turn.now})
    return "stopped_set_aside"


def sms_reaches(conn: Connection, tenant_id: int, languages: tuple[str, ...]) -> bool:
    """Whether an SMS still reaches an opted-out tenant: they opted out with keephome's own word (AFMELD, STOPP,
    "afmeld mig tak"), not the carrier's (STOP: Twilio then refuses every SMS to the number), and no send was refused
    as opted out since (21610). Unknown (no opt-out word kept): no. Their opt-out is read as the command parser read
    it (`says_opt_out`, in `languages`, the enabled ones), so a stop word said with politeness around it counts."""
    said = conn.execute(
        select(messages.c.text, messages.c.direction, messages.c.error_code)
        .where(messages.c.tenant_id == tenant_id, messages.c.channel == "sms")
        .order_by(messages.c.id.desc())
        .limit(50)
    ).all()
    for text, direction, error_code in said:
        if direction == "out" and error_code == str(OPTED_OUT_CODE):
            return False
        if direction == "in" and text and says_opt_out(text, languages):
            return not carrier_stop(text)
    return False
