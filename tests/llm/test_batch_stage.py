"""BatchGeneratorStage (shared.pipeline.batching) on BatchDraftGenerator against the fake
Messages API: drafted, rejected with the reason, or sent online with what the batch spent."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from proto import subjects
from proto.common import Outcome, Stage
from proto.sample import ErrorClass, SampleEnvelope
from shared.generation.claude.batch import BatchDraftGenerator
from shared.generation.claude.engine import ClaudeDraftEngine, build_claude_engine
from shared.generation.claude.generator import SECTIONS
from shared.llm.batches import BatchRunner
from shared.pipeline.batching import (
    BatchGeneratorStage,
    GoOnline,
    Publish,
    batch_name,
    custom_id,
    sample_key,
)
from tests.fakes.llm import FakeAnthropic, FakeConfig
from tests.fakes.scripted import ScriptedModel
from tests.llm.conftest import anthropic_client, blueprints, make_settings


@pytest.fixture
def server() -> Iterator[FakeAnthropic]:
    with FakeAnthropic(ScriptedModel(), FakeConfig(batch_delay_s=0.02)) as fake:
        yield fake


def planned(n: int) -> list[tuple[str, SampleEnvelope]]:
    envelopes = [
        SampleEnvelope(run_id="r-batch", sample_id=f"r-batch-{i:07d}", blueprint=bp)
        for i, bp in enumerate(blueprints(n, seed=17))
    ]
    return [(sample_key(e), e) for e in envelopes]


def stage_for(claude: ClaudeDraftEngine, state: Path, retries: int = 0) -> BatchGeneratorStage:
    runner = BatchRunner(anthropic_client(claude), state, poll_s=0.02)
    generator = BatchDraftGenerator(claude, runner)
    return BatchGeneratorStage(generator, claude.name, retries=retries, retry_delay_s=0.05)


def asks(params: dict[str, Any], section: str) -> bool:
    return bool(params.get("tool_choice", {}).get("name") == f"submit_{section}")


async def test_each_sample_is_drafted_rejected_or_sent_online(
    server: FakeAnthropic, tmp_path: Path
) -> None:
    claude = build_claude_engine(make_settings(server, max_retries=0))
    items = planned(5)
    (bad, _), (flaky, _) = items[1], items[3]

    def error_fn(cid: str, params: dict[str, Any]) -> str | None:
        if cid == custom_id(bad):
            return "invalid_request_error"  # this sample's request is wrong: final
        if cid == custom_id(flaky) and asks(params, "query"):
            return "overloaded_error"  # the provider keeps failing it: worth trying online
        return None

    server.batches.error_fn = error_fn
    name = batch_name(k for k, _ in items)
    resolved = await stage_for(claude, tmp_path)(name, items)
    assert set(resolved) == {k for k, _ in items}
    for key, envelope in items:
        outcome = resolved[key]
        if key == flaky:
            assert isinstance(outcome, GoOnline) and "overloaded_error" in outcome.reason
            assert outcome.spent.calls == 1  # the design was answered and billed
            assert envelope.cost.calls == 0  # added by the online path, not twice
            continue
        assert isinstance(outcome, Publish)
        [emit] = outcome.emits
        if key == bad:
            assert emit.subject == subjects.SAMPLE_REJECTED and emit.outcome is Outcome.REJECTED
            last = envelope.history[-1]
            assert last.error_class is ErrorClass.GENERATION and last.stage is Stage.GENERATOR
            assert "invalid_request_error" in (last.reason or "")
            continue
        assert emit.subject == subjects.SAMPLE_DRAFTED and envelope.draft is not None
        assert envelope.draft.domain == envelope.blueprint.domain
        assert envelope.cost.calls == len(SECTIONS)
        assert envelope.history[-1].reason == f"engine=claude batch={name}"
    # Every billed call is on exactly one sample: envelopes plus what goes online.
    spent = sum(e.cost.usd for _, e in items) + resolved[flaky].spent.usd  # type: ignore[union-attr]
    assert spent == pytest.approx(claude.client.ledger.total.usd)
    assert server.billed()["calls"] == claude.client.ledger.total.calls
    # The two rounds, and the query round retried twice for the flaky sample.
    assert server.batches.created == len(SECTIONS) + 2
    await claude.aclose()


async def test_a_round_that_cannot_be_submitted_goes_online_then_resumes(
    server: FakeAnthropic, tmp_path: Path
) -> None:
    claude = build_claude_engine(make_settings(server, max_retries=0))
    create = server.batches.create

    def broken(body: dict[str, Any]) -> dict[str, Any]:
        if server.batches.created >= 1:  # the design round went through
            raise ConnectionResetError("load balancer dropped the request")
        return create(body)

    server.batches.create = broken  # type: ignore[method-assign]
    items = planned(3)
    name = batch_name(k for k, _ in items)
    resolved = await stage_for(claude, tmp_path)(name, items)
    for key, _ in items:
        outcome = resolved[key]
        assert isinstance(outcome, GoOnline) and "LlmUnavailable" in outcome.reason
        assert outcome.spent.calls == 1
    assert server.batches.created == 1

    # A redelivery of the same samples: the finished rounds come from disk, unpaid.
    server.batches.create = create  # type: ignore[method-assign]
    again = planned(3)
    resolved = await stage_for(claude, tmp_path)(name, again)
    assert all(isinstance(resolved[k], Publish) for k, _ in again)
    assert server.batches.created == len(SECTIONS)
    assert all(e.cost.calls == len(SECTIONS) for _, e in again)
    await claude.aclose()


async def test_a_round_refused_once_is_tried_again_before_going_online(
    server: FakeAnthropic, tmp_path: Path
) -> None:
    claude = build_claude_engine(make_settings(server, max_retries=0))
    create = server.batches.create
    refused: list[int] = []

    def flaky(body: dict[str, Any]) -> dict[str, Any]:
        if server.batches.created == 1 and not refused:  # the query round, once
            refused.append(server.batches.created)
            raise ConnectionResetError("load balancer dropped the request")
        return create(body)

    server.batches.create = flaky  # type: ignore[method-assign]
    items = planned(3)
    resolved = await stage_for(claude, tmp_path, retries=1)(batch_name(k for k, _ in items), items)
    assert refused == [1]
    assert all(isinstance(resolved[k], Publish) for k, _ in items)
    assert server.batches.created == len(SECTIONS)  # the finished round was not resent
    assert all(e.cost.calls == len(SECTIONS) for _, e in items)
    await claude.aclose()
