"""What dedup replicas share through NATS KV: fingerprint claims and per-schema leases.

Why a lease per (run, schema) rather than routing each schema to one replica: routing needs a
partitioned subject (`sqlsynth.sample.reviewed.<p>`), which the reviser would have to publish
(a proto and reviser change), and a fixed replica count per partition, which KEDA's scaling on
consumer lag would break. A lease needs neither: any replica takes any sample; samples of one
schema are judged one at a time (search + insert, a few milliseconds), samples of different
schemas in parallel. Two-phase claims (insert as pending, search, the earlier wins) avoid the
wait but need a pending state in Qdrant and a cleanup of abandoned candidates; the lease is the
smaller mechanism for the same guarantee.

The lease is a KV entry `_lock.<hash of run.scope>` holding its owner and an expiry time. Taking
it is a create-if-absent; a holder that died is replaced after the expiry by a compare-and-set
on the entry's revision; releasing deletes only the revision we wrote. Before committing, the
holder checks the entry still is its revision (a fencing check): a holder paused past its expiry
finds it was replaced and retries the sample instead of inserting.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import random
import time
from collections.abc import AsyncIterator, Callable

from nats.js.errors import APIError, KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from shared.errors import RetryableError
from shared.similarity.locks import LockHandle

LOCK_PREFIX = "_lock."


class LeaseTimeout(RetryableError):
    """Another replica held the schema's lease for longer than we wait: retry the sample later."""


class KvClaimStore:
    """Create-if-absent in JetStream KV: atomic across replicas, survives restarts."""

    def __init__(self, kv: KeyValue) -> None:
        self.kv = kv

    async def claim(self, key: str, owner: str) -> str:
        try:
            await self.kv.create(key, owner.encode())
            return owner
        except KeyWrongLastSequenceError:
            entry = await self.kv.get(key)
            return entry.value.decode() if entry.value else owner

    async def owner(self, key: str) -> str | None:
        try:
            entry = await self.kv.get(key)
        except KeyNotFoundError:
            return None
        return entry.value.decode() if entry.value else None


def lock_key(key: str) -> str:
    """KV keys allow few characters; run ids are the user's: hash them."""
    return LOCK_PREFIX + hashlib.blake2b(key.encode(), digest_size=16).hexdigest()


class _Lease:
    def __init__(
        self,
        kv: KeyValue,
        key: str,
        revision: int,
        expires: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.kv = kv
        self.key = key
        self.revision = revision
        self.expires = expires
        self.clock = clock

    async def still_held(self) -> bool:
        if self.clock() >= self.expires:
            return False
        try:
            entry = await self.kv.get(self.key)
        except KeyNotFoundError:
            return False
        return entry.revision == self.revision


class KvLease:
    """A ScopeLock across processes: a lease per key in a KV bucket."""

    def __init__(
        self,
        kv: KeyValue,
        owner: str,
        ttl_s: float = 15.0,
        wait_s: float = 30.0,
        max_poll_s: float = 0.05,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.kv = kv
        self.owner = owner
        self.ttl_s = ttl_s
        self.wait_s = wait_s
        self.max_poll_s = max_poll_s
        # Wall-clock time, shared by replicas on other hosts (lease expiries are compared
        # across processes); injectable so tests expire a lease without waiting for it.
        self.clock = clock

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[LockHandle]:
        lease = await self._acquire(lock_key(key))
        try:
            yield lease
        finally:
            await self._release(lease)

    def _body(self) -> tuple[bytes, float]:
        expires = self.clock() + self.ttl_s
        return json.dumps({"owner": self.owner, "expires": expires}).encode(), expires

    async def _acquire(self, key: str) -> _Lease:
        deadline = time.monotonic() + self.wait_s
        delay = 0.001
        while True:
            body, expires = self._body()
            try:
                revision = await self.kv.create(key, body)
                return _Lease(self.kv, key, revision, expires, self.clock)
            except KeyWrongLastSequenceError:
                pass
            taken = await self._take_over_expired(key)
            if taken is not None:
                return taken
            if time.monotonic() >= deadline:
                raise LeaseTimeout(f"lease {key} still held after {self.wait_s:.0f}s")
            # Jitter keeps waiting replicas from retrying in lockstep.
            await asyncio.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, self.max_poll_s)

    async def _take_over_expired(self, key: str) -> _Lease | None:
        try:
            entry = await self.kv.get(key)
        except KeyNotFoundError:
            return None  # released meanwhile: the next create will tell
        try:
            held_until = float(json.loads(entry.value or b"{}").get("expires", 0))
        except (ValueError, AttributeError):
            held_until = 0.0  # unreadable: treat as expired rather than block forever
        if held_until > self.clock():
            return None
        body, expires = self._body()
        try:
            revision = await self.kv.update(key, body, last=entry.revision)
        except KeyWrongLastSequenceError:
            return None  # another waiter took it over first
        return _Lease(self.kv, key, revision, expires, self.clock)

    async def _release(self, lease: _Lease) -> None:
        # Delete only our revision: after a take-over the entry is someone else's.
        with contextlib.suppress(APIError, KeyWrongLastSequenceError):
            await self.kv.delete(lease.key, last=lease.revision)
