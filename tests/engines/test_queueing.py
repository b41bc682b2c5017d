"""A check that waits for a pooled connection is not a slow statement: on a busy machine the
wait can exceed the statement timeout while the statement itself takes milliseconds, and
judging the deadline on the wait would turn queueing into TIMEOUT verdicts (seen once in CI)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from proto.common import Engine, Level
from shared.engines.registry import close_engines, open_engines
from shared.runtime.local import LocalStack
from tests.engines.conftest import make_settings, make_staff_fixture

TIMEOUT_MS = 1_000  # the tight budget of the engines tests (conftest.TIGHT_TIMEOUT_MS)
HELD_S = 3.0  # three times the statement timeout, well inside the pool's acquire deadline (10 s)


async def _hold_the_only_connection(engine: Any, held: asyncio.Event) -> None:
    """Take the query pool's single connection for HELD_S, then give it back."""
    conn = await engine._query.acquire()
    held.set()
    await asyncio.sleep(HELD_S)
    release = engine._query.release(conn)
    if asyncio.iscoroutine(release):
        await release


@pytest.mark.engines
@pytest.mark.parametrize("name", [Engine.POSTGRES, Engine.MYSQL])
async def test_waiting_for_a_pooled_connection_is_not_a_timeout(
    stack: LocalStack, name: Engine
) -> None:
    settings = make_settings(stack, statement_timeout_ms=TIMEOUT_MS, pool_size=1)
    opened = await open_engines(settings, [name])
    try:
        engine = opened[name]
        fixture = make_staff_fixture("queueing")
        sql = "SELECT name FROM emp WHERE salary > 80 ORDER BY name"
        warm = await engine.check(fixture, sql, Level.FULL)
        assert warm.ok, warm.message
        held = asyncio.Event()
        holder = asyncio.create_task(_hold_the_only_connection(engine, held))
        await held.wait()
        check = await engine.check(fixture, sql, Level.FULL)
        await holder
        assert check.ok, check.message
        assert check.row_count == 3
        # The reported time is the real wait, queueing included.
        assert check.elapsed_ms >= TIMEOUT_MS
    finally:
        await close_engines(opened)
