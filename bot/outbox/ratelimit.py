"""Rate limits that keep each channel under its provider's rate in every one-second window.

Sends wait for their turn in two queues: answers to a tenant's own message (`urgent`) get the next free turn
before any proactive message, so a campaign never makes a reply wait behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
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
        # Keep to the schedule: a turn given a little late (a busy event loop wakes late) does not push every later
        # turn back with it, or the rate would fall by the lateness of each; the log above keeps the window.
        base = self.next_free if now - self.next_free < self.spacing else now
        self.next_free = base + self.spacing

    def move(self, granted: float, now: float) -> None:
        """The send granted at `granted` leaves only `now`: count it then in the log, so no later one crowds the
        window (the even spacing keeps its schedule: a last look before a send must not slow every send down)."""
        for index in range(len(self.log) - 1, -1, -1):
            if self.log[index] == granted:
                del self.log[index]
                self.log.append(now)  # the latest of all: the log stays in order
                break


_Waiter = tuple[asyncio.Future[float], str | None]


class RateLimiter:
    """An overall rate and an optional per-key rate (Telegram's one message a second per chat)."""

    def __init__(
        self,
        rate: float,
        per_key_rate: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate
        self._clock = clock
        self._overall = _Window(rate)
        self._per_key_rate = per_key_rate
        self._keys: dict[str, _Window] = {}
        self._urgent: deque[_Waiter] = deque()
        self._normal: deque[_Waiter] = deque()
        self._dispatcher: asyncio.Task[None] | None = None

    async def acquire(self, key: str | None = None, *, urgent: bool = False) -> float:
        """Wait until one more send is allowed; an `urgent` send takes the next turn before every other.

        Returns when the turn was given (the limiter's clock); a send that leaves later says so with `sending`."""
        turn: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        (self._urgent if urgent else self._normal).append((turn, key))
        if self._dispatcher is None or self._dispatcher.done():
            self._dispatcher = asyncio.create_task(self._dispatch(), name="rate-limiter")
        try:
            return await turn
        except asyncio.CancelledError:
            if not self._live() and self._dispatcher is not None:
                self._dispatcher.cancel()  # nobody waits any more: no task outlives its waiters
                self._dispatcher = None
            raise

    def _live(self) -> bool:
        return any(not turn.done() for queue in (self._urgent, self._normal) for turn, _ in queue)

    async def _dispatch(self) -> None:
        """Hand out turns, urgent waiters first; a waiter whose key (chat) is busy lets the next one go."""
        with contextlib.suppress(asyncio.CancelledError):
            while True:
                for queue in (self._urgent, self._normal):
                    while queue and queue[0][0].done():  # cancelled meanwhile
                        queue.popleft()
                if not self._urgent and not self._normal:
                    return
                now = self._clock()
                wait = self._overall.wait_time(now)
                if wait > 0:
                    await asyncio.sleep(wait)
                    continue
                chosen = self._first_free(now)
                if chosen is None:
                    await asyncio.sleep(self._shortest_key_wait(now))
                    continue
                queue, index = chosen
                turn, key = queue[index]
                del queue[index]
                self._overall.take(now)
                window = self._key_window(key)
                if window is not None:
                    window.take(now)
                turn.set_result(now)

    def sending(self, key: str | None, granted: float) -> None:
        """The send whose turn was given at `granted` leaves now (a last look took a moment): the window counts it
        from now, so the sends after it keep their distance from the moment it really went."""
        now = self._clock()
        if now - granted <= 1e-3:
            return
        self._overall.move(granted, now)
        window = self._key_window(key)
        if window is not None:
            window.move(granted, now)

    def _first_free(self, now: float) -> tuple[deque[_Waiter], int] | None:
        for queue in (self._urgent, self._normal):
            for index, (turn, key) in enumerate(queue):
                if turn.done():
                    continue
                window = self._key_window(key)
                if window is None or window.wait_time(now) <= 0:
                    return queue, index
        return None

    def _shortest_key_wait(self, now: float) -> float:
        waits = [
            window.wait_time(now)
            for queue in (self._urgent, self._normal)
            for turn, key in queue
            if not turn.done() and (window := self._key_window(key)) is not None
        ]
        return max(min(waits, default=0.0), 1e-3)

    def _key_window(self, key: str | None) -> _Window | None:
        if key is None or self._per_key_rate is None:
            return None
        window = self._keys.get(key)
        if window is None:
            if len(self._keys) > 10_000:
                self._keys.clear()
            window = self._keys[key] = _Window(self._per_key_rate)
        return window
