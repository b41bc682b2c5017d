"""The judge (consistency verifier with the validator's facts) and SQL-only seeds
(back-translation, then verification)."""

from __future__ import annotations

import json

import pytest

from proto import subjects
from proto.common import Engine, Level, SeedMode
from proto.sample import EngineCheck, ErrorClass, SampleEnvelope, Validation
from shared.errors import GenerationError
from shared.generation.claude.engine import ClaudeDraftEngine, build_claude_engine
from shared.llm.errors import MalformedOutput
from shared.pipeline.generate import GeneratorStage
from shared.pipeline.template_adapter import TemplateDraftEngine
from tests.fakes.llm import FakeAnthropic, FakeConfig, Fault
from tests.fakes.scripted import ScriptedModel
from tests.llm.conftest import blueprints, make_settings, sample_draft


def checked(ok: bool) -> Validation:
    checks = [EngineCheck(engine=e, level=Level.FULL, ok=True, row_count=5) for e in Engine]
    if not ok:
        checks[1] = EngineCheck(
            engine=Engine.POSTGRES,
            level=Level.FULL,
            ok=False,
            error_class=ErrorClass.QUERY,
            message="column x does not exist",
        )
    return Validation(
        checks=checks,
        non_empty=True,
        results_agree=ok,
        measured={"num_tables": 2, "aggregate": True},
    )


async def test_review_passes_with_facts_and_fails_with_reasons(
    engine: ClaudeDraftEngine, fake: FakeAnthropic
) -> None:
    blueprint = blueprints(1)[0]
    envelope = SampleEnvelope(
        run_id="r",
        sample_id="s",
        blueprint=blueprint,
        draft=sample_draft(blueprint),
        validation=checked(True),
    )
    review, cost = await engine.review(envelope)
    assert review.verdict == "pass" and review.reasons == []
    assert review.reviewer == "claude:claude-haiku-5-5" and cost.calls == 1
    prompt = fake.calls[-1].body["messages"][0]["content"][0]["text"]  # type: ignore[index]
    assert "<facts>" in prompt and "measured SQL features: aggregate=True, num_tables=2" in prompt
    assert fake.calls[-1].tool_choice == "submit_review"
    envelope.validation = checked(False)
    review, _ = await engine.review(envelope)
    assert review.verdict == "fail" and review.reasons


async def test_a_malformed_verdict_is_reported_not_guessed(
    engine: ClaudeDraftEngine, fake: FakeAnthropic
) -> None:
    blueprint = blueprints(1)[0]
    envelope = SampleEnvelope(
        run_id="r", sample_id="s", blueprint=blueprint, draft=sample_draft(blueprint)
    )
    # Every answer broken: the retry budget (2) is spent, then the error is reported.
    fake.inject(Fault("malformed_tool_input"), times=3)
    with pytest.raises(MalformedOutput, match="malformed review answer") as caught:
        await engine.review(envelope)
    assert caught.value.cost.answer_retries == 2 and caught.value.cost.calls == 3


async def test_one_malformed_verdict_is_asked_again(
    engine: ClaudeDraftEngine, fake: FakeAnthropic
) -> None:
    blueprint = blueprints(1)[0]
    envelope = SampleEnvelope(
        run_id="r", sample_id="s", blueprint=blueprint, draft=sample_draft(blueprint)
    )
    fake.inject(Fault("malformed_tool_input"))
    review, cost = await engine.review(envelope)
    assert review.verdict and cost.answer_retries == 1 and cost.calls == 2


async def test_sql_only_seed_is_back_translated_and_verified(
    engine: ClaudeDraftEngine, fake: FakeAnthropic
) -> None:
    blueprint = blueprints(1)[0]
    seed_draft = sample_draft(blueprint)
    draft, cost = await engine.back_translate(
        blueprint, schema_ddl=seed_draft.schema_ddl, sql=seed_draft.sql, seed=3
    )
    assert draft.sql == seed_draft.sql and draft.question and draft.rows
    assert [c.tool_choice for c in fake.calls] == [
        "submit_rows",
        "submit_back_translation",
        "submit_review",
    ]
    assert cost.calls == 3


async def test_generation_from_a_seed_query_keeps_it_and_verifies_the_pair(
    engine: ClaudeDraftEngine, fake: FakeAnthropic
) -> None:
    blueprint = blueprints(1)[0]
    seeded = blueprint.model_copy(update={"seed_sql": sample_draft(blueprint).sql})
    draft, cost = await engine.generate(seeded, seed=4)
    tools = [c.tool_choice for c in fake.calls]
    # The query turn keeps the seed's SQL and words it; the judge then checks the pair.
    assert tools == ["submit_design", "any", "submit_review"]
    assert "<seed_sql>" in fake.calls[0].body["messages"][0]["content"][0]["text"]  # type: ignore[index]
    assert cost.calls == 3 and draft.question and draft.sql == seeded.seed_sql


async def test_a_pair_the_verifier_rejects_is_a_generation_error() -> None:
    with FakeAnthropic(ScriptedModel(review_fail_rate=1.0), FakeConfig()) as fake:
        claude = build_claude_engine(make_settings(fake))
        blueprint = blueprints(1)[0]
        seed_draft = sample_draft(blueprint)
        with pytest.raises(GenerationError, match="does not match its SQL") as caught:
            await claude.back_translate(
                blueprint,
                schema_ddl=seed_draft.schema_ddl,
                sql=seed_draft.sql,
                rows=seed_draft.rows,
                seed=1,
            )
        assert caught.value.cost.calls == 2
        await claude.aclose()


async def test_generator_stage_back_translates_a_kept_seed_and_expands_on_a_given_schema(
    engine: ClaudeDraftEngine, fake: FakeAnthropic
) -> None:
    """The planner's two seed modes through the generator stage and the real SDK: a kept SQL is
    worded (no outline, schema or SQL asked), an expansion writes on the seed's schema (no
    schema section asked; the schema is in the prompt as given)."""
    blueprint = blueprints(1)[0]
    seed_draft = sample_draft(blueprint)
    kept = blueprint.model_copy(
        update={
            "seed_sql": seed_draft.sql,
            "seed_schema": seed_draft.schema_ddl,
            "seed_mode": SeedMode.BACK_TRANSLATE,
        }
    )
    stage = GeneratorStage(engine)
    [emit] = await stage(SampleEnvelope(run_id="r", sample_id="bt", blueprint=kept))
    assert emit.subject == subjects.SAMPLE_DRAFTED and emit.envelope.draft is not None
    assert emit.envelope.draft.sql == seed_draft.sql
    assert [c.tool_choice for c in fake.calls] == [
        "submit_rows",
        "submit_back_translation",
        "submit_review",
    ]
    assert emit.envelope.cost.calls == 3

    before = len(fake.calls)
    expand = kept.model_copy(update={"seed_mode": SeedMode.EXPAND})
    [emit] = await stage(SampleEnvelope(run_id="r", sample_id="ex", blueprint=expand))
    calls = fake.calls[before:]
    tools = [c.tool_choice for c in calls]
    assert tools == ["submit_design", "any"]  # no review: the SQL is the model's own
    design = [
        b["input"]
        for m in (calls[1].body or {})["messages"]
        if m["role"] == "assistant"
        for b in m["content"]
        if b.get("name") == "submit_design"
    ]
    assert design and design[0]["ddl"] is None  # the seed's schema is not written again
    assert calls[0].body is not None
    first_prompt = json.dumps(calls[0].body["messages"][0])
    assert "<seed_schema>" in first_prompt and "NEW query" in first_prompt
    assert emit.envelope.draft is not None
    assert emit.envelope.draft.schema_ddl == seed_draft.schema_ddl


async def test_the_template_engine_refuses_back_translation_with_a_reason() -> None:
    blueprint = blueprints(1)[0]
    kept = blueprint.model_copy(
        update={"seed_sql": "SELECT 1", "seed_schema": "CREATE TABLE t (id INT);"}
    )
    kept = kept.model_copy(update={"seed_mode": SeedMode.BACK_TRANSLATE})
    [emit] = await GeneratorStage(TemplateDraftEngine())(
        SampleEnvelope(run_id="r", sample_id="t", blueprint=kept)
    )
    assert emit.subject == subjects.SAMPLE_REJECTED
    assert "cannot back-translate" in (emit.envelope.history[-1].reason or "")
