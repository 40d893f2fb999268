"""consent_given: the tenant's yes, with its wording version, time and the message that said it.

A consent to share with a named recipient (scope "share", a yes on Telegram to the full wording) keeps the
recipient, source, kinds of data, purpose, wording and case too. Every consent is added to the scene and written
with the transaction's other rows, after the evidence message it points to; so is the mark on the tenant's
open cases, which therefore also covers a case a handoff opens later in the transaction. A withdrawal writes
the scene first.
"""

from __future__ import annotations

from sqlalchemy import bindparam, select, update

from bot.host.cases import ADVISER_SCOPE, OPEN_STATUSES, among
from bot.host.turn import Turn
from bot.settings import Settings
from bot.store.scene import Scene
from bot.store.schema import cases, consents
from conversations.effects import SHARE_SCOPE
from conversations.model import ConsentGiven

__all__ = ["handle"]

# Built once: a turn only fills in the values.
_CONSENTED = (
    update(cases)
    .where(cases.c.tenant_id == bindparam("tenant"), among(cases.c.status, OPEN_STATUSES))
    .values(consented=True, updated_at=bindparam("now", type_=cases.c.updated_at.type))
)


def handle(scene: Scene, turn: Turn, event: ConsentGiven, index: int, settings: Settings) -> Turn:
    """Record the consent; an open case may show the tenant's replies from now on."""
    if event.scope == SHARE_SCOPE:
        _share(scene, turn, event)
        return turn
    given = {
        "tenant_id": turn.tenant_id,
        "scope": event.scope,
        "wording_version": event.wording_version,
        "given_at": turn.now,
        "evidence_message_id": turn.evidence_id,
    }
    scene.add((consents, given))
    if event.scope == ADVISER_SCOPE:
        scene.change(_CONSENTED, {"tenant": turn.tenant_id, "now": turn.now})
    return turn


_CASE = select(cases.c.tenant_id, cases.c.status).where(cases.c.id == bindparam("case_id"))


def _share(scene: Scene, turn: Turn, event: ConsentGiven) -> None:
    case = scene.conn.execute(_CASE, {"case_id": event.case_id}).first() if event.case_id is not None else None
    case_id = event.case_id if case is not None and case.tenant_id == turn.tenant_id else None
    # A yes that arrives after its case closed is kept as evidence but shares nothing: a kommune consent lapses
    # with its case.
    lapsed = case is not None and case.status not in OPEN_STATUSES and event.recipient_kind == "kommune"
    row = {
        "tenant_id": turn.tenant_id,
        "scope": event.scope,
        "wording_version": event.wording_version,
        "given_at": turn.now,
        "withdrawn_at": turn.now if lapsed else None,
        "evidence_message_id": turn.evidence_id,
        "recipient_kind": event.recipient_kind or "organisation",
        "recipient": event.recipient,
        "source": event.source,
        "data_kinds": list(event.data_kinds),
        "purpose": event.purpose,
        "wording": event.wording,
        "method": event.method or "conversation",
        "case_id": case_id,
        "recorded_by": None,
        "ended_reason": "case_closed" if lapsed else None,
    }
    scene.add((consents, row))
