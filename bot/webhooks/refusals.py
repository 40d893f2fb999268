"""What an operator must hear of at the webhooks: a refused or lost message is counted on `/metrics` (the inbound
counter's result) and logged at WARNING, at most once a minute for each kind, so a misconfiguration (a changed
secret, a wrong public URL) or a database that cannot be written shows at once while a flood of forgeries does
not flood the log."""

from __future__ import annotations

import logging
import time

from bot.metrics import Metrics

__all__ = ["WARN_EVERY_SECONDS", "refused"]

log = logging.getLogger(__name__)

WARN_EVERY_SECONDS = 60.0
_warned: dict[tuple[str, str], float] = {}


def refused(metrics: Metrics, channel: str, result: str, why: str) -> None:
    """Count a webhook message keephome did not store (`result`), and warn with `why` unless it did so within the
    last minute for this kind."""
    metrics.inbound.labels(channel, result).inc()
    now = time.monotonic()
    last = _warned.get((channel, result))
    if last is not None and now - last < WARN_EVERY_SECONDS:
        return
    _warned[(channel, result)] = now
    log.warning(
        "%s webhook: %s (counted in keephome_inbound_messages_total{result=%r}; said at most once a minute)",
        channel,
        why,
        result,
    )
