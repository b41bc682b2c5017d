"""A manual clock for code that takes injected timers: tests advance time instead of sleeping."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class ManualTimer:
    when: float
    callback: Callable[[], None]
    cancelled: bool = False

    def cancel(self) -> None:
        self.cancelled = True


@dataclass
class ManualClock:
    """`now()` for clock arguments, `call_later` for timer arguments; `advance` runs what falls
    due, in order, each at its own time."""

    now_s: float = 0.0
    _due: list[tuple[float, int, ManualTimer]] = field(default_factory=list)
    _order: itertools.count[int] = field(default_factory=itertools.count)

    def now(self) -> float:
        return self.now_s

    def call_later(self, delay: float, callback: Callable[[], None]) -> ManualTimer:
        timer = ManualTimer(self.now_s + delay, callback)
        heapq.heappush(self._due, (timer.when, next(self._order), timer))
        return timer

    def pending(self) -> int:
        """Timers set and neither fired nor cancelled."""
        return sum(1 for _, _, timer in self._due if not timer.cancelled)

    def advance(self, seconds: float) -> None:
        until = self.now_s + seconds
        # A tolerance so that 0.09 + 0.01 reaches a timer set 0.1 ahead, as a reader expects.
        while self._due and self._due[0][0] <= until + 1e-9:
            when, _, timer = heapq.heappop(self._due)
            self.now_s = max(self.now_s, when)
            if not timer.cancelled:
                timer.callback()
        self.now_s = max(self.now_s, until)
