"""The per-run spend counter shared by every replica: one key per run in a NATS KV bucket,
incremented with compare-and-set (KV update with the last revision), so two generators adding
at once both count. Read by the planner to stop planning at the run's budget."""

from __future__ import annotations

import json

from faststream.nats import NatsBroker
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError

from proto import subjects
from services.common.broker import LazyBucket
from shared.pipeline.budget import Spent

CAS_ATTEMPTS = 50


class SpendCounter:
    def __init__(self, broker: NatsBroker) -> None:
        self.bucket = LazyBucket(broker, subjects.RUN_SPEND_BUCKET)

    async def read(self, run_id: str) -> Spent:
        kv = await self.bucket.get()
        try:
            entry = await kv.get(run_id)
        except KeyNotFoundError:
            return Spent()
        return _decode(entry.value)

    async def add(self, run_id: str, delta: Spent) -> Spent:
        kv = await self.bucket.get()
        for _ in range(CAS_ATTEMPTS):
            try:
                entry = await kv.get(run_id)
            except KeyNotFoundError:
                total = delta
                try:
                    await kv.create(run_id, _encode(total))
                    return total
                except KeyWrongLastSequenceError:
                    continue  # another replica created it first
            total = _decode(entry.value).add(delta)
            try:
                await kv.update(run_id, _encode(total), last=entry.revision)
                return total
            except KeyWrongLastSequenceError:
                continue  # another replica added in between: read again
        raise RuntimeError(f"spend counter for {run_id}: {CAS_ATTEMPTS} conflicting updates")


def _encode(spent: Spent) -> bytes:
    return json.dumps({"usd": spent.usd, "tokens": spent.tokens}).encode()


def _decode(raw: bytes | None) -> Spent:
    data = json.loads(raw or b"{}")
    return Spent(float(data.get("usd", 0.0)), int(data.get("tokens", 0)))
