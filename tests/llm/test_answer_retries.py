"""No sample lost to one bad answer: a truncated answer is asked again with more room, a
malformed one is answered with its validation error and asked again, within a bounded budget,
counted in the sample's cost; the plan stays the plan. Through the fake (which enforces the
API's rules, so the re-ask conversations are valid requests) with the scripted model."""

from __future__ import annotations

import pytest

from proto import subjects
from proto.sample import SampleEnvelope
from shared.generation.claude.engine import build_claude_engine
from shared.generation.claude.tools import run_on_sqlite
from shared.llm.errors import MalformedOutput
from shared.pipeline.generate import GeneratorStage
from tests.fakes.llm import FakeAnthropic, FakeConfig
from tests.fakes.scripted import ScriptedModel
from tests.llm.conftest import blueprints, make_settings


async def test_truncated_first_answers_are_asked_again_with_more_room() -> None:
    scripted = ScriptedModel(use_tools_rate=0.0, truncated_rate=1.0)
    with FakeAnthropic(scripted, FakeConfig(keep_bodies=True)) as fake:
        claude = build_claude_engine(make_settings(fake))
        blueprint = blueprints(1)[0]
        draft, cost = await claude.generate(blueprint, seed=3)
        await claude.aclose()
        calls = fake.calls
    assert scripted.broken["truncated"] == 2  # both sections' first answers were cut off
    assert cost.answer_retries == 2 and cost.calls == 4 == len(calls)
    budgets = [c.body["max_tokens"] for c in calls if c.body]
    assert budgets.count(8192) == 2 and budgets.count(16_384) == 2
    assert (draft.task_type, draft.complexity) == (blueprint.task_type, blueprint.complexity)
    assert "ERROR" not in run_on_sqlite(draft.schema_ddl, draft.rows, draft.sql)
    assert fake.state.violations == []


async def test_malformed_first_answers_are_reasked_with_the_parse_error() -> None:
    scripted = ScriptedModel(use_tools_rate=0.0, malformed_rate=1.0)
    with FakeAnthropic(scripted, FakeConfig(keep_bodies=True)) as fake:
        claude = build_claude_engine(make_settings(fake))
        draft, cost = await claude.generate(blueprints(1)[0], seed=5)
        await claude.aclose()
        calls = fake.calls
    assert cost.answer_retries == 2 and cost.calls == 4
    billed = fake.billed()
    assert cost.output_tokens == billed["output_tokens"]  # the retries are paid and counted
    reasks = [
        block
        for call in calls
        if call.body
        for block in call.body["messages"][-1]["content"]
        if block.get("is_error")
    ]
    assert len(reasks) == 2
    assert "unexpected_field" in reasks[0]["content"] and "again" in reasks[0]["content"]
    assert draft.question and draft.explanation
    assert fake.state.violations == []


async def test_the_budget_is_bounded_then_the_sample_is_rejected_with_its_reason() -> None:
    class AlwaysTruncated(ScriptedModel):
        """Every answer cut off, retries included."""

        def _maybe_broken(self, block, first):  # type: ignore[no-untyped-def]
            from tests.fakes.llm import ModelTurn

            return ModelTurn([{**block, "input": {}}], "max_tokens")

    with FakeAnthropic(AlwaysTruncated(use_tools_rate=0.0), FakeConfig()) as fake:
        claude = build_claude_engine(make_settings(fake, answer_retries=2))
        with pytest.raises(MalformedOutput, match="cut off") as caught:
            await claude.generate(blueprints(1)[0], seed=1)
        await claude.aclose()
        # 8192 -> 16384, then no more room under the non-streaming ceiling: 2 calls, 1 retry.
        assert len(fake.calls) == 2
    assert caught.value.cost.answer_retries == 1 and caught.value.cost.calls == 2


async def test_a_pipeline_run_loses_no_sample_to_broken_answers() -> None:
    """The generator stage at fixed error rates (30% truncated, 30% malformed first answers per
    section): every sample is drafted, none rejected, and the retries are in the envelopes."""
    scripted = ScriptedModel(use_tools_rate=0.5, truncated_rate=0.3, malformed_rate=0.3)
    with FakeAnthropic(scripted, FakeConfig()) as fake:
        claude = build_claude_engine(make_settings(fake))
        stage = GeneratorStage(claude)
        retries = 0
        for i, blueprint in enumerate(blueprints(8, seed=13)):
            envelope = SampleEnvelope(run_id="r", sample_id=f"s{i}", blueprint=blueprint)
            emits = await stage(envelope)
            assert [e.subject for e in emits] == [subjects.SAMPLE_DRAFTED], i
            assert emits[0].envelope.blueprint == blueprint  # the plan is kept
            retries += emits[0].envelope.cost.answer_retries
        await claude.aclose()
    assert retries == scripted.broken["truncated"] + scripted.broken["malformed"] > 0
