"""AIMD limiter: halves once per overload epoch, grows by ~1 per window, pauses, never stalls."""

from __future__ import annotations

import asyncio

import pytest

from shared.llm.concurrency import AdaptiveLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_overloads_of_one_epoch_decrease_once() -> None:
    clock = Clock()
    limiter = AdaptiveLimiter(16, minimum=1, maximum=32, default_pause_s=0, clock=clock)
    tickets = []
    for _ in range(8):
        async with limiter.slot() as ticket:
            tickets.append(ticket)
    clock.now = 1.0
    for ticket in tickets:  # replies of calls issued before the first decrease
        limiter.overloaded(ticket, retry_after_s=0)
    assert limiter.limit == 8.0
    clock.now = 2.0
    async with limiter.slot() as late:
        limiter.overloaded(late, retry_after_s=0)
    assert limiter.limit == 4.0
    assert [e.kind for e in limiter.trace if e.kind == "decrease"] == ["decrease", "decrease"]


async def test_success_grows_additively_and_respects_bounds() -> None:
    limiter = AdaptiveLimiter(2, minimum=1, maximum=4)
    for _ in range(2):  # 2 + 1/2 + 1/2.5 ~ 2.9
        async with limiter.slot() as ticket:
            limiter.succeeded(ticket)
    assert 2.8 < limiter.limit < 3.0
    for _ in range(100):
        async with limiter.slot() as ticket:
            limiter.succeeded(ticket)
    assert limiter.limit == 4.0
    clock = Clock()
    floor = AdaptiveLimiter(1, minimum=1, maximum=4, default_pause_s=0, clock=clock)
    for step in range(5):
        clock.now = float(step)
        async with floor.slot() as ticket:
            floor.overloaded(ticket, retry_after_s=0)
    assert floor.capacity == 1


async def test_capacity_blocks_and_releases() -> None:
    limiter = AdaptiveLimiter(2, minimum=1, maximum=2)
    inside = 0
    peak = 0

    async def call() -> None:
        nonlocal inside, peak
        async with limiter.slot() as ticket:
            inside += 1
            peak = max(peak, inside)
            await asyncio.sleep(0.01)
            inside -= 1
            limiter.succeeded(ticket)

    await asyncio.gather(*(call() for _ in range(10)))
    assert peak == 2
    assert limiter.in_flight == 0


async def test_pause_follows_retry_after_and_is_capped() -> None:
    clock = Clock()
    limiter = AdaptiveLimiter(4, max_pause_s=0.2, clock=clock)
    async with limiter.slot() as ticket:
        limiter.overloaded(ticket, retry_after_s=30)

    async def call() -> None:
        async with limiter.slot():
            pass

    waiting = asyncio.create_task(call())
    clock.now = 0.19
    for _ in range(50):
        await asyncio.sleep(0)
    assert not waiting.done()  # still paused 0.19 s in
    clock.now = 0.2  # the 30 s retry-after, capped at max_pause_s
    await asyncio.wait_for(waiting, timeout=30)  # the pause re-checks the clock every 0.2 s
    assert limiter.in_flight == 0


def test_bad_bounds_are_refused() -> None:
    with pytest.raises(ValueError):
        AdaptiveLimiter(1, minimum=2, maximum=4)
    with pytest.raises(ValueError):
        AdaptiveLimiter(2, decrease_factor=1.0)
