"""Token buckets that keep each channel under its provider's rate."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

__all__ = ["RateLimiter"]


class _Bucket:
    __slots__ = ("capacity", "last", "rate", "tokens")

    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.last = now

    def wait_time(self, now: float) -> float:
        self.tokens = min(self.capacity, self.tokens + (now - self.last) * self.rate)
        self.last = now
        # A hair of tolerance: after sleeping exactly the wait, float rounding must not ask for 1e-17 s more.
        if self.tokens >= 1 - 1e-9:
            return 0.0
        return (1 - self.tokens) / self.rate


class RateLimiter:
    """An overall rate and an optional per-key rate (Telegram's one message a second per chat).

    The bucket holds one token, so no one-second window ever carries more than `rate` sends.
    """

    def __init__(
        self,
        rate: float,
        per_key_rate: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clock = clock
        self._overall = _Bucket(rate, 1.0, clock())
        self._per_key_rate = per_key_rate
        self._keys: dict[str, _Bucket] = {}
        self._lock = asyncio.Lock()

    async def acquire(self, key: str | None = None) -> None:
        """Wait until one more send is allowed."""
        async with self._lock:
            while True:
                now = self._clock()
                wait = self._overall.wait_time(now)
                bucket = self._key_bucket(key, now)
                if bucket is not None:
                    wait = max(wait, bucket.wait_time(now))
                if wait <= 0:
                    self._overall.tokens -= 1
                    if bucket is not None:
                        bucket.tokens -= 1
                    return
                await asyncio.sleep(wait)

    def _key_bucket(self, key: str | None, now: float) -> _Bucket | None:
        if key is None or self._per_key_rate is None:
            return None
        bucket = self._keys.get(key)
        if bucket is None:
            if len(self._keys) > 10_000:
                self._keys.clear()
            bucket = self._keys[key] = _Bucket(self._per_key_rate, 1.0, now)
        return bucket
