"""The claim: which due outbox rows the sender takes now, leased in one transaction.

Answers to a tenant's own message (every row that is not proactive) are taken before proactive rows, per
channel and up to a budget the sender sets (a few seconds' worth at the channel's rate, counted over all its
workers), so a reply never queues behind a campaign. One index serves every step (`ix_outbox_claim`).

A proactive row that cannot go now is not claimed and not failed: it waits (state `waiting`) with its reason in
`last_error` — `no channel` (none of the configured channels reaches the tenant) or `paused` (the pause switch,
read from the database in this transaction). When it may go again it is `pending` once more with `recheck` set,
and the send window (`Window`, from `bot.reminders.recheck`) decides whether it still goes: outside quiet hours,
its trigger must hold today, one proactive message a tenant a day. A row the window turns down is `dropped`, its
reason kept; one it puts off to the end of quiet hours stays `pending` with `quiet hours` as its reason. The same
look is taken at a row written on an earlier day than the one it goes on.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Connection,
    Integer,
    Select,
    Update,
    any_,
    bindparam,
    case,
    false,
    func,
    or_,
    select,
    true,
    update,
)

from bot.outbox.route import CHANNELS, waits_for_channel
from bot.store.flags import pause_is_on, paused_column
from bot.store.message_status import set_message_status
from bot.store.schema import outbox, tenants

__all__ = [
    "LEASE_LAPSED",
    "NO_CHANNEL",
    "PAUSED_REASON",
    "QUIET_HOURS",
    "Claim",
    "Claimed",
    "Window",
    "claim",
    "set_aside",
]

# Why a proactive row waits (outbox.last_error while its state is `waiting`).
NO_CHANNEL = "no channel"
PAUSED_REASON = "paused"
# Why a row that may go again waits on, pending, until quiet hours end (outbox.last_error).
QUIET_HOURS = "quiet hours"
# A row claimed whose earlier claim's lease ran out with nothing recorded (outbox.last_error, until its next
# outcome): the holder stopped (killed, crashed, its machine gone) after the claim, perhaps after the provider
# took the message, so this send may reach the tenant a second time (the row is marked `maybe_sent`).
LEASE_LAPSED = "lease lapsed"


class Claimed(NamedTuple):
    """A leased outbox row with its tenant as they are now (a tuple: a batch builds hundreds of these)."""

    id: int
    message_id: int
    tenant_id: int | None
    address: str | None
    channel: str
    template: str
    values: dict[str, Any]
    choices: list[list[str]] | None
    language: str
    proactive: bool
    attempts: int
    idempotency_key: str
    created_at: datetime
    recheck: bool
    # Whether an earlier try of this row may have reached the tenant, as it stood when this claim took it.
    maybe_sent: bool
    # This claim took it after an earlier claim's lease ran out with nothing recorded (`LEASE_LAPSED`).
    lapsed: bool
    # The tenant as it is now: opted out, blocked or re-linked since the row was written.
    status: str | None = None
    phone: str | None = None
    chat_id: int | None = None
    blocked: bool = False


class Window(Protocol):
    """When proactive rows may go (the reminders' rules, handed to the sender by the runtime)."""

    def recheck(self, conn: Connection, rows: Sequence[Claimed], now: datetime) -> Mapping[int, str | datetime]:
        """The claimed proactive rows that must not go now: outbox id -> why they are dropped (a reason), or
        when they may go instead (they stay pending until then: quiet hours)."""
        ...


@dataclass(frozen=True)
class Claim:
    """What one claim took (`rows`, replies first) and how many rows it set aside (waiting, dropped, back);
    `drained`: every kind it looked at had fewer due rows than it asked for, so a claim right after, with the
    same or a smaller budget, would find none."""

    rows: list[Claimed]
    set_aside: int = 0
    paused: bool = False
    drained: bool = False


def _free(now: datetime) -> ColumnElement[bool]:
    return or_(outbox.c.lease_until.is_(None), outbox.c.lease_until < now)


def set_aside(conn: Connection, rows: Mapping[int, str], state: str, now: datetime) -> int:
    """Put outbox rows (id -> reason) in `state` (`waiting`, `dropped`) with their reason, unleased, and their
    messages in the same state; returns how many."""
    if not rows:
        return 0
    by_reason: dict[str, list[int]] = {}
    for row_id, reason in rows.items():
        by_reason.setdefault(reason, []).append(row_id)
    message_ids: list[int] = []
    for reason, ids in by_reason.items():
        values: dict[str, Any] = {"state": state, "last_error": reason, "lease_until": None}
        if state == "waiting":
            values["recheck"] = True
        message_ids += conn.execute(
            update(outbox).where(outbox.c.id.in_(ids)).values(**values).returning(outbox.c.message_id)
        ).scalars()
    set_message_status(conn, message_ids, state, now)
    return len(rows)


def _park_due(conn: Connection, now: datetime, reason: str, fence: ColumnElement[bool] | None) -> int:
    """Due proactive rows wait with `reason` instead of being claimed (the pause, or no channel at all)."""
    where = [
        outbox.c.state == "pending",
        outbox.c.proactive.is_(True),
        outbox.c.next_attempt_at <= now,
        _free(now),
    ]
    return _move(conn, where, fence, {"state": "waiting", "last_error": reason, "recheck": True}, "waiting", now)


def _reopen(conn: Connection, now: datetime, reason: str, fence: ColumnElement[bool] | None) -> int:
    """Rows waiting for `reason` are pending again, marked to be checked once more before they go; the reason
    goes (it no longer holds, and a page must not say it does)."""
    if fence is None:  # every claim looks: the statement is built once per reason
        stmt = _REOPEN.get(reason)
        if stmt is None:
            stmt = _REOPEN[reason] = _reopen_statement(reason, None)
        message_ids = list(conn.execute(stmt).scalars())
        set_message_status(conn, message_ids, "queued", now)
        return len(message_ids)
    return _move(conn, _reopen_where(reason), fence, _REOPENED, "queued", now)


_REOPENED: dict[str, Any] = {"state": "pending", "recheck": True, "last_error": None}
_REOPEN: dict[str, Update] = {}


def _reopen_where(reason: str) -> list[ColumnElement[bool]]:
    return [outbox.c.state == "waiting", outbox.c.last_error == reason]


def _reopen_statement(reason: str, fence: ColumnElement[bool] | None) -> Update:
    where = _reopen_where(reason) + ([fence] if fence is not None else [])
    return update(outbox).where(*where).values(**_REOPENED).returning(outbox.c.message_id)


def _move(
    conn: Connection,
    where: list[ColumnElement[bool]],
    fence: ColumnElement[bool] | None,
    values: dict[str, Any],
    message_status: str,
    now: datetime,
) -> int:
    """Move the outbox rows `where` selects (within the sender's fence) and give their messages `message_status`."""
    if fence is not None:
        where.append(fence)
    moved = conn.execute(update(outbox).where(*where).values(**values).returning(outbox.c.message_id)).scalars()
    message_ids = list(moved)
    set_message_status(conn, message_ids, message_status, now)
    return len(message_ids)


_RETURNED = (
    outbox.c.id,
    outbox.c.message_id,
    outbox.c.tenant_id,
    outbox.c.address,
    outbox.c.channel,
    outbox.c.template,
    outbox.c["values"],
    outbox.c.choices,
    outbox.c.language,
    outbox.c.proactive,
    outbox.c.attempts,
    outbox.c.idempotency_key,
    outbox.c.created_at,
    outbox.c.recheck,
    outbox.c.maybe_sent,
    # RETURNING reads the row as the claim left it: its reason says whether this claim found the lease lapsed.
    case((outbox.c.last_error == LEASE_LAPSED, true()), else_=false()).label("lapsed"),
)


# Built once: a claim fills in the values (the ids, the lease, the time, how many).
_TENANTS = select(
    tenants.c.id, tenants.c.status, tenants.c.phone, tenants.c.telegram_chat_id, tenants.c.telegram_blocked
).where(tenants.c.id.in_(bindparam("ids", expanding=True)))
# The due rows are picked from the table under another name, so the UPDATE that leases them does not take the
# pick for a condition on its own rows.
_DUE = outbox.alias("due")
_LEASES: dict[tuple[bool, str, bool], Update] = {}
_NOW = bindparam("now", type_=outbox.c.next_attempt_at.type)


def _due(rows: Any, proactive: bool, channel: str) -> list[ColumnElement[bool]]:
    """A row of this kind that may be leased at `:now` (of `outbox` or `_DUE`): pending, due, no live lease."""
    return [
        rows.c.state == "pending",
        rows.c.proactive.is_(proactive),
        rows.c.channel == channel,
        rows.c.next_attempt_at <= _NOW,
        or_(rows.c.lease_until.is_(None), rows.c.lease_until < _NOW),
    ]


def _lease_statement(proactive: bool, channel: str, is_sqlite: bool, fence: ColumnElement[bool] | None) -> Update:
    """Lease the due rows of one kind, due first, at most `:n`, and return them: one statement (the pick and the
    lease were two, and a claim runs often); without a fence built once per kind."""
    if fence is None:
        found = _LEASES.get((proactive, channel, is_sqlite))
        if found is not None:
            return found
    d = _DUE.c
    due = _due(_DUE, proactive, channel)
    if fence is not None:
        due.append(fence)
    picked = (
        select(d.id)
        .where(*due)
        .order_by(d.next_attempt_at, d.id)
        .limit(bindparam("n", type_=Integer, literal_execute=False))
    )
    chosen: ColumnElement[bool]
    if is_sqlite:
        chosen = outbox.c.id.in_(picked)
    else:
        # `id = ANY(ARRAY(pick))`, not `id IN (pick)`: PostgreSQL may plan a prepared statement once for any values,
        # and with the limit unknown it joined the pick to a read of the whole outbox, every claim
        # (tests/bot/outbox/test_claim_plan.py). An array is looked up row by row in the primary key.
        picked = picked.with_for_update(skip_locked=True)
        chosen = outbox.c.id == any_(func.array(picked.scalar_subquery(), type_=ARRAY(outbox.c.id.type)))
    # A row still leased when it is due again was left by a claim that recorded nothing (a row given back, sent,
    # retried or set aside loses its lease): its send may have gone out, so this one may be a second copy. It is
    # marked as such, and its reason says why until the next outcome; a stale reason of that kind goes.
    lapsed = outbox.c.lease_until.is_not(None)
    leased = (
        update(outbox)
        .where(chosen)
        .values(
            lease_until=bindparam("until", type_=outbox.c.lease_until.type),
            attempts=outbox.c.attempts + 1,
            maybe_sent=or_(outbox.c.maybe_sent, lapsed),
            last_error=case(
                (lapsed, LEASE_LAPSED), (outbox.c.last_error == LEASE_LAPSED, None), else_=outbox.c.last_error
            ),
        )
        .returning(*_RETURNED)
    )
    if fence is None:
        _LEASES[(proactive, channel, is_sqlite)] = leased
    return leased


def claim(
    conn: Connection,
    now: datetime,
    until: datetime,
    wants: Mapping[tuple[bool, str], int],
    total: int,
    *,
    channels: Collection[str],
    paused_setting: bool = False,
    window: Window | None = None,
    reopen_no_channel: bool = False,
    reopen_paused: bool = True,
    is_sqlite: bool = True,
    fence: ColumnElement[bool] | None = None,
) -> Claim:
    """Lease due rows until `until` — replies first, then proactive rows, at most `wants[(proactive, channel)]`
    of each and `total` in all — and read their tenants, in one transaction. With a `fence` (the sender role's
    lock, on PostgreSQL) nothing is claimed or changed unless this process still holds the role.

    `reopen_paused`: rows the pause set aside may be waiting (the sender knows when none can be: only a sender
    sets them aside, and it looked since), so when it is off they are pending again."""
    kinds = tuple(kind for kind in _KINDS if wants.get(kind, 0) > 0)
    stored_pause, due = _look(conn, now, kinds)
    paused = paused_setting or stored_pause
    aside = 0
    if reopen_no_channel and channels:
        aside += _reopen(conn, now, NO_CHANNEL, fence)  # this sender has channels another may not have had
    if paused:
        aside += _park_due(conn, now, PAUSED_REASON, fence)
    elif reopen_paused:
        aside += _reopen(conn, now, PAUSED_REASON, fence)
    if not channels:
        aside += _park_due(conn, now, NO_CHANNEL, fence)
    if aside:
        due = set(kinds)  # rows moved since the look: some may be due now
    claimed, drained = _lease_due(conn, now, until, wants, total, not paused and bool(channels), is_sqlite, fence, due)
    if not claimed:
        return Claim([], aside, paused, drained)
    rows, waiting = _reachable(_with_tenants(conn, claimed), channels)
    asked = [r for r in rows if r.proactive and r.status == "active"]
    verdicts = window.recheck(conn, asked, now) if window is not None and asked else {}
    if waiting or verdicts:
        aside += _not_now(conn, waiting, verdicts, now)
        rows = [r for r in rows if r.id not in verdicts]
    rows.sort(key=lambda r: (r.proactive, r.id))
    return Claim(rows, aside, paused, drained)


# The kinds of rows a claim leases, in its order: answers first, then proactive rows; per channel.
_KINDS = tuple((proactive, channel) for proactive in (False, True) for channel in sorted(CHANNELS))
# Built once per set of kinds: the pause switch, and whether each kind has a row due.
_LOOKS: dict[tuple[tuple[bool, str], ...], Select[Any]] = {}


def _look(conn: Connection, now: datetime, kinds: tuple[tuple[bool, str], ...]) -> tuple[bool, set[tuple[bool, str]]]:
    """Whether the stored pause switch is on, and which of these kinds have a row due, in one statement: a claim
    then leases only those (an UPDATE for a kind with nothing due was a statement for nothing, and most claims
    find answers by SMS and nothing else)."""
    stmt = _LOOKS.get(kinds)
    if stmt is None:
        # The first due row of each kind along ix_outbox_claim's order, not EXISTS: PostgreSQL drops an EXISTS's
        # ORDER BY and LIMIT, and with a prepared statement's generic plan (the state and channel unknown, so half
        # the table seems to match) it scanned the whole table for a row that is due, every claim, when none was:
        # the sent rows of every earlier day (tests/bot/outbox/test_claim_plan.py). Read in the index's order, the
        # first row ends the walk, and that is the cheapest plan whatever the statistics say.
        any_due = [
            select(outbox.c.id)
            .where(*_due(outbox, proactive, channel))
            .order_by(outbox.c.next_attempt_at)
            .limit(1)
            .scalar_subquery()
            .is_not(None)
            for proactive, channel in kinds
        ]
        stmt = _LOOKS[kinds] = select(paused_column(), *any_due)
    row = conn.execute(stmt, {"now": now}).one()
    return pause_is_on(row[0]), {kind for kind, due in zip(kinds, row[1:], strict=True) if due}


def _lease_due(
    conn: Connection,
    now: datetime,
    until: datetime,
    wants: Mapping[tuple[bool, str], int],
    total: int,
    proactive_ok: bool,
    is_sqlite: bool,
    fence: ColumnElement[bool] | None,
    due: Collection[tuple[bool, str]],
) -> tuple[list[Any], bool]:
    """Lease the due rows to take: answers first, then (when they may go) proactive rows, per channel, due first;
    a kind not in `due` has none. Returns them, and whether every kind was looked at and gave fewer rows than
    asked (nothing more is due)."""
    claimed: list[Any] = []
    drained = True
    for proactive, channel in _KINDS:
        if proactive and not proactive_ok:
            break
        n = min(wants.get((proactive, channel), 0), total - len(claimed))
        if n <= 0:
            drained = False  # not looked at: rows of this kind may be due
            continue
        if (proactive, channel) in due:
            leased = _lease_statement(proactive, channel, is_sqlite, fence)
            got = conn.execute(leased, {"now": now, "n": n, "until": until}).all()
            drained = drained and len(got) < n
            claimed += got
    return claimed, drained


def _not_now(
    conn: Connection, waiting: Mapping[int, str], verdicts: Mapping[int, str | datetime], now: datetime
) -> int:
    """Claimed rows that do not go after all: they wait for a channel, are dropped, or are put off until a time.
    None was attempted, so the attempt each claim counted goes back. Returns how many."""
    back = [*waiting, *verdicts]
    conn.execute(update(outbox).where(outbox.c.id.in_(back)).values(attempts=outbox.c.attempts - 1))
    dropped = {row_id: v for row_id, v in verdicts.items() if isinstance(v, str)}
    set_aside(conn, waiting, "waiting", now)
    set_aside(conn, dropped, "dropped", now)
    for row_id, when in verdicts.items():
        if isinstance(when, datetime):
            conn.execute(
                update(outbox)
                .where(outbox.c.id == row_id)
                .values(lease_until=None, next_attempt_at=when, last_error=QUIET_HOURS)
            )
    return len(back)


def _with_tenants(conn: Connection, claimed: Sequence[Any]) -> list[Claimed]:
    tenant_ids = {r.tenant_id for r in claimed if r.tenant_id is not None}
    facts = {t.id: t for t in conn.execute(_TENANTS, {"ids": sorted(tenant_ids)})} if tenant_ids else {}
    rows = []
    for r in claimed:
        t = facts.get(r.tenant_id)
        extra = (t.status, t.phone, t.telegram_chat_id, bool(t.telegram_blocked)) if t is not None else ()
        rows.append(Claimed(*r, *extra))
    return rows


def _reachable(rows: list[Claimed], channels: Collection[str]) -> tuple[list[Claimed], dict[int, str]]:
    """Proactive rows to an active tenant whom no configured channel reaches wait for one; the rest go on (a
    tenant without any address at all is the send's business: it holds the row)."""
    going, waiting = [], {}
    for r in rows:
        if r.proactive and waits_for_channel(r.status == "active", r.channel, r.phone, r.chat_id, r.blocked, channels):
            waiting[r.id] = NO_CHANNEL
        else:
            going.append(r)
    return going, waiting
