"""consent_withdrawn: the consent ends at once; open cases stop showing the tenant's replies, an appointment the
consent let a volunteer see is cancelled, and a task it let a volunteer see goes back to the adviser.

A case that exists only because of the tenant's yes (origin `handoff`) and waits in the queue, no person holding it,
closes with the yes: an adviser is not to call a tenant who took it back. An urgent outreach (a termination or court
date known) or a case an adviser opened stays, without the replies (DESIGN.md: reaching out is the adviser's job), and
so does a case a person holds (they are in touch; the text tells the tenant so).
"""

from __future__ import annotations

from sqlalchemy import and_, insert, select, update

from bot.host.appointments import cancel_unseen
from bot.host.cases import ADVISER_SCOPE, OPEN_STATUSES, tasks_back_unseen
from bot.host.consents import same_recipient
from bot.host.turn import Turn
from bot.settings import Settings
from bot.store.scene import Scene
from bot.store.schema import case_events, cases, consents
from bot.tenants.case_closing import close_cases
from conversations.model import ConsentWithdrawn

__all__ = ["handle"]


def handle(scene: Scene, turn: Turn, event: ConsentWithdrawn, index: int, settings: Settings) -> Turn:
    """Stamp the withdrawal on the standing consents of that scope (of that recipient, when it names one); when the
    organisation's consent ends, open cases stop showing the replies, the case the tenant's yes opened closes while no
    person holds it, and a case that stays gets an event saying when."""
    scene.flush()  # a consent given earlier in this transaction is withdrawn too
    standing = (
        consents.c.tenant_id == turn.tenant_id,
        consents.c.scope == event.scope,
        consents.c.withdrawn_at.is_(None),
    )
    if event.recipient_kind is not None:
        # One recipient among several: the tenant chose it from the numbered list.
        found = scene.conn.execute(
            select(consents.c.id, consents.c.recipient).where(
                *standing, consents.c.recipient_kind == event.recipient_kind
            )
        ).all()
        ids = [row.id for row in found if same_recipient(row.recipient, event.recipient)]
        if ids:
            scene.conn.execute(
                update(consents).where(consents.c.id.in_(ids)).values(withdrawn_at=turn.now, ended_reason="withdrawn")
            )
            cancel_unseen(scene.conn, turn.tenant_id, turn.now, "consent_ended", settings)
            tasks_back_unseen(scene.conn, turn.tenant_id, turn.now, settings)
        return turn
    ended = scene.conn.execute(
        update(consents).where(*standing).values(withdrawn_at=turn.now, ended_reason="withdrawn")
    ).rowcount
    if event.scope == ADVISER_SCOPE:
        open_cases = and_(cases.c.tenant_id == turn.tenant_id, cases.c.status.in_(OPEN_STATUSES))
        changed = scene.conn.execute(
            update(cases).where(open_cases).values(consented=False, updated_at=turn.now).returning(cases.c.id)
        )
        kept = set(changed.scalars())
        asked_for = select(cases.c.id).where(
            cases.c.tenant_id == turn.tenant_id, cases.c.status == "waiting", cases.c.origin == "handoff"
        )
        kept -= set(close_cases(scene.conn, list(scene.conn.execute(asked_for).scalars()), turn.now, event="withdrawn"))
        # The case that stays says when the answers stopped showing; a no where no yes stood (the consent question of
        # an urgent outreach answered "nej") took nothing back, and the case says nothing of a yes taken back.
        if kept and ended:
            events = [
                {"case_id": i, "staff_id": None, "kind": "consent_withdrawn", "text": None, "at": turn.now}
                for i in kept
            ]
            scene.conn.execute(insert(case_events), events)
    # After the closing: an appointment on a case that closed ends too.
    cancel_unseen(scene.conn, turn.tenant_id, turn.now, "consent_ended", settings)
    tasks_back_unseen(scene.conn, turn.tenant_id, turn.now, settings)
    return turn
