"""The routing table and its in-process driver: each subject reaches the stage that consumes
it, samples leave at subjects nothing here consumes, and wiring that disagrees is refused."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from proto import subjects
from proto.common import Outcome, Stage
from proto.sample import SampleEnvelope
from services.common.app import create_service
from shared.errors import EngineUnavailable
from shared.pipeline.emit import Emit
from shared.pipeline.routes import ROUTES, PipelineDriver, StageFn, routes_of
from shared.settings import ServiceSettings
from tests.unit.pipeline.conftest import make_envelope


def forward(to: str, outcome: Outcome, seen: list[str]) -> StageFn:
    async def stage(envelope: SampleEnvelope) -> Sequence[Emit]:
        seen.append(to)
        return [Emit(to, envelope, outcome)]

    return stage


async def test_a_sample_follows_the_routes_until_it_leaves() -> None:
    seen: list[str] = []
    failed_once: set[str] = set()

    async def validate(envelope: SampleEnvelope) -> Sequence[Emit]:
        seen.append("validate")
        if envelope.sample_id not in failed_once:  # the first draft fails, the repair passes
            failed_once.add(envelope.sample_id)
            return [Emit(subjects.SAMPLE_FAILED, envelope, Outcome.FAILED)]
        return [Emit(subjects.SAMPLE_CHECKED, envelope, Outcome.CHECKED)]

    driver = PipelineDriver(
        {
            subjects.SAMPLE_PLANNED: forward(subjects.SAMPLE_DRAFTED, Outcome.DRAFTED, seen),
            subjects.SAMPLE_DRAFTED: validate,
            subjects.SAMPLE_FAILED: forward(subjects.SAMPLE_DRAFTED, Outcome.REPAIRED, seen),
            subjects.SAMPLE_CHECKED: forward(subjects.SAMPLE_REVIEWED, Outcome.REVIEWED, seen),
            subjects.SAMPLE_REVIEWED: forward(subjects.SAMPLE_ACCEPTED, Outcome.ACCEPTED, seen),
        }
    )
    planned = [
        Emit(subjects.SAMPLE_PLANNED, make_envelope(f"s{i}"), Outcome.PLANNED) for i in (1, 2)
    ]
    left = await driver.run(planned)
    assert [(e.subject, e.envelope.sample_id) for e in left] == [
        (subjects.SAMPLE_ACCEPTED, "s2"),
        (subjects.SAMPLE_ACCEPTED, "s1"),
    ]
    # Generated, failed validation, repaired into a new draft, passed, reviewed, accepted;
    # one sample's whole path before the next (depth first).
    drafted = subjects.SAMPLE_DRAFTED
    one_path = [drafted, "validate", drafted, "validate", subjects.SAMPLE_REVIEWED]
    assert seen == [*one_path, subjects.SAMPLE_ACCEPTED] * 2


async def test_a_stage_not_given_is_where_the_sample_leaves() -> None:
    seen: list[str] = []
    driver = PipelineDriver(
        {subjects.SAMPLE_PLANNED: forward(subjects.SAMPLE_DRAFTED, Outcome.DRAFTED, seen)}
    )
    [left] = await driver.run_envelope(subjects.SAMPLE_PLANNED, make_envelope("a"))
    assert left.subject == subjects.SAMPLE_DRAFTED and seen == [subjects.SAMPLE_DRAFTED]


async def test_an_engine_that_did_not_answer_is_asked_again_as_a_redelivery_would() -> None:
    """In one process nothing redelivers: the driver retries the stage (an evolve run lost all
    its records to one MariaDB timeout on a loaded machine)."""
    calls: list[str] = []

    async def validate(envelope: SampleEnvelope) -> Sequence[Emit]:
        calls.append(envelope.sample_id)
        if len(calls) == 1:
            raise EngineUnavailable("mysql: no connection: TimeoutError()")
        return [Emit(subjects.SAMPLE_CHECKED, envelope, Outcome.CHECKED)]

    driver = PipelineDriver({subjects.SAMPLE_DRAFTED: validate})
    [left] = await driver.run_envelope(subjects.SAMPLE_DRAFTED, make_envelope("a"))
    assert left.subject == subjects.SAMPLE_CHECKED and calls == ["a", "a"]


def test_a_handler_for_a_subject_nothing_consumes_is_refused() -> None:
    with pytest.raises(ValueError, match="no route"):
        PipelineDriver({subjects.SAMPLE_ACCEPTED: forward("x", Outcome.ACCEPTED, [])})


def test_every_sample_subject_between_plan_and_sink_has_one_consumer() -> None:
    consumed = [route.subject for route in ROUTES]
    assert len(consumed) == len(set(consumed))
    assert [r.durable for r in routes_of(Stage.REVISER)] == ["reviser-review", "reviser-repair"]
    assert {r.service for r in ROUTES} == {
        Stage.GENERATOR,
        Stage.VALIDATOR,
        Stage.REVISER,
        Stage.DEDUP,
    }


def test_a_service_must_wire_exactly_its_routes() -> None:
    service = create_service("reviser", ServiceSettings())
    stage = forward(subjects.SAMPLE_DRAFTED, Outcome.REPAIRED, [])
    with pytest.raises(ValueError, match="no handler"):
        service.subscribe_routes(Stage.REVISER, {subjects.SAMPLE_FAILED: lambda: stage})
    with pytest.raises(ValueError, match="no route"):
        service.subscribe_routes(
            Stage.REVISER,
            {
                subjects.SAMPLE_FAILED: lambda: stage,
                subjects.SAMPLE_CHECKED: lambda: stage,
                subjects.SAMPLE_DRAFTED: lambda: stage,
            },
        )
