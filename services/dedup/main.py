"""Dedup service: exact-duplicate claims in a NATS KV bucket shared by all replicas."""

from __future__ import annotations

from faststream import FastStream
from nats.js.errors import KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from proto import subjects
from proto.common import Stage
from services.common.app import Service, create_app, create_service
from shared.pipeline.dedup import ExactDedupStage
from shared.settings import ServiceSettings


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


async def start(service: Service) -> None:
    kv = await service.broker.key_value(subjects.DEDUP_BUCKET)
    service.state["stage"] = ExactDedupStage(KvClaimStore(kv))


def main() -> FastStream:
    service = create_service("dedup", ServiceSettings())
    service.sample_subscriber(
        subjects.SAMPLE_REVIEWED, "dedup", Stage.DEDUP, lambda: service.state["stage"]
    )
    return create_app(service, on_startup=start)
