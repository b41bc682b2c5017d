"""The planner's key listings at start-up (run plans waiting for seeds, the seed pools): on a real
bucket, and a listing that never returns — nats-py's watcher has no deadline — is started again
instead of holding the planner's start-up for ever."""

from __future__ import annotations

import asyncio
import uuid

import nats
import pytest

from services.planner.seeds import KEYS_ATTEMPTS, SeedPools, list_keys
from shared.runtime.local import LocalStack


@pytest.mark.engines
async def test_pools_are_rebuilt_from_a_real_buckets_keys(stack: LocalStack) -> None:
    nc = await nats.connect(stack.dsn("nats") or "")
    try:
        kv = await nc.jetstream().create_key_value(bucket=f"seeds_{uuid.uuid4().hex[:8]}")
        assert await list_keys(kv) == []  # an empty bucket is no error
        for key in ("a.s1", "a.s2", "b.s1"):
            await kv.put(key, b"{}")
        pools = await SeedPools.open(kv)
        assert pools.ids("a") == {"s1", "s2"} and pools.ids("b") == {"s1"}
    finally:
        await nc.close()


class StuckOnce:
    """A bucket whose first `stuck` listings never return, as a watcher that lost its marker."""

    def __init__(self, stuck: int) -> None:
        self.stuck = stuck
        self.calls = 0

    async def keys(self) -> list[str]:
        self.calls += 1
        if self.calls <= self.stuck:
            await asyncio.Event().wait()  # never set
        return ["pool.s1"]


async def no_wait(_: float) -> None:
    return None


async def test_a_listing_that_never_returns_is_started_again() -> None:
    kv = StuckOnce(stuck=2)
    keys = await list_keys(kv, deadline_s=0.01, sleep=no_wait)  # type: ignore[arg-type]
    assert keys == ["pool.s1"] and kv.calls == 3


async def test_a_bucket_that_never_answers_ends_in_an_error_not_a_hang() -> None:
    kv = StuckOnce(stuck=1000)
    with pytest.raises(asyncio.TimeoutError):
        await list_keys(kv, deadline_s=0.01, sleep=no_wait)  # type: ignore[arg-type]
    assert kv.calls == KEYS_ATTEMPTS
