"""Recording what became of claimed rows: sent, retried, failed, held, or given back unsent — a batch at a time."""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import Boolean, Connection, Integer, String, bindparam, case, func, or_, update

from bot.channels.base import SendResult
from bot.outbox.claim import Claimed
from bot.outbox.status import apply_early
from bot.store.message_status import set_message_status
from bot.store.rows import execute_rows
from bot.store.schema import STATUS_RANK, UTCDateTime, messages, outbox
from bot.tenants.linking import SECRET_TEMPLATES, blocked_on_telegram
from bot.tenants.status import set_status

__all__ = ["SECRET_TEMPLATES", "Outcome", "backoff", "record"]

log = logging.getLogger(__name__)


def _maybe(result: SendResult) -> dict[str, bool]:
    """A try whose outcome was unknown marks its row for good: the tenant may have that try's message already, so
    the console says it may reach them twice (bot/console/delivery.py). Nothing clears it."""
    return {"maybe_sent": True} if result.maybe_sent else {}


class Outcome(NamedTuple):
    """What became of one claimed row.

    `result` is the provider's answer. Without one the row was not sent: `aside` says why when that was a rule —
    (`held`, reason) for good, (`waiting`, reason) back to wait — and without it the row goes back as it was
    (the sender stopped, or its lease would not have covered the send).
    """

    row: Claimed
    channel: str | None
    text: str | None
    result: SendResult | None
    aside: tuple[str, str] | None = None


def backoff(attempt: int, base: float = 5.0, cap: float = 3600.0, rng: random.Random | None = None) -> float:
    """Exponential backoff with full jitter, in seconds."""
    r = rng or random
    return float(r.uniform(base / 2, min(cap, base * 2 ** max(0, attempt - 1))))


# Built once; a batch's outcomes are written with a few executemany calls.
_FINISH_OUTBOX = (
    update(outbox)
    .where(outbox.c.id == bindparam("row_id"))
    .values(
        state=bindparam("new_state"),
        lease_until=None,
        last_error=bindparam("error", type_=String),
        # The last try's outcome may be unknown too (its attempts used up on a timeout): it marks the row as well.
        maybe_sent=or_(outbox.c.maybe_sent, bindparam("maybe", type_=Boolean)),
    )
)
# A status callback may have arrived first: the delivery status never moves back.
_ahead = messages.c.status_rank < bindparam("rank", type_=Integer)
_FINISH_MESSAGE = (
    update(messages)
    .where(messages.c.id == bindparam("message_id_"))
    .values(
        updated_at=bindparam("now"),
        # When it went out: set by the first send only (a receipt or a later try moves updated_at, never this).
        sent_at=func.coalesce(messages.c.sent_at, bindparam("sent_at", type_=UTCDateTime())),
        error_code=bindparam("code"),
        channel=func.coalesce(bindparam("sent_on", type_=String), messages.c.channel),
        text=func.coalesce(bindparam("sent_text", type_=String), messages.c.text),
        provider_id=func.coalesce(bindparam("sid", type_=String), messages.c.provider_id),
        status=case((_ahead, bindparam("new_status", type_=String)), else_=messages.c.status),
        status_rank=case((_ahead, bindparam("rank", type_=Integer)), else_=messages.c.status_rank),
    )
)

# A row claimed but never sent goes back as it was, unless its lease ran out and another sender took it.
_RELEASE = (
    update(outbox)
    .where(outbox.c.id == bindparam("row_id"), outbox.c.lease_until == bindparam("claimed_until"))
    .values(lease_until=None, attempts=outbox.c.attempts - 1)
)

_MARK = update(outbox).where(outbox.c.id == bindparam("row_id")).values(maybe_sent=bindparam("maybe", type_=Boolean))

_FORGET_VALUES = update(outbox).where(outbox.c.id == bindparam("row_id")).values({outbox.c["values"]: {}})


def _put_back(conn: Connection, outcomes: Sequence[Outcome], until: datetime, now: datetime) -> None:
    """Give back the rows that were not sent (their attempt too); those to wait go to `waiting`. A row whose
    lease ran out meanwhile (another sender may have it now) is left alone."""
    back = [o for o in outcomes if o.result is None and o.aside is None]
    if back:
        execute_rows(conn, _RELEASE, [{"row_id": o.row.id, "claimed_until": until} for o in back])
        log.info("outbox: %d claimed rows go back unsent", len(back))
    waiting = [o for o in outcomes if o.result is None and o.aside is not None and o.aside[0] == "waiting"]
    message_ids: list[int] = []
    for o in waiting:
        assert o.aside is not None
        message_ids += conn.execute(
            update(outbox)
            .where(outbox.c.id == o.row.id, outbox.c.lease_until == until)
            .values(
                lease_until=None,
                attempts=outbox.c.attempts - 1,
                state="waiting",
                last_error=o.aside[1],
                recheck=True,
            )
            .returning(outbox.c.message_id)
        ).scalars()
    set_message_status(conn, message_ids, "waiting", now)


def record(
    conn: Connection,
    outcomes: Sequence[Outcome],
    now: datetime,
    max_attempts: int,
    until: datetime,
    marks: Mapping[int, bool] | None = None,
    early: list[tuple[str, str]] | None = None,
) -> list[tuple[Outcome, str]]:
    """Write what the providers said, all in one transaction; rows not sent (claimed `until`) go back. Returns the
    rows that failed for good, each with why: `gave_up` (its attempts used up on transient failures), or the
    provider's `permanent`, `blocked`, `opted_out` (the sender counts and logs them).

    `marks` (outbox id -> maybe sent) sets those rows' mark as it is, not added to: rows whose outcome the sender
    kept in memory and writes now, claimed again after their lease lapsed (the claim marked them).

    Status callbacks that came before their SMS's sid was recorded are applied with it (`apply_early`); `early`, when
    given, gets each one's status and what became of it, for metrics."""
    _put_back(conn, outcomes, until, now)
    finished: list[tuple[Outcome, str, str | None]] = []
    for o in outcomes:
        result, row = o.result, o.row
        if result is None:
            if o.aside is not None and o.aside[0] == "held":
                finished.append((o, "held", o.aside[1]))
            continue
        match result.outcome:
            case "sent":
                finished.append((o, "sent", None))
            case "transient" if row.attempts < max_attempts:
                delay = result.retry_after or backoff(row.attempts)
                conn.execute(
                    update(outbox)
                    .where(outbox.c.id == row.id)
                    .values(
                        lease_until=None,
                        next_attempt_at=now + timedelta(seconds=delay),
                        last_error=(result.error_code or result.detail)[:200],
                        **_maybe(result),
                    )
                )
            case "blocked" | "permanent" | "transient" if o.channel == "telegram" and row.phone:
                # Telegram cannot deliver this one (blocked, chat gone, refused, or unreachable through all its
                # attempts): send it by SMS instead, re-rendered by the SMS rules, with attempts of its own. A blocked
                # bot is remembered for everything after it too.
                if result.outcome == "blocked" and row.tenant_id is not None:
                    blocked_on_telegram(conn, row.tenant_id)
                conn.execute(
                    update(outbox)
                    .where(outbox.c.id == row.id)
                    .values(
                        channel="sms",
                        lease_until=None,
                        next_attempt_at=now,
                        attempts=0,
                        last_error=result.outcome,
                        **_maybe(result),
                    )
                )
            case "blocked" if row.tenant_id is not None:
                blocked_on_telegram(conn, row.tenant_id)
                finished.append((o, "failed", None))
            case "opted_out":
                if row.tenant_id is not None:
                    set_status(conn, row.tenant_id, "stopped", now, only_from=("active",))
                finished.append((o, "failed", None))
            case _:
                finished.append((o, "failed", None))
    if finished:
        (early if early is not None else []).extend(_finish(conn, finished, now))
    _set_marks(conn, marks or {})
    return _failed(finished)


def _set_marks(conn: Connection, marks: Mapping[int, bool]) -> None:
    if marks:
        execute_rows(conn, _MARK, [{"row_id": row_id, "maybe": maybe} for row_id, maybe in marks.items()])


def _failed(finished: list[tuple[Outcome, str, str | None]]) -> list[tuple[Outcome, str]]:
    """The rows of a batch that failed for good, with why (`record`)."""
    return [
        (o, "gave_up" if o.result.outcome == "transient" else o.result.outcome)
        for o, state, _reason in finished
        if state == "failed" and o.result is not None
    ]


def _finish(conn: Connection, finished: list[tuple[Outcome, str, str | None]], now: datetime) -> list[tuple[str, str]]:
    outboxes, facts, secrets, sids = [], [], [], []
    for o, state, reason in finished:
        result = o.result
        code = result.error_code if result is not None else None
        error = reason or ((code or result.detail)[:200] if result is not None else None) or None
        maybe = bool(result is not None and result.maybe_sent)
        outboxes.append({"row_id": o.row.id, "new_state": state, "error": error, "maybe": maybe})
        status = {"sent": "sent", "held": "held"}.get(state, "failed")
        text = o.text
        sid = (result.provider_id or None) if result is not None else None
        if sid is not None and o.channel == "sms":
            sids.append(sid)
        placeholder = SECRET_TEMPLATES.get(o.row.template)
        if placeholder is not None:
            secrets.append({"row_id": o.row.id})
            text = placeholder if text is not None and state == "sent" else None
        facts.append(
            {
                "message_id_": o.row.message_id,
                "now": now,
                "sent_at": now if state == "sent" else None,
                "code": code,
                "sent_on": o.channel,
                "sent_text": text,
                "sid": sid,
                "new_status": status,
                "rank": STATUS_RANK[status],
            }
        )
    execute_rows(conn, _FINISH_OUTBOX, outboxes)
    execute_rows(conn, _FINISH_MESSAGE, facts)
    if secrets:
        execute_rows(conn, _FORGET_VALUES, secrets)
    # One indexed query for a wave that recorded SMS sids, none for one that did not.
    return apply_early(conn, sids, now)
