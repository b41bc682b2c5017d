"""With the answer-retry budget spent (or set to 0), a malformed model answer ends as a rejection
or a failed repair with its reason; a malformed agent-tool call is answered with the error and the
model goes on. The retries themselves: tests/llm/test_answer_retries.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from proto import subjects
from proto.common import Outcome
from proto.sample import ErrorClass, Feedback, SampleEnvelope
from shared.generation.claude.engine import ClaudeDraftEngine, build_claude_engine
from shared.generation.claude.tools import run_on_sqlite
from shared.llm.errors import MalformedOutput
from shared.pipeline.generate import GeneratorStage
from shared.pipeline.revise import ReviserStage
from tests.fakes.llm import FakeAnthropic, FakeConfig, Fault
from tests.fakes.scripted import ScriptedModel
from tests.llm.conftest import blueprints, make_settings, sample_draft


@pytest.fixture
async def engine(fake: FakeAnthropic) -> AsyncIterator[ClaudeDraftEngine]:
    claude = build_claude_engine(make_settings(fake, answer_retries=0))
    yield claude
    await claude.aclose()


async def test_malformed_section_answer_is_a_generation_error_with_reason(
    engine: ClaudeDraftEngine, fake: FakeAnthropic
) -> None:
    fake.inject(Fault("malformed_tool_input"))
    with pytest.raises(MalformedOutput) as caught:
        await engine.generate(blueprints(1)[0], seed=1)
    error = caught.value
    assert error.section == "design"
    assert "unexpected_field" in error.reason and "Field required" in error.reason
    assert error.cost.calls == 1 == fake.billed()["calls"]
    assert error.cost.output_tokens == fake.billed()["output_tokens"]


async def test_generator_stage_rejects_with_the_reason(
    engine: ClaudeDraftEngine, fake: FakeAnthropic
) -> None:
    envelope = SampleEnvelope(run_id="r", sample_id="s1", blueprint=blueprints(1)[0])
    fake.set_fault_fn(
        lambda i, body: (
            Fault("malformed_tool_input")
            # the query turn: agent tools allowed, so tool_choice is "any"
            if (body.get("tool_choice") or {}).get("type") == "any"
            else None
        )
    )
    emits = await GeneratorStage(engine).__call__(envelope)
    assert [e.subject for e in emits] == [subjects.SAMPLE_REJECTED]
    last = emits[0].envelope.history[-1]
    assert last.outcome is Outcome.REJECTED and last.error_class is ErrorClass.GENERATION
    assert last.reason is not None and last.reason.startswith("malformed query answer:")


async def test_malformed_repair_answer_ends_the_repair_with_reason(
    engine: ClaudeDraftEngine, fake: FakeAnthropic
) -> None:
    blueprint = blueprints(1)[0]
    envelope = SampleEnvelope(
        run_id="r",
        sample_id="s2",
        blueprint=blueprint,
        draft=sample_draft(blueprint),
        max_attempts=3,
    )
    envelope.feedback = [Feedback(error_class=ErrorClass.QUERY, message="no such column: x")]
    fake.inject(Fault("malformed_tool_input"))
    emits = await ReviserStage(engine).repair(envelope)
    assert [e.subject for e in emits] == [subjects.SAMPLE_REJECTED]
    reason = emits[0].envelope.history[-1].reason or ""
    assert reason.startswith("repair impossible: malformed repair answer:")


async def test_malformed_agent_tool_call_is_answered_and_the_model_recovers() -> None:
    scripted = ScriptedModel(use_tools_rate=1.0)

    def break_run_query(index: int, body: dict[str, Any]) -> Fault | None:
        choice = body.get("tool_choice") or {}
        ran = any(
            b.get("name") == "run_query"
            for m in body["messages"]
            if m["role"] == "assistant"
            for b in m["content"]
        )
        return Fault("malformed_tool_input") if choice.get("type") == "any" and not ran else None

    with FakeAnthropic(scripted, FakeConfig(keep_bodies=True)) as fake:
        fake.set_fault_fn(break_run_query)
        claude = build_claude_engine(make_settings(fake))
        draft, cost = await claude.generate(blueprints(1, seed=3)[0], seed=4)
        assert "ERROR" not in run_on_sqlite(draft.schema_ddl, draft.rows, draft.sql)
        errors = [
            b
            for c in fake.calls
            if c.body
            for m in c.body["messages"]
            for b in m["content"]
            if b.get("is_error")
        ]
        assert errors and "malformed run_query input" in errors[0]["content"]
        assert cost.calls == 3  # design, the broken run_query, then submit_query
        await claude.aclose()


async def test_truncated_answer_is_malformed(fake: FakeAnthropic) -> None:
    claude = build_claude_engine(make_settings(fake, max_tokens=256, answer_retries=0))
    with pytest.raises(MalformedOutput, match="cut off at max_tokens=256") as caught:
        await claude.generate(blueprints(1)[0], seed=1)
    assert caught.value.section == "design"
    await claude.aclose()
