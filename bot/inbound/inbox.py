"""Inbound messages are committed before a webhook answers, many per transaction (group commit)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError

from bot.store.db import Database
from bot.store.dialect import insert_for
from bot.store.schema import inbound

__all__ = [
    "CUT_MARK",
    "MAX_TEXT",
    "InboundMessage",
    "Inbox",
    "Outcome",
    "clean_payload",
    "clean_text",
    "receipt_text",
    "unstorable",
]

log = logging.getLogger(__name__)

# What became of a submitted message: stored; already there (a provider's retry: the webhook answers as for a
# stored one, and an operator counts them); or refused for good because no database can store it (the provider is
# told so, and does not send it again).
Outcome = Literal["stored", "duplicate", "rejected"]

_SURROGATE = re.compile("[\ud800-\udfff]")

# The longest text a provider delivers as one message, in characters: Twilio's inbound SMS body (1,600) and a Telegram
# text (4,096; a caption is shorter). A longer text is no message the provider sent as it is (a forged or broken
# request that was signed all the same, a simulator's paste): its first characters are kept, and the mark the console
# shows at its end says the rest was cut, rather than refusing it and losing the tenant's words with the rest.
MAX_TEXT = {"sms": 1600, "telegram": 4096}
CUT_MARK = " […]"


def clean_text(value: str) -> str:
    """Text as every database can store it: NUL removed, a lone surrogate (not a character) as U+FFFD."""
    if "\x00" in value:
        value = value.replace("\x00", "")
    if value.isascii():
        return value
    return _SURROGATE.sub("\ufffd", value)


def clean_payload(payload: Mapping[str, Any]) -> dict[str, Any]:
    """A payload whose string values are cleaned like text."""
    return {key: clean_text(value) if isinstance(value, str) else value for key, value in payload.items()}


def unstorable(exc: BaseException) -> bool:
    """Whether a failed write failed because of the data itself (trying again cannot help).

    Text the driver cannot encode, or a value the database refuses (SQLSTATE class 22, data exception;
    23, integrity). A lost connection, a lock or a full disk is not: the webhook answers 500 instead.
    """
    if isinstance(exc, ValueError | TypeError | DataError | IntegrityError):  # UnicodeError is a ValueError
        return True
    if isinstance(exc, DBAPIError):
        orig = exc.orig
        code = str(getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None) or "")
        return code.startswith(("22", "23"))
    if isinstance(exc, StatementError):  # raised before the driver was reached: the parameters are wrong
        return exc.orig is None or unstorable(exc.orig)
    # asyncpg's own error: on PostgreSQL the group commit's statement goes to it directly (Database.run_statement)
    return str(getattr(exc, "sqlstate", None) or "").startswith(("22", "23"))


def receipt_text(channel: str, text: str | None) -> tuple[str | None, int]:
    """The text as it is stored for `channel`, and how many of its characters were cut (0: none)."""
    cap = MAX_TEXT.get(channel, max(MAX_TEXT.values()))
    if text is None or len(text) <= cap:
        return text, 0
    return text[:cap] + CUT_MARK, len(text) - cap


@dataclass(frozen=True)
class InboundMessage:
    """One message or button press as a provider delivered it."""

    channel: str  # sms or telegram
    provider_id: str  # unique per channel: Twilio MessageSid, Telegram chat:message or cb:<id>
    sender: str  # E.164 phone or Telegram chat id
    text: str | None
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Pending:
    message: InboundMessage
    received_at: datetime
    done: asyncio.Future[Outcome]


_INSERTS: dict[str, Any] = {}


def _insert_inbound(dialect: str) -> Any:
    """The group commit's INSERT, built once per dialect (its parameters are then made once too: bot.store.rows).

    It returns the keys of the rows it wrote, so a duplicate is told apart in the same statement.
    """
    stmt = _INSERTS.get(dialect)
    if stmt is None:
        stmt = _INSERTS[dialect] = (
            insert_for(dialect, inbound)
            .on_conflict_do_nothing(index_elements=["channel", "provider_id"])
            .returning(inbound.c.channel, inbound.c.provider_id)
        )
    return stmt


def _outcomes(batch: list[InboundMessage], written: list[tuple[Any, ...]]) -> list[Outcome]:
    """Each message's outcome from the keys the INSERT wrote: a key repeated in the batch is stored once, first."""
    keys = {(channel, provider_id) for channel, provider_id in written}
    outcomes: list[Outcome] = []
    for message in batch:
        key = (message.channel, message.provider_id)
        if key in keys:
            keys.remove(key)
            outcomes.append("stored")
        else:
            outcomes.append("duplicate")
    return outcomes


def _receipt(message: InboundMessage, now: datetime) -> dict[str, Any]:
    """The inbound row of a message: every door's message passes here, so here its text is capped (`MAX_TEXT`), and
    the payload keeps how many characters were cut."""
    text, cut = receipt_text(message.channel, message.text)
    payload = {**message.payload, "cut": cut} if cut else message.payload
    return {
        "channel": message.channel,
        "provider_id": message.provider_id,
        "sender": message.sender,
        "text": text,
        "payload": payload or None,
        "received_at": now,
    }


class Inbox:
    """Collects submissions while a transaction is in flight and commits them together.

    `submit` returns only after the message is durable, so a webhook that then answers 200 loses
    nothing if the process dies a moment later. Duplicates (same channel and provider id) are no-ops, told apart by
    the rows the group's INSERT returns (no statement of their own).
    When a group fails, each of its messages is committed alone, so one message that cannot be stored
    never fails its neighbours; that one is rejected (logged by its ids, never its text).

    `hold` is awaited before each group is committed: the processor's `caught_up`, so that while it is behind
    the webhooks answer at the pace it handles their messages.
    """

    def __init__(
        self,
        db: Database,
        clock: Callable[[], datetime],
        on_commit: Callable[[], None] = lambda: None,
        max_batch: int = 500,
        hold: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._on_commit = on_commit
        self._max_batch = max_batch
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._waiting = 0  # submissions not yet committed; read by the processor's thread
        self._hold = hold
        self._holding = False  # held for the processor: it need not give way to these webhooks

    def has_waiting(self) -> bool:
        """Whether a webhook is waiting for its commit (the processor then gives way)."""
        return self._waiting > 0 and not self._holding

    async def start(self) -> None:
        """Start the committing task in the running loop."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="inbox-commit")

    async def stop(self) -> None:
        """Commit what is queued, then stop."""
        if self._task is None:
            return
        await self._queue.join()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def submit(self, message: InboundMessage) -> Outcome:
        """Return "stored" once the message is committed, "duplicate" when it was already there, or "rejected" when it
        cannot be stored.

        Any other failure (the database is unreachable, say) raises: the webhook answers 500.
        """
        if self._task is None:
            outcome = await self._alone(message, self._clock())
            if outcome == "stored":
                self._on_commit()
            return outcome
        done: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._waiting += 1
        try:
            await self._queue.put(_Pending(message, self._clock(), done))
            return await done
        finally:
            self._waiting -= 1

    async def commit(self, batch: list[InboundMessage], received_at: datetime | None = None) -> list[Outcome]:
        """Write a batch in one transaction, ignoring duplicates; each message's outcome, in the batch's order."""
        outcomes = await self._write(batch, received_at or self._clock())
        if "stored" in outcomes:
            self._on_commit()
        return outcomes

    async def _write(self, batch: list[InboundMessage], now: datetime) -> list[Outcome]:
        rows = [_receipt(m, now) for m in batch]
        written = await self._db.run_statement(_insert_inbound("sqlite" if self._db.is_sqlite else "postgresql"), rows)
        return _outcomes(batch, written)

    async def _alone(self, message: InboundMessage, now: datetime) -> Outcome:
        """Commit one message on its own; "rejected" when its data cannot be stored, else the error raises."""
        try:
            [outcome] = await self._write([message], now)
        except Exception as exc:
            if not unstorable(exc):
                raise
            log.warning(
                "inbound message rejected, it cannot be stored: channel=%s provider_id=%s error=%s",
                message.channel,
                message.provider_id,
                type(exc).__name__,
            )
            return "rejected"
        return outcome

    async def _one_by_one(self, batch: list[_Pending]) -> None:
        """After a group failed: each message alone; the first failure that is not the data's fails the rest."""
        stored = False
        for index, pending in enumerate(batch):
            try:
                outcome = await self._alone(pending.message, pending.received_at)
            except Exception as exc:  # the database itself: every webhook still waiting answers 500
                log.exception("inbound commit failed for %d messages", len(batch) - index)
                for rest in batch[index:]:
                    if not rest.done.done():
                        rest.done.set_exception(exc)
                break
            stored = stored or outcome == "stored"
            if not pending.done.done():
                pending.done.set_result(outcome)
        if stored:
            self._on_commit()

    async def _run(self) -> None:
        while True:
            first = await self._queue.get()
            if self._hold is not None:
                self._holding = True
                try:
                    await self._hold()
                finally:
                    self._holding = False
            batch = [first]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                outcomes = await self.commit([p.message for p in batch], first.received_at)
            except Exception:
                await self._one_by_one(batch)
            else:
                for p, outcome in zip(batch, outcomes, strict=True):
                    if not p.done.done():
                        p.done.set_result(outcome)
            for _ in batch:
                self._queue.task_done()
