"""The planner's seed pools: every seed.ingested event, kept in a KV bucket by pool and id.

Seeds travel separately from the run request (a trace can hold thousands), so the planner stores
them as they arrive, keyed "<pool>.<seed_id>" (a later event of the same shape, e.g. from follow
mode with a higher count, replaces the earlier one), and knows in memory which ids each pool holds
(rebuilt from the bucket's keys at start), to tell when a waiting run's pool is complete.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable

from nats.js.errors import KeyNotFoundError, NoKeysError
from nats.js.kv import KeyValue

from proto.seed import SeedEvent
from shared.engines.patience import patiently

# nats-py lists a bucket's keys through a watcher with no deadline of its own: on a loaded
# machine its end-of-replay marker can go missing and the call never returns, which left the
# planner stuck in its start-up (no run planned, no error). Each listing gets a deadline, and a
# listing that missed it (or a request that timed out) is started afresh.
KEYS_DEADLINE_S = 20.0
KEYS_ATTEMPTS = 4


async def list_keys(
    kv: KeyValue,
    *,
    deadline_s: float = KEYS_DEADLINE_S,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> list[str]:
    """Every key of the bucket ([] for an empty one); after KEYS_ATTEMPTS listings that did not
    finish in time, the last TimeoutError is raised (the service exits and is restarted)."""

    async def listing() -> list[str]:
        try:
            return list(await asyncio.wait_for(kv.keys(), deadline_s))
        except NoKeysError:
            return []

    return await patiently(
        listing, attempts=KEYS_ATTEMPTS, sleep=sleep, retrying=asyncio.TimeoutError
    )


class SeedPools:
    def __init__(self, kv: KeyValue, known: dict[str, set[str]]) -> None:
        self.kv = kv
        self.known = known

    @classmethod
    async def open(cls, kv: KeyValue) -> SeedPools:
        known: defaultdict[str, set[str]] = defaultdict(set)
        for key in await list_keys(kv):
            pool, _, seed_id = key.partition(".")
            known[pool].add(seed_id)
        return cls(kv, dict(known))

    def ids(self, pool: str) -> set[str]:
        return self.known.get(pool, set())

    async def put(self, seed: SeedEvent) -> None:
        await self.kv.put(f"{seed.pool}.{seed.seed_id}", seed.model_dump_json().encode())
        self.known.setdefault(seed.pool, set()).add(seed.seed_id)

    async def load(self, keys: Iterable[str]) -> dict[str, SeedEvent]:
        """Seeds by id, for keys "<pool>.<seed_id>"; a missing key is skipped."""
        seeds: dict[str, SeedEvent] = {}
        for key in keys:
            try:
                entry = await self.kv.get(key)
            except KeyNotFoundError:
                continue
            if entry.value:
                seed = SeedEvent.model_validate_json(entry.value)
                seeds[seed.seed_id] = seed
        return seeds
