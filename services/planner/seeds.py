"""The planner's seed pools: every seed.ingested event, kept in a KV bucket by pool and id.

Seeds travel separately from the run request (a trace can hold thousands), so the planner stores
them as they arrive, keyed "<pool>.<seed_id>" (a later event of the same shape, e.g. from follow
mode with a higher count, replaces the earlier one), and knows in memory which ids each pool holds
(rebuilt from the bucket's keys at start), to tell when a waiting run's pool is complete.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from nats.js.errors import KeyNotFoundError, NoKeysError
from nats.js.kv import KeyValue

from proto.seed import SeedEvent


async def list_keys(kv: KeyValue) -> list[str]:
    try:
        return list(await kv.keys())
    except NoKeysError:
        return []


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
