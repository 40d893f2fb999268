"""The messages from tenants keephome could not handle: the processor set each aside unanswered (`failed_at`), and
the admin page lists them, whose they are and, where the tenant allows it, their words, until an admin marks each
dealt with (`dealt_with_at`; the audit log says who and when). The tenant's case page marks each in its conversation
and their page lists them (`of_tenant`), and the reply of the adviser who holds the case deals with those its page
showed (`theirs`). `keephome_inbound_failed` counts the same rows.

The tenant's messages written back to a volunteer's task (`written_back`) are answered by a person too: each is open
until the volunteer marks it answered or the adviser writes to the tenant after it. The volunteer's task cards list
them (bot/console/volunteer.py); once the task has left the volunteer (done, handed on, taken back) those still open
are the adviser's to answer (`left_unanswered`): the case page marks them and the inbox counts them, so a message the
volunteer left unanswered is not lost with the task."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, or_, select, update

from bot.console.labels import VOLUNTEER_TEMPLATES
from bot.host.cases import OPEN_STATUSES, among, consented_among
from bot.host.unseen import WENT_OUT
from bot.inbound.senders import address_queries, tenants_by_address
from bot.store.schema import INBOUND_FAILED, case_events, cases, inbound, messages, tenants

__all__ = [
    "ANSWERED",
    "TENANT_SHOWN",
    "WRITTEN_BACK_SHOWN",
    "Sender",
    "Unanswered",
    "WrittenBack",
    "deal_with",
    "dealt_with",
    "left_unanswered",
    "of_tenant",
    "theirs",
    "unanswered",
    "written_back",
]

# The newest of one tenant's messages not dealt with that their case page and their page show: a conversation
# keephome cannot read fails every message the tenant writes until someone mends it.
TENANT_SHOWN = 50


@dataclass(frozen=True, slots=True)
class Sender:
    """A tenant whose number or chat the message came from, with their open case if they have one."""

    tenant_id: int
    tenant_ref: str
    name: str
    case_id: int | None


@dataclass(frozen=True, slots=True)
class Unanswered:
    """One message set aside: when it came and was given up on, on which channel, from whom (no tenant: an unknown
    or erased sender; more than one: an address two tenants share, why it could not be handled), and its words when
    staff may read them (`shown`: the tenant's consent to an adviser reading along stands)."""

    id: int
    channel: str
    received_at: datetime
    failed_at: datetime
    senders: tuple[Sender, ...]
    shown: bool
    text: str | None

    @property
    def tenant_ids(self) -> list[int]:
        """The tenants the list names for this message (each such view is audited)."""
        return [sender.tenant_id for sender in self.senders]


_OPEN_CASE = (
    select(cases.c.id)
    .where(cases.c.tenant_id == tenants.c.id, among(cases.c.status, OPEN_STATUSES))
    .order_by(cases.c.id)
    .limit(1)
    .scalar_subquery()
)
# The processor's rule for whose a message is (bot/inbound/senders.py), reading what the list shows of a tenant.
_BY_ADDRESS = address_queries(select(tenants.c.id, tenants.c.tenant_ref, tenants.c.name, _OPEN_CASE.label("case_id")))


def _senders(conn: Connection, rows: Sequence[Any]) -> dict[tuple[str, str], list[Sender]]:
    """The live tenants each row's address belongs to, as the processor finds them (a number, or a Telegram chat)."""
    found = tenants_by_address(conn, rows, _BY_ADDRESS)
    return {key: [Sender(t.id, t.tenant_ref, t.name, t.case_id) for t in ts] for key, ts in found.items()}


_COLUMNS = (
    inbound.c.id,
    inbound.c.channel,
    inbound.c.sender,
    inbound.c.text,
    inbound.c.received_at,
    inbound.c.failed_at,
)


def _listed(conn: Connection, rows: Sequence[Any], along: Collection[int] = ()) -> list[Unanswered]:
    """The rows with their senders and, where staff may read them, their words (`along`: rows whose words may be
    read without the consent, as the case page reads those written while the tenant was told a person reads along)."""
    senders = _senders(conn, rows)
    listed = []
    for row in rows:
        found = tuple(senders[(row.channel, row.sender)])
        listed.append((row, found))
    # The tenant's words are theirs: shown only while their consent to an adviser reading along stands, the rule of
    # the case page and the tenant page (bot/console/transcript.py); never for an address two tenants share.
    consented = consented_among(conn, {s.tenant_id for _, found in listed for s in found})
    result = []
    for row, found in listed:
        shown = len(found) == 1 and (found[0].tenant_id in consented or row.id in along)
        text = row.text if shown else None
        result.append(Unanswered(row.id, row.channel, row.received_at, row.failed_at, found, shown, text))
    return result


def unanswered(conn: Connection, offset: int, limit: int) -> list[Unanswered]:
    """A page of the messages not dealt with, the newest first."""
    rows = conn.execute(
        select(*_COLUMNS).where(INBOUND_FAILED).order_by(inbound.c.id.desc()).offset(offset).limit(limit)
    ).all()
    return _listed(conn, rows)


def _from(tenant: Any) -> ColumnElement[bool] | None:
    """The messages that came from the tenant's number or Telegram chat, as the processor finds their sender (and
    `_senders` does); None when the tenant has neither."""
    found = []
    if tenant.phone:
        found.append((inbound.c.channel != "telegram") & (inbound.c.sender == tenant.phone))
    if tenant.telegram_chat_id is not None:
        found.append((inbound.c.channel == "telegram") & (inbound.c.sender == str(tenant.telegram_chat_id)))
    return or_(*found) if found else None


def of_tenant(conn: Connection, tenant: Any, along: ColumnElement[bool] | None = None) -> list[Unanswered]:
    """The tenant's messages not dealt with (the newest `TENANT_SHOWN`), oldest first, their words shown as the admin
    page shows them; with `along` (over `inbound.c.received_at`), also those it holds for, consent or not."""
    sent = _from(tenant)
    if sent is None:
        return []
    query = select(*_COLUMNS).where(INBOUND_FAILED, sent).order_by(inbound.c.id.desc()).limit(TENANT_SHOWN)
    if along is not None:
        query = query.add_columns(along.label("along"))
    rows = list(reversed(conn.execute(query).all()))
    return _listed(conn, rows, {row.id for row in rows if along is not None and row.along})


def theirs(conn: Connection, tenant: Any, inbound_ids: Collection[int]) -> list[int]:
    """Which of these messages are the tenant's and not dealt with yet."""
    sent = _from(tenant)
    if sent is None or not inbound_ids:
        return []
    found = select(inbound.c.id).where(INBOUND_FAILED, sent, inbound.c.id.in_(list(inbound_ids)))
    return [int(i) for i in conn.execute(found.order_by(inbound.c.id)).scalars()]


def dealt_with(conn: Connection, tenant: Any, inbound_ids: Collection[int]) -> list[int]:
    """Which of these messages are the tenant's and dealt with since they failed (by a reply, on the admin page): an
    open case page that marks them stops asking its reader to answer them."""
    sent = _from(tenant)
    if sent is None or not inbound_ids:
        return []
    done = inbound.c.failed_at.is_not(None) & inbound.c.dealt_with_at.is_not(None)
    found = select(inbound.c.id).where(done, sent, inbound.c.id.in_(list(inbound_ids)))
    return [int(i) for i in conn.execute(found.order_by(inbound.c.id)).scalars()]


def deal_with(conn: Connection, inbound_id: int, now: datetime) -> bool:
    """Mark one message dealt with; False when it is not one waiting for that (dealt with already, or none)."""
    done = conn.execute(update(inbound).where(inbound.c.id == inbound_id, INBOUND_FAILED).values(dealt_with_at=now))
    return bool(done.rowcount)


# The case event a volunteer's "I have answered them" records (bot/console/labels.py words it on the case page).
ANSWERED = "answered"
# The case events by which a task leaves its volunteer (bot/host/cases.py): done, handed on to an adviser, taken back.
TASK_LEFT = ("task_done", "needs_adviser", "task_taken_back")
# The newest of the tenant's messages written back to a volunteer's task that are read, for each task.
WRITTEN_BACK_SHOWN = 5


@dataclass(frozen=True, slots=True)
class WrittenBack:
    """A tenant's message to their case after the volunteer's task's first prepared text went out: when, its words as
    stored (who may read them is the reader's rule), and whether nobody answered it yet."""

    id: int
    at: datetime
    text: str | None
    open: bool


def written_back(conn: Connection, case_ids: Collection[int]) -> dict[int, list[WrittenBack]]:
    """For each case, the tenant's messages to it since the first prepared text of its last task went out and until the
    task left its volunteer (the newest
    `WRITTEN_BACK_SHOWN`, oldest first), each open unless the volunteer marked them answered or the adviser wrote to
    the tenant after it; a case with none is left out. One query for each of these, whatever the number of cases."""
    ids = list(case_ids)
    if not ids:
        return {}
    m, e = messages.c, case_events.c
    given = (
        select(e.case_id, func.max(e.at).label("at"))
        .where(e.case_id.in_(ids), e.kind == "task")
        .group_by(e.case_id)
        .subquery()
    )
    went = (
        select(m.case_id, func.min(func.coalesce(m.sent_at, m.updated_at)).label("at"))
        .outerjoin(given, given.c.case_id == m.case_id)
        .where(
            m.case_id.in_(ids),
            m.direction == "out",
            m.template.in_(list(VOLUNTEER_TEMPLATES)),
            m.status.in_(WENT_OUT),
            given.c.at.is_(None) | (m.created_at >= given.c.at),
        )
        .group_by(m.case_id)
        .subquery()
    )
    # When the task left its volunteer (done, handed on, taken back): what came after was not written to the task.
    left = (
        select(e.case_id, func.min(e.at).label("at"))
        .outerjoin(given, given.c.case_id == e.case_id)
        .where(e.case_id.in_(ids), e.kind.in_(TASK_LEFT), given.c.at.is_(None) | (e.at >= given.c.at))
        .group_by(e.case_id)
        .subquery()
    )
    newest = (
        select(
            m.id,
            m.case_id,
            m.text,
            m.created_at,
            func.row_number().over(partition_by=m.case_id, order_by=m.id.desc()).label("newness"),
        )
        .join(went, went.c.case_id == m.case_id)
        .outerjoin(left, left.c.case_id == m.case_id)
        .where(m.direction == "in", m.created_at > went.c.at, left.c.at.is_(None) | (m.created_at <= left.c.at))
        .subquery()
    )
    rows = conn.execute(
        select(newest).where(newest.c.newness <= WRITTEN_BACK_SHOWN).order_by(newest.c.case_id, newest.c.id)
    ).all()
    if not rows:
        return {}
    # Answered: the volunteer marked it so, or the adviser wrote to the tenant, after it came.
    with_rows = list({int(row.case_id) for row in rows})
    marked = conn.execute(
        select(e.case_id, func.max(e.at)).where(e.case_id.in_(with_rows), e.kind == ANSWERED).group_by(e.case_id)
    ).all()
    replied = conn.execute(
        select(m.case_id, func.max(m.created_at))
        .where(m.case_id.in_(with_rows), m.direction == "out", m.template == "case.reply")
        .group_by(m.case_id)
    ).all()
    dealt: dict[int, datetime] = {}
    for case_id, at in [*marked, *replied]:
        if at is not None and (int(case_id) not in dealt or at > dealt[int(case_id)]):
            dealt[int(case_id)] = at
    found: dict[int, list[WrittenBack]] = {}
    for row in rows:
        answered = dealt.get(int(row.case_id))
        found.setdefault(int(row.case_id), []).append(
            WrittenBack(int(row.id), row.created_at, row.text, answered is None or row.created_at > answered)
        )
    return found


def left_unanswered(conn: Connection, case_ids: Collection[int]) -> dict[int, list[WrittenBack]]:
    """Of these cases, those whose task has left its volunteer while the case is still open, each with what the tenant
    wrote back to the task and nobody has answered yet (the adviser's to answer); a case with none is left out."""
    ids = list(case_ids)
    if not ids:
        return {}
    c = cases.c
    left = conn.execute(select(c.id).where(c.id.in_(ids), c.status != "volunteer", among(c.status, OPEN_STATUSES)))
    back = written_back(conn, [int(i) for i in left.scalars()])
    found = {case_id: [w for w in wrote if w.open] for case_id, wrote in back.items()}
    return {case_id: wrote for case_id, wrote in found.items() if wrote}
