"""A small sliding-window rate limiter, keyed by whatever the caller chooses (e.g. an address)."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class RateLimiter:
    """Allow at most ``limit`` events per ``window`` seconds for each key."""

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """Make a limiter; ``clock`` is injectable so tests need not sleep."""
        self.limit = limit
        self.window = window
        self._clock = clock
        self._events: dict[str, deque[float]] = {}

    def _recent(self, key: str) -> deque[float]:
        now = self._clock()
        events = self._events.setdefault(key, deque())
        while events and now - events[0] >= self.window:
            events.popleft()
        return events

    def blocked(self, key: str) -> bool:
        """Return True while ``key`` has used up its allowance."""
        blocked = len(self._recent(key)) >= self.limit
        if not self._events[key]:
            # Forget idle keys so a stream of one-off addresses cannot grow the table forever.
            del self._events[key]
        return blocked

    def hit(self, key: str) -> None:
        """Record one event (e.g. a failed attempt) for ``key``."""
        self._recent(key).append(self._clock())
