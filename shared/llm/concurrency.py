"""Adaptive concurrency for LLM calls: additive increase, multiplicative decrease (AIMD).

A 429/529 halves the number of calls allowed at once and pauses new calls for the provider's
retry-after (capped); every success adds `increase / limit`, so the limit grows by about one
per round trip of a full window, as TCP's congestion avoidance does. The limit never drops below
`minimum` (>= 1) and a pause never exceeds `max_pause_s`, so a rate-limit storm slows the run
but cannot stall it: there is always a call in flight or a pause about to end. (NeMo
DataDesigner's issue #575 is the failure this prevents: sustained 429s produced zero records.)

Only overloads of calls that *started after* the last decrease shrink the limit or pause again:
the replies of calls issued under the old, larger limit arrive together and say nothing new.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Literal

EventKind = Literal["decrease", "increase", "pause"]


@dataclass(frozen=True)
class LimiterEvent:
    at: float
    kind: EventKind
    limit: float
    in_flight: int


@dataclass
class Ticket:
    """One admitted call; tells the limiter when it started."""

    started_at: float
    outcome: Literal["pending", "success", "overload", "error"] = "pending"


class AdaptiveLimiter:
    def __init__(
        self,
        initial: int = 8,
        *,
        minimum: int = 1,
        maximum: int = 64,
        decrease_factor: float = 0.5,
        increase: float = 1.0,
        default_pause_s: float = 1.0,
        max_pause_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        trace_size: int = 10_000,
    ) -> None:
        if not 1 <= minimum <= initial <= maximum:
            raise ValueError("need 1 <= minimum <= initial <= maximum")
        if not 0 < decrease_factor < 1:
            raise ValueError("decrease_factor must be in (0, 1)")
        self.minimum, self.maximum = minimum, maximum
        self.decrease_factor, self.increase = decrease_factor, increase
        self.default_pause_s, self.max_pause_s = default_pause_s, max_pause_s
        self.clock = clock
        self._limit = float(initial)
        self._in_flight = 0
        self._paused_until = 0.0
        self._last_decrease = float("-inf")
        self._cond = asyncio.Condition()
        self.trace: deque[LimiterEvent] = deque(maxlen=trace_size)
        self.successes = 0
        self.overloads = 0

    @property
    def limit(self) -> float:
        return self._limit

    @property
    def capacity(self) -> int:
        """Calls admitted at once right now."""
        return max(self.minimum, int(self._limit))

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[Ticket]:
        """Wait for room (and for any pause to end), then hold one slot for the call."""
        await self._acquire()
        ticket = Ticket(started_at=self.clock())
        try:
            yield ticket
        finally:
            if ticket.outcome == "success":
                self._grow()
            elif ticket.outcome == "overload":
                self.overloads += 1
            async with self._cond:
                self._in_flight -= 1
                self._cond.notify_all()

    def succeeded(self, ticket: Ticket) -> None:
        ticket.outcome = "success"

    def failed(self, ticket: Ticket) -> None:
        """A failure that says nothing about load (5xx, timeout): neither grow nor shrink."""
        ticket.outcome = "error"

    def overloaded(self, ticket: Ticket, retry_after_s: float | None = None) -> None:
        """A 429/529: once per epoch, shrink and pause new calls for the retry-after.

        Overloads of calls issued before the last decrease are stragglers of the same epoch:
        they neither shrink the limit again nor extend the pause (their own samples still wait
        their retry-after in the broker).
        """
        ticket.outcome = "overload"
        if ticket.started_at < self._last_decrease:
            return
        now = self.clock()
        self._limit = max(float(self.minimum), self._limit * self.decrease_factor)
        self._last_decrease = now
        self._record("decrease")
        pause = self.default_pause_s if retry_after_s is None else retry_after_s
        self._paused_until = max(self._paused_until, now + min(self.max_pause_s, pause))
        self._record("pause")

    def _grow(self) -> None:
        self.successes += 1
        before = int(self._limit)
        self._limit = min(float(self.maximum), self._limit + self.increase / self._limit)
        if int(self._limit) != before:
            self._record("increase")

    def _record(self, kind: EventKind) -> None:
        self.trace.append(LimiterEvent(self.clock(), kind, self._limit, self._in_flight))

    async def _acquire(self) -> None:
        async with self._cond:
            while True:
                wait = self._paused_until - self.clock()
                if wait <= 0 and self._in_flight < self.capacity:
                    self._in_flight += 1
                    return
                timeout = wait if wait > 0 else None
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._cond.wait(), timeout)
