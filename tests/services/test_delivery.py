"""The delivery policy every service shares, on FastStream's in-memory NATS broker."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from faststream.nats import NatsBroker, TestNatsBroker
from faststream.nats.annotations import NatsMessage

from proto import SampleEnvelope, subjects
from proto.common import Outcome, Stage
from services.common.app import Service, create_service
from services.common.delivery import StageFn
from shared.errors import EngineUnavailable
from shared.pipeline.dedup import ExactDedupStage, MemoryClaimStore
from shared.pipeline.emit import Emit
from shared.settings import ServiceSettings
from tests.unit.pipeline.conftest import make_envelope


class Collected:
    def __init__(self) -> None:
        self.messages: dict[str, list[NatsMessage]] = {}

    def on(self, service: Service[ServiceSettings, Any], subject: str) -> None:
        @service.broker.subscriber(subject, stream=service.stream)
        async def collect(msg: NatsMessage) -> None:
            self.messages.setdefault(subject, []).append(msg)

    def bodies(self, subject: str) -> list[bytes]:
        return [m.body for m in self.messages.get(subject, [])]


def build(fn: StageFn, *, max_deliver: int = 6) -> tuple[Service[ServiceSettings, Any], Collected]:
    service = create_service("test", ServiceSettings(max_deliver=max_deliver))
    service.sample_subscriber(subjects.SAMPLE_REVIEWED, "test", Stage.DEDUP, lambda: fn)
    collected = Collected()
    for subject in (subjects.SAMPLE_ACCEPTED, subjects.SAMPLE_REJECTED, subjects.POISON):
        collected.on(service, subject)
    return service, collected


async def publish(broker: NatsBroker, body: bytes) -> None:
    await broker.publish(body, subjects.SAMPLE_REVIEWED, stream=subjects.STREAM)


async def test_stage_output_is_published_with_an_idempotency_key() -> None:
    service, collected = build(ExactDedupStage(MemoryClaimStore()))
    async with TestNatsBroker(service.broker) as broker:
        await publish(broker, make_envelope("a").model_dump_json().encode())
    [msg] = collected.messages[subjects.SAMPLE_ACCEPTED]
    assert msg.headers["Nats-Msg-Id"] == "r1:a:1:accepted"
    accepted = SampleEnvelope.model_validate_json(msg.body)
    assert accepted.history[-1].outcome is Outcome.ACCEPTED


async def test_garbage_goes_to_poison_with_the_reason() -> None:
    service, collected = build(ExactDedupStage(MemoryClaimStore()))
    async with TestNatsBroker(service.broker) as broker:
        await publish(broker, b"\x00 definitely not an envelope")
    [msg] = collected.messages[subjects.POISON]
    assert msg.body == b"\x00 definitely not an envelope"
    assert "Invalid JSON" in msg.headers["Sqlsynth-Error"]
    assert msg.headers["Sqlsynth-Subject"] == subjects.SAMPLE_REVIEWED


async def test_a_bug_in_a_stage_rejects_the_sample_with_its_reason() -> None:
    async def broken(envelope: SampleEnvelope) -> Sequence[Emit]:
        raise ValueError("cannot handle this blueprint")

    service, collected = build(broken)
    async with TestNatsBroker(service.broker) as broker:
        await publish(broker, make_envelope("a").model_dump_json().encode())
    [body] = collected.bodies(subjects.SAMPLE_REJECTED)
    rejected = SampleEnvelope.model_validate_json(body)
    assert rejected.history[-1].reason == "ValueError: cannot handle this blueprint"
    assert rejected.history[-1].stage is Stage.DEDUP


@pytest.mark.parametrize("max_deliver, rejected", [(6, 0), (1, 1)])
async def test_retryable_errors_are_retried_until_max_deliver(
    max_deliver: int, rejected: int
) -> None:
    async def engine_down(envelope: SampleEnvelope) -> Sequence[Emit]:
        raise EngineUnavailable("postgres: connection refused")

    service, collected = build(engine_down)
    # max_deliver=1 means this first delivery is the last one: the sample must be rejected.
    service.settings.max_deliver = max_deliver
    async with TestNatsBroker(service.broker) as broker:
        await publish(broker, make_envelope("a").model_dump_json().encode())
    assert len(collected.bodies(subjects.SAMPLE_REJECTED)) == rejected
    retries = service.metrics.retries.labels("dedup", "EngineUnavailable")._value.get()
    assert retries == (1 - rejected)
    if rejected:
        envelope = SampleEnvelope.model_validate_json(collected.bodies(subjects.SAMPLE_REJECTED)[0])
        assert "retries exhausted" in (envelope.history[-1].reason or "")
