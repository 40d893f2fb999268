"""Rate limits that keep each channel under its provider's rate in every one-second window."""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Callable

__all__ = ["RateLimiter"]

# Slack on the one-second window: a send that leaves on time may still arrive a little late or early.
WINDOW_MARGIN = 0.02


class _Window:
    """Even spacing (1/rate apart) plus a log of the last `rate` sends, none within one second."""

    __slots__ = ("capacity", "log", "next_free", "spacing")

    def __init__(self, rate: float) -> None:
        self.spacing = 1.0 / rate
        self.capacity = max(1, math.floor(rate))
        self.log: deque[float] = deque(maxlen=self.capacity)
        self.next_free = -math.inf

    def wait_time(self, now: float) -> float:
        wait = self.next_free - now
        if len(self.log) == self.capacity:
            wait = max(wait, self.log[0] + 1.0 + WINDOW_MARGIN - now)
        # A hair of tolerance: after sleeping exactly the wait, float rounding must not ask for 1e-17 s more.
        return wait if wait > 1e-9 else 0.0

    def take(self, now: float) -> None:
        self.log.append(now)
        self.next_free = max(now, self.next_free) + self.spacing


class RateLimiter:
    """An overall rate and an optional per-key rate (Telegram's one message a second per chat)."""

    def __init__(
        self,
        rate: float,
        per_key_rate: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clock = clock
        self._overall = _Window(rate)
        self._per_key_rate = per_key_rate
        self._keys: dict[str, _Window] = {}
        self._lock = asyncio.Lock()

    async def acquire(self, key: str | None = None) -> None:
        """Wait until one more send is allowed."""
        async with self._lock:
            while True:
                now = self._clock()
                window = self._key_window(key)
                wait = self._overall.wait_time(now)
                if window is not None:
                    wait = max(wait, window.wait_time(now))
                if wait <= 0:
                    self._overall.take(now)
                    if window is not None:
                        window.take(now)
                    return
                await asyncio.sleep(wait)

    def _key_window(self, key: str | None) -> _Window | None:
        if key is None or self._per_key_rate is None:
            return None
        window = self._keys.get(key)
        if window is None:
            if len(self._keys) > 10_000:
                self._keys.clear()
            window = self._keys[key] = _Window(self._per_key_rate)
        return window
