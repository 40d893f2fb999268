"""A channel whose sends keep failing: said in the log and in /metrics by the sender, on the admin page from the rows.

One try that meets a transient failure (the provider unreachable, no answer in time, a 5xx, the account refused)
waits and is tried again: nothing to alarm anyone. When a channel's tries have failed and none has gone through for
`WARN_AFTER_SECONDS` (and `WARN_AFTER_TRIES` tries), a WARNING says so with the latest reason (at most once a
minute), and while they fail `keephome_send_failing_since_seconds{channel}` holds the Unix time of the first failed
try since the provider last answered (0 while it answers, and once the process no longer sends), for an alert such
as `keephome_send_failing_since_seconds > 0 and time() - keephome_send_failing_since_seconds > 300`. Any answer that
is not a transient failure — sent, or a refusal of that one message — shows the provider answering again.
`failing_rows` reads the same from the stored rows for the admin page, whichever process serves it; `maybe_twice`
reads the messages of the last days that may have reached a tenant twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, func, select

from bot.alarms import Alarm
from bot.channels.base import SendResult
from bot.metrics import Metrics
from bot.outbox.claim import QUIET_HOURS
from bot.store.schema import MAYBE_TWICE, outbox, tenants

__all__ = ["TWICE_DAYS", "WARN_AFTER_SECONDS", "Failing", "MaybeTwice", "SendTrouble", "failing_rows", "maybe_twice"]

log = logging.getLogger(__name__)

WARN_AFTER_SECONDS = 60.0
# ... and at least this many tries: a few rows' sparse last retries failing minutes apart are no outage.
WARN_AFTER_TRIES = 5

# The settings to look at first when a channel's sends fail.
_SETTINGS = {
    "sms": "KEEPHOME_TWILIO_API_URL, KEEPHOME_TWILIO_ACCOUNT_SID and KEEPHOME_TWILIO_AUTH_TOKEN",
    "telegram": "KEEPHOME_TELEGRAM_API_URL and KEEPHOME_TELEGRAM_TOKEN",
}


class SendTrouble:
    """What the sender saw of each channel's last tries: since when they have failed, and how many."""

    def __init__(
        self,
        metrics: Metrics,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._metrics = metrics
        self._clock = clock
        self._wall = wall
        self._since: dict[str, float] = {}
        self._tries: dict[str, int] = {}
        self._alarm = Alarm()

    def forget(self) -> None:
        """This process stops sending (its role went to another, or it stops): what it saw is no longer news, and its
        gauges go back to 0, so an alert follows the process that sends."""
        for channel in self._since:
            self._metrics.send_failing_since.labels(channel).set(0)
        self._since.clear()
        self._tries.clear()

    def saw(self, channel: str, result: SendResult) -> None:
        """Count one try's outcome on `channel`."""
        if result.outcome != "transient":
            if self._since.pop(channel, None) is not None:
                tries = self._tries.pop(channel, 0)
                self._metrics.send_failing_since.labels(channel).set(0)
                log.info("%s: the provider answers again, after %d failed tries", channel, tries)
            return
        now = self._clock()
        first = self._since.get(channel)
        if first is None:
            first = self._since[channel] = now
            self._tries[channel] = 0
            self._metrics.send_failing_since.labels(channel).set(self._wall())
        self._tries[channel] += 1
        failing = now - first
        if failing >= WARN_AFTER_SECONDS and self._tries[channel] >= WARN_AFTER_TRIES and self._alarm.due(channel):
            log.warning(
                "%s: no message has gone out for %.0f s: %d tries failed, the latest with %s. The messages wait and "
                "are tried again; check %s, and the provider's status",
                channel,
                failing,
                self._tries[channel],
                result.error_code or result.detail or "no reason given",
                _SETTINGS.get(channel, "the channel's settings"),
            )


@dataclass(frozen=True)
class Failing:
    """Messages on one channel that wait to be tried again after a failed try: how many, the reason of the one that
    has failed most often, and when the oldest of them was queued."""

    channel: str
    count: int
    reason: str
    oldest: datetime


def failing_rows(conn: Connection) -> list[Failing]:
    """Per channel, the rows waiting to be tried again after a failed try (a row put off to the end of quiet hours
    has not failed; one moved from Telegram to SMS starts its tries afresh)."""
    retried = (
        outbox.c.state == "pending",
        outbox.c.attempts > 0,
        outbox.c.last_error.is_not(None),
        outbox.c.last_error != QUIET_HOURS,
    )
    counts = conn.execute(
        select(outbox.c.channel, func.count(), func.min(outbox.c.created_at))
        .where(*retried)
        .group_by(outbox.c.channel)
        .order_by(outbox.c.channel)
    ).all()
    found = []
    for channel, count, oldest in counts:
        reason = conn.execute(
            select(outbox.c.last_error)
            .where(*retried, outbox.c.channel == channel)
            .order_by(outbox.c.attempts.desc(), outbox.c.id.desc())
            .limit(1)
        ).scalar_one()
        found.append(Failing(str(channel), int(count), str(reason), oldest))
    return found


# How far back the admin page looks for messages that may have reached a tenant twice, and how many it lists.
TWICE_DAYS = 7
TWICE_LISTED = 50


@dataclass(frozen=True)
class MaybeTwice:
    """A message that may have reached its tenant twice: a try's outcome was unknown (no answer in time, a connection
    lost after the request went), or a holder stopped before it recorded the send (a lapsed lease)."""

    tenant_id: int | None
    tenant_ref: str | None
    name: str | None
    channel: str
    queued: datetime


def maybe_twice(conn: Connection, now: datetime) -> tuple[int, list[MaybeTwice]]:
    """How many messages queued in the last `TWICE_DAYS` days may have reached their tenant twice, and the latest
    `TWICE_LISTED` of them (the outbox's partial index `ix_outbox_maybe_sent` holds only these rows)."""
    where = (MAYBE_TWICE, outbox.c.created_at >= now - timedelta(days=TWICE_DAYS))
    count = int(conn.execute(select(func.count()).select_from(outbox).where(*where)).scalar_one())
    if not count:
        return 0, []
    rows = conn.execute(
        select(outbox.c.tenant_id, tenants.c.tenant_ref, tenants.c.name, outbox.c.channel, outbox.c.created_at)
        .select_from(outbox.outerjoin(tenants, tenants.c.id == outbox.c.tenant_id))
        .where(*where)
        .order_by(outbox.c.created_at.desc(), outbox.c.id.desc())
        .limit(TWICE_LISTED)
    ).all()
    return count, [MaybeTwice(*row) for row in rows]
