"""A warning an operator must see but not a thousand times: each kind is said at most once a minute (a changed
secret refuses every message; a wrong Twilio token fails every send)."""

from __future__ import annotations

import time
from collections.abc import Hashable

__all__ = ["EVERY_SECONDS", "Alarm"]

EVERY_SECONDS = 60.0


class Alarm:
    """When each kind of warning was last said; `due` says whether to say it now (and counts it as said)."""

    def __init__(self, every: float = EVERY_SECONDS) -> None:
        self._every = every
        self._said: dict[Hashable, float] = {}

    def due(self, kind: Hashable) -> bool:
        now = time.monotonic()
        last = self._said.get(kind)
        if last is not None and now - last < self._every:
            return False
        self._said[kind] = now
        return True
