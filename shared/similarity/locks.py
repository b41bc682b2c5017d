"""Mutual exclusion per (run, schema) while a sample is checked against the pool and added to it.

Without it two near-duplicates judged at the same time both search the index before either is
added, and both are accepted (tests/similarity/test_concurrency.py shows the interleaving). The
in-process lock here serves one process (the CLI, a single dedup replica, tests); across replicas
the dedup service uses a lease in NATS KV with the same interface (services/dedup/kv.py).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Protocol


class LockHandle(Protocol):
    async def still_held(self) -> bool:
        """False when the lock was lost (a lease expired and was taken over): do not commit."""
        ...


class ScopeLock(Protocol):
    def hold(self, key: str) -> contextlib.AbstractAsyncContextManager[LockHandle]:
        """Hold the lock on `key` for the body of an `async with`."""
        ...


class _Held:
    async def still_held(self) -> bool:
        return True


class MemoryScopeLock:
    """One asyncio.Lock per key, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[LockHandle]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield _Held()
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)
