"""The fixture LRU: created once under concurrency, failures cached, eviction and leases."""

from __future__ import annotations

import asyncio

from proto.sample import ErrorClass
from shared.engines.cache import CLOSE_DROPS_IN_FLIGHT, FixtureCache, FixtureFailure
from shared.engines.fixture import Fixture


class Recorder:
    def __init__(self) -> None:
        self.created: list[str] = []
        self.dropped: list[str] = []

    async def create(self, fixture: Fixture) -> str | FixtureFailure:
        await asyncio.sleep(0.01)  # let concurrent callers pile up on the key lock
        self.created.append(fixture.ddl)
        if "bad" in fixture.ddl:
            return FixtureFailure(ErrorClass.SCHEMA, "boom")
        return fixture.ddl

    async def drop(self, handle: str) -> None:
        self.dropped.append(handle)


async def _use(cache: FixtureCache[str], fixture: Fixture) -> str | FixtureFailure:
    async with cache.lease(fixture) as handle:
        await asyncio.sleep(0)
        return handle


async def test_concurrent_first_use_creates_once() -> None:
    rec = Recorder()
    cache: FixtureCache[str] = FixtureCache(8, rec.create, rec.drop)
    results = await asyncio.gather(*(_use(cache, Fixture("a")) for _ in range(20)))
    assert results == ["a"] * 20
    assert rec.created == ["a"]
    assert (cache.stats.created, cache.stats.reused) == (1, 19)


async def test_failures_are_cached_too() -> None:
    rec = Recorder()
    cache: FixtureCache[str] = FixtureCache(8, rec.create, rec.drop)
    first = await _use(cache, Fixture("bad"))
    second = await _use(cache, Fixture("bad"))
    assert isinstance(first, FixtureFailure) and first == second
    assert rec.created == ["bad"] and cache.stats.failed == 1


async def test_lru_evicts_and_drops_the_oldest() -> None:
    rec = Recorder()
    cache: FixtureCache[str] = FixtureCache(2, rec.create, rec.drop)
    for ddl in ("a", "b", "a", "c"):  # "a" was used last before "c": "b" goes
        await _use(cache, Fixture(ddl))
    assert rec.dropped == ["b"] and len(cache) == 2
    await _use(cache, Fixture("b"))
    assert rec.created == ["a", "b", "c", "b"]


async def test_a_leased_fixture_is_dropped_only_after_release() -> None:
    rec = Recorder()
    cache: FixtureCache[str] = FixtureCache(1, rec.create, rec.drop)
    async with cache.lease(Fixture("a")):
        await _use(cache, Fixture("b"))  # evicts "a" while we still use it
        assert rec.dropped == []
    assert rec.dropped == ["a"]


async def test_forget_rebuilds_without_dropping() -> None:
    rec = Recorder()
    cache: FixtureCache[str] = FixtureCache(4, rec.create, rec.drop)
    await _use(cache, Fixture("a"))
    cache.forget(Fixture("a"))
    await _use(cache, Fixture("a"))
    assert rec.created == ["a", "a"] and rec.dropped == []
    await cache.close()
    assert rec.dropped == ["a"]


async def test_close_drops_every_idle_fixture_a_few_at_a_time() -> None:
    """A long run's cache holds hundreds of fixtures: dropped one by one at shutdown they kept a
    stopping validator past its grace period. Never more than the bound at once, none missed."""
    rec = Recorder()
    in_flight = most = 0

    async def drop(handle: str) -> None:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0)  # yield, as a round trip to the server does
        in_flight -= 1
        rec.dropped.append(handle)

    cache: FixtureCache[str] = FixtureCache(64, rec.create, drop)
    names = [f"f{i}" for i in range(20)]
    await asyncio.gather(*(_use(cache, Fixture(name)) for name in names))
    await cache.close()
    assert sorted(rec.dropped) == sorted(names) and len(cache) == 0
    assert most == CLOSE_DROPS_IN_FLIGHT
