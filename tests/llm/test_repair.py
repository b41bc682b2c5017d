"""Repair: a deliberately wrong SQL fails on the engines; the concrete errors go back to the
model, which makes a minimal edit; the result is republished as a new attempt."""

from __future__ import annotations

import pytest

from proto import subjects
from proto.common import Outcome, Stage
from proto.sample import ErrorClass, Feedback, SampleEnvelope
from shared.engines.fixture import fixture_from_draft
from shared.engines.validator import Validator
from shared.errors import GenerationError
from shared.generation.claude.engine import build_claude_engine
from shared.generation.claude.revise import apply_repair
from shared.generation.claude.schemas import RepairAnswer
from shared.generation.claude.tools import run_on_sqlite
from shared.pipeline.revise import ReviserStage
from shared.pipeline.validate import feedback_from
from tests.fakes.llm import FakeAnthropic, FakeConfig
from tests.fakes.scripted import ScriptedModel
from tests.llm.conftest import blueprints, make_settings, sample_draft


def wrong_first() -> FakeAnthropic:
    return FakeAnthropic(
        ScriptedModel(wrong_sql_rate=1.0, use_tools_rate=0.0), FakeConfig(keep_bodies=True)
    )


@pytest.mark.engines
async def test_wrong_sql_is_repaired_from_the_engines_errors(llm_validator: Validator) -> None:
    with wrong_first() as fake:
        claude = build_claude_engine(make_settings(fake))
        blueprint = blueprints(1, seed=8)[0]
        draft, _ = await claude.generate(blueprint, seed=5)
        validation, _ = await llm_validator.validate(fixture_from_draft(draft), draft.sql)
        feedback = feedback_from(validation)
        assert not validation.ok and {f.engine for f in feedback} >= {
            c.engine for c in validation.checks
        }
        repaired, cost = await claude.repair(blueprint, draft, feedback, seed=6)
        assert cost.calls == 1
        fixed, _ = await llm_validator.validate(fixture_from_draft(repaired), repaired.sql)
        assert fixed.ok and fixed.non_empty, [(c.engine, c.ok, c.message) for c in fixed.checks]
        # A minimal edit: only the SQL changed; the repair prompt carried every engine's error.
        assert (repaired.schema_ddl, repaired.rows, repaired.question) == (
            draft.schema_ddl,
            draft.rows,
            draft.question,
        )
        assert repaired.sql != draft.sql and "repair:" in (repaired.reasoning or "")
        body = fake.calls[-1].body
        assert body is not None
        prompt = body["messages"][0]["content"][0]["text"]
        for item in feedback:
            assert item.message[:40] in prompt
        await claude.aclose()


async def test_reviser_stage_republishes_the_repair_as_a_new_attempt() -> None:
    with wrong_first() as fake:
        claude = build_claude_engine(make_settings(fake))
        blueprint = blueprints(1, seed=9)[0]
        draft, cost = await claude.generate(blueprint, seed=1)
        error = run_on_sqlite(draft.schema_ddl, draft.rows, draft.sql)
        assert "ERROR" in error
        envelope = SampleEnvelope(
            run_id="r", sample_id="s", blueprint=blueprint, draft=draft, cost=cost, max_attempts=3
        )
        envelope.feedback = [Feedback(error_class=ErrorClass.QUERY, message=error)]
        emits = await ReviserStage(claude).repair(envelope)
        assert [e.subject for e in emits] == [subjects.SAMPLE_DRAFTED]
        out = emits[0].envelope
        assert out.attempt == 2 and out.history[-1].outcome is Outcome.REPAIRED
        assert out.history[-1].stage is Stage.REVISER
        assert out.cost.calls == cost.calls + 1
        assert out.draft is not None
        assert "ERROR" not in run_on_sqlite(out.draft.schema_ddl, out.draft.rows, out.draft.sql)
        await claude.aclose()


async def test_the_agent_tool_catches_its_own_mistake() -> None:
    with FakeAnthropic(
        ScriptedModel(wrong_sql_rate=1.0, use_tools_rate=1.0), FakeConfig(keep_bodies=True)
    ) as fake:
        claude = build_claude_engine(make_settings(fake))
        draft, cost = await claude.generate(blueprints(1, seed=4)[0], seed=2)
        assert "ERROR" not in run_on_sqlite(draft.schema_ddl, draft.rows, draft.sql)
        choices = [c.tool_choice for c in fake.calls]
        assert choices.count("any") == 2 and cost.calls == 3  # design, run_query, submit_query
        tool_results = [
            b
            for c in fake.calls
            if c.body
            for m in c.body["messages"]
            for b in m["content"]
            if b.get("type") == "tool_result" and "ERROR" in str(b.get("content"))
        ]
        assert tool_results
        await claude.aclose()


def test_a_repair_that_changes_nothing_is_an_error() -> None:
    draft = sample_draft(blueprints(1)[0])
    same = RepairAnswer(
        diagnosis="looks fine",
        ddl=draft.schema_ddl,
        rows=None,
        sql=draft.sql,
        question=None,
        explanation=None,
    )
    with pytest.raises(GenerationError, match="changed nothing"):
        apply_repair(draft, same)
