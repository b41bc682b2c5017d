"""An LRU of created fixtures per engine: create once (per-key lock), lease, evict, drop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from proto.sample import ErrorClass
from shared.engines.fixture import Fixture

log = logging.getLogger(__name__)

H = TypeVar("H")
# Fixture drops in flight when a cache closes (each engine's owner pool holds a few connections).
CLOSE_DROPS_IN_FLIGHT = 4


@dataclass(frozen=True)
class FixtureFailure:
    """A fixture that could not be built on an engine; cached so a retry is answered at once."""

    error_class: ErrorClass
    message: str


@dataclass
class CacheStats:
    created: int = 0
    reused: int = 0
    failed: int = 0
    evicted: int = 0


@dataclass
class _KeyLock:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Tasks holding or waiting for the lock; the last one out removes it from the map.
    holders: int = 0


@dataclass
class _Entry(Generic[H]):
    key: str
    value: H | FixtureFailure
    users: int = 0
    evicted: bool = False
    # Set when the engine lost the fixture on its own: nothing left to drop.
    forgotten: bool = False


@dataclass
class FixtureCache(Generic[H]):
    """Keyed by Fixture.key. `create` raises only for transient trouble (never cached)."""

    capacity: int
    create: Callable[[Fixture], Awaitable[H | FixtureFailure]]
    drop: Callable[[H], Awaitable[None]]
    stats: CacheStats = field(default_factory=CacheStats)
    _entries: OrderedDict[str, _Entry[H]] = field(default_factory=OrderedDict)
    _locks: dict[str, _KeyLock] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self._entries)

    @contextlib.asynccontextmanager
    async def lease(self, fixture: Fixture) -> AsyncIterator[H | FixtureFailure]:
        """The fixture's handle (or its cached failure); not dropped while leased."""
        entry = await self._get_entry(fixture)  # already counts us as a user
        try:
            yield entry.value
        finally:
            entry.users -= 1
            if entry.evicted and entry.users == 0:
                await self._drop_entry(entry)

    def forget(self, fixture: Fixture) -> None:
        """Forget a fixture that vanished on the engine (dropped by someone else).

        Nothing is dropped: the name may already belong to a fresh copy another task builds.
        """
        entry = self._entries.pop(fixture.key, None)
        if entry is not None:
            entry.evicted = entry.forgotten = True

    async def close(self) -> None:
        entries = list(self._entries.values())
        self._entries.clear()
        for entry in entries:
            entry.evicted = True
        # Several drops at a time: one by one, the hundreds of fixtures of a long run kept a
        # stopping validator busy for seconds (past a supervisor's grace period on a busy machine).
        in_flight = asyncio.Semaphore(CLOSE_DROPS_IN_FLIGHT)

        async def drop(entry: _Entry[H]) -> None:
            async with in_flight:
                await self._drop_entry(entry)

        await asyncio.gather(*(drop(entry) for entry in entries if entry.users == 0))

    async def _get_entry(self, fixture: Fixture) -> _Entry[H]:
        key = fixture.key
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
            self.stats.reused += 1
            entry.users += 1
            return entry
        async with self._key_lock(key):
            entry = self._entries.get(key)
            if entry is None:
                value = await self.create(fixture)
                # Counted as used before any await, so an overflow cannot evict it under us.
                entry = _Entry(key, value, users=1)
                self._entries[key] = entry
                if isinstance(value, FixtureFailure):
                    self.stats.failed += 1
                else:
                    self.stats.created += 1
                try:
                    await self._evict_overflow()
                except BaseException:
                    entry.users -= 1
                    raise
            else:
                self.stats.reused += 1
                entry.users += 1
        return entry

    @contextlib.asynccontextmanager
    async def _key_lock(self, key: str) -> AsyncIterator[None]:
        """One creation (or drop) per key at a time; concurrent first users wait for it."""
        held = self._locks.setdefault(key, _KeyLock())
        held.holders += 1
        try:
            async with held.lock:
                yield
        finally:
            held.holders -= 1
            if held.holders == 0:
                self._locks.pop(key, None)

    async def _evict_overflow(self) -> None:
        while len(self._entries) > self.capacity:
            _, entry = self._entries.popitem(last=False)
            entry.evicted = True
            self.stats.evicted += 1
            if entry.users == 0:
                await self._drop_entry(entry)

    async def _drop_entry(self, entry: _Entry[H]) -> None:
        if isinstance(entry.value, FixtureFailure) or entry.forgotten:
            return
        # Under the key's lock: a new copy of the same fixture waits until the old one is gone.
        async with self._key_lock(entry.key):
            try:
                await self.drop(entry.value)
            except Exception as exc:  # a failed drop leaves garbage, never a wrong answer
                log.warning("dropping a scratch fixture failed: %s", exc)
