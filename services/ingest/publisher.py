"""Publish seeds to JetStream with idempotency keys (used by the service and `--publish`)."""

from __future__ import annotations

import nats
from nats.aio.client import Client

from proto import subjects
from proto.seed import SeedEvent
from services.common.broker import ensure_stream
from shared.ingest.shape import message_id


class SeedPublisher:
    """`Nats-Msg-Id` = seed id + count bucket: a replay after a crash or a restart within the
    stream's duplicate window is dropped by the server, a doubled count is news."""

    def __init__(self, nc: Client) -> None:
        self.nc = nc
        self.js = nc.jetstream()
        self.published = 0
        self.duplicates = 0

    @classmethod
    async def connect(cls, url: str) -> SeedPublisher:
        nc = await nats.connect(url, max_reconnect_attempts=-1)
        publisher = cls(nc)
        await ensure_stream(publisher.js)
        return publisher

    async def send(self, seeds: list[SeedEvent]) -> None:
        for seed in seeds:
            ack = await self.js.publish(
                subjects.SEED_INGESTED,
                seed.model_dump_json(exclude_none=True).encode(),
                headers={"Nats-Msg-Id": message_id(seed)},
            )
            if ack.duplicate:
                self.duplicates += 1
            else:
                self.published += 1

    async def close(self) -> None:
        await self.nc.drain()
