"""What an operator must hear of at the webhooks: a refused or lost message is counted on `/metrics` (the inbound
counter's result) and logged at WARNING, at most once a minute for each kind, so a misconfiguration (a changed
secret, a wrong public URL) or a database that cannot be written shows at once while a flood of forgeries does
not flood the log."""

from __future__ import annotations

import logging

from bot.alarms import Alarm
from bot.metrics import Metrics

__all__ = ["refused"]

log = logging.getLogger(__name__)

_ALARM = Alarm()


def refused(metrics: Metrics, channel: str, result: str, why: str) -> None:
    """Count a webhook message keephome did not store (`result`), and warn with `why` unless it did so within the
    last minute for this kind."""
    metrics.inbound.labels(channel, result).inc()
    if not _ALARM.due((channel, result)):
        return
    log.warning(
        "%s webhook: %s (counted in keephome_inbound_messages_total{result=%r}; said at most once a minute)",
        channel,
        why,
        result,
    )
