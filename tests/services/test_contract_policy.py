"""The envelope version policy and the planner's refusal of unreadable statuses."""

from __future__ import annotations

import json

import pytest
from faststream.nats import TestNatsBroker
from pydantic import ValidationError

from proto import SampleEnvelope, subjects
from proto.common import SCHEMA_VERSION
from proto.versions import READABLE, UnsupportedVersion, decode
from shared.pipeline.dedup import ExactDedupStage, MemoryClaimStore
from tests.services.test_delivery import build, publish
from tests.unit.pipeline.conftest import make_envelope


def with_version(version: object) -> bytes:
    document = json.loads(make_envelope("a").model_dump_json())
    document["schema_version"] = version
    return json.dumps(document).encode()


def test_own_and_previous_versions_are_read_and_upgraded() -> None:
    assert {SCHEMA_VERSION, SCHEMA_VERSION - 1} == READABLE
    assert decode(SampleEnvelope, with_version(SCHEMA_VERSION)).schema_version == SCHEMA_VERSION
    upgraded = decode(SampleEnvelope, with_version(SCHEMA_VERSION - 1))
    assert upgraded.schema_version == SCHEMA_VERSION


@pytest.mark.parametrize("version", [SCHEMA_VERSION + 1, 999, -3, "1", None])
def test_newer_or_unknown_versions_are_refused_with_the_reason(version: object) -> None:
    with pytest.raises(UnsupportedVersion, match="schema_version"):
        decode(SampleEnvelope, with_version(version))


def test_bad_shapes_stay_validation_errors() -> None:
    with pytest.raises(ValidationError):
        decode(SampleEnvelope, b"\x00 not json")
    with pytest.raises(ValidationError):
        decode(SampleEnvelope, b"[1, 2]")


async def test_a_newer_envelope_is_poisoned_not_processed() -> None:
    service, collected = build(ExactDedupStage(MemoryClaimStore()))
    async with TestNatsBroker(service.broker) as broker:
        await publish(broker, with_version(999))
    assert not collected.messages.get(subjects.SAMPLE_ACCEPTED)
    [msg] = collected.messages[subjects.POISON]
    assert "schema_version 999" in msg.headers["Sqlsynth-Error"]


async def test_a_previous_version_envelope_is_processed() -> None:
    service, collected = build(ExactDedupStage(MemoryClaimStore()))
    async with TestNatsBroker(service.broker) as broker:
        await publish(broker, with_version(SCHEMA_VERSION - 1))
    [body] = collected.bodies(subjects.SAMPLE_ACCEPTED)
    assert SampleEnvelope.model_validate_json(body).schema_version == SCHEMA_VERSION
