"""Read back the seed.ingested events one source published to the shared test stream.

Other tests publish seeds (and, on purpose, malformed seed events) to the same stream, so the
reader walks the whole subject, skips what is not a SeedEvent, and keeps one source's seeds.
"""

from __future__ import annotations

import nats
from nats.js.api import ConsumerConfig, DeliverPolicy
from pydantic import ValidationError

from proto import subjects
from proto.seed import SeedEvent


async def published_seeds(url: str, source: str) -> list[tuple[SeedEvent, dict[str, str]]]:
    nc = await nats.connect(url)
    try:
        sub = await nc.jetstream().pull_subscribe(
            subjects.SEED_INGESTED,
            stream=subjects.STREAM,
            config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL),
        )
        found: list[tuple[SeedEvent, dict[str, str]]] = []
        while True:
            try:
                batch = await sub.fetch(500, timeout=2)
            except TimeoutError:  # nats-py raises its own or asyncio's, depending on the path
                break
            for msg in batch:
                await msg.ack()
                try:
                    seed = SeedEvent.model_validate_json(msg.data)
                except ValidationError:
                    continue
                if seed.source == source:
                    found.append((seed, dict(msg.headers or {})))
        await sub.unsubscribe()
        return found
    finally:
        await nc.close()
