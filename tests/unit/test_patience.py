"""Offline commands retry an engine that did not answer, with backoff, and nothing else."""

from __future__ import annotations

import pytest

from shared.engines.patience import ATTEMPTS, patiently
from shared.errors import EngineUnavailable


class Flaky:
    """Fails with `error` for the first `failures` calls, then answers."""

    def __init__(self, failures: int, error: Exception) -> None:
        self.failures, self.error, self.calls = failures, error, 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return "answer"


class Waits:
    def __init__(self) -> None:
        self.seconds: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


async def test_an_engine_that_answers_late_is_asked_again_with_growing_waits() -> None:
    call, waits = Flaky(2, EngineUnavailable("mysql: no connection: TimeoutError()")), Waits()
    assert await patiently(call, sleep=waits) == "answer"
    assert call.calls == 3
    assert waits.seconds == sorted(waits.seconds) and len(waits.seconds) == 2
    assert waits.seconds[0] < waits.seconds[1]


async def test_an_engine_that_stays_down_ends_with_its_own_error() -> None:
    call, waits = Flaky(99, EngineUnavailable("postgres: no answer to CREATE")), Waits()
    with pytest.raises(EngineUnavailable, match="no answer to CREATE"):
        await patiently(call, sleep=waits)
    assert call.calls == ATTEMPTS and len(waits.seconds) == ATTEMPTS - 1


async def test_anything_but_an_unavailable_engine_is_not_retried() -> None:
    call, waits = Flaky(1, ValueError("a bug")), Waits()
    with pytest.raises(ValueError, match="a bug"):
        await patiently(call, sleep=waits)
    assert call.calls == 1 and waits.seconds == []
