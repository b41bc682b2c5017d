"""The Claude path through the pipeline's own stages (no broker): generator -> validator on the
three real engines -> judge + rules review, or repair and back to the validator; every sample
ends accepted or rejected with a reason, and the envelopes' costs add up to what was billed."""

from __future__ import annotations

import pytest

from proto import subjects
from proto.common import Engine, JoinKind, Outcome, PromptStyle, SqlFeature, TaskType
from proto.sample import Blueprint, ErrorClass, SampleEnvelope, TokenCost
from shared.engines.validator import Validator
from shared.generation.claude.engine import ClaudeDraftEngine, build_claude_engine
from shared.pipeline.generate import GeneratorStage
from shared.pipeline.revise import ReviserStage
from shared.pipeline.routes import PipelineDriver
from shared.pipeline.validate import ValidatorStage
from tests.fakes.llm import FakeAnthropic, FakeConfig
from tests.fakes.scripted import ScriptedModel
from tests.llm.conftest import make_settings

pytestmark = pytest.mark.engines

FEATURES = [SqlFeature.AGGREGATE, SqlFeature.GROUP_BY, SqlFeature.ORDER_BY, SqlFeature.LIMIT]


def plans() -> list[Blueprint]:
    styles = list(PromptStyle)
    conformant = [
        Blueprint(
            domain=domain,
            task_type=TaskType.ANALYTICS,
            prompt_style=styles[i % 6],
            num_tables=2,
            join_kind=JoinKind.LEFT if i % 3 == 0 else JoinKind.INNER,
            features=FEATURES[: 2 + i % 3],
        )
        for i, domain in enumerate(["retail", "banking", "telecom", "veterinary", "aviation"])
    ]
    # A plan the scripted model cannot meet: it must end rejected, with the reason.
    window = Blueprint(
        domain="logistics", num_tables=2, join_kind=JoinKind.INNER, features=[SqlFeature.WINDOW]
    )
    return [*conformant, window]


async def drive(
    claude: ClaudeDraftEngine, validator: Validator, envelope: SampleEnvelope
) -> SampleEnvelope:
    """The pipeline's routes up to review (no dedup), in this process."""
    revise = ReviserStage(claude)
    driver = PipelineDriver(
        {
            subjects.SAMPLE_PLANNED: GeneratorStage(claude),
            # Sense checks off: the scripted model's fixed SQL is not written to mean its
            # questions; their repair path is tested in tests/unit/pipeline/test_sense_stage.py.
            subjects.SAMPLE_DRAFTED: ValidatorStage(validator, set(Engine), sense=False),
            subjects.SAMPLE_FAILED: revise.repair,
            # checked: the reviser judges (rules, then the LLM judge) and repairs
            subjects.SAMPLE_CHECKED: revise.review,
        }
    )
    [left] = await driver.run_envelope(subjects.SAMPLE_PLANNED, envelope)
    assert left.subject in (subjects.SAMPLE_REJECTED, subjects.SAMPLE_REVIEWED)
    return left.envelope


async def test_every_sample_ends_accepted_or_rejected_with_reason(
    llm_validator: Validator,
) -> None:
    scripted = ScriptedModel(wrong_sql_rate=0.5, use_tools_rate=0.0, review_fail_rate=0.0)
    with FakeAnthropic(scripted, FakeConfig()) as fake:
        claude = build_claude_engine(make_settings(fake))
        finished = []
        for i, blueprint in enumerate(plans()):
            envelope = SampleEnvelope(
                run_id="full", sample_id=f"s{i}", blueprint=blueprint, max_attempts=3
            )
            finished.append(await drive(claude, llm_validator, envelope))
        outcomes = [env.history[-1].outcome for env in finished]
        assert outcomes[:5] == [Outcome.REVIEWED] * 5
        assert outcomes[5] is Outcome.REJECTED
        assert "window_function" in (finished[5].history[-1].reason or "")
        assert any(h.error_class is ErrorClass.NONCONFORMANT for h in finished[5].history)
        repaired = [
            env for env in finished if any(h.outcome is Outcome.REPAIRED for h in env.history)
        ]
        assert repaired  # some first SQL was wrong and came back through repair
        for env in finished[:5]:
            assert env.validation is not None and env.validation.ok
            assert env.draft is not None and env.draft.engine == "claude"
        total = TokenCost()
        for env in finished:
            total = total.add(env.cost)
        billed = fake.billed()
        assert billed["calls"] == claude.client.ledger.total.calls
        # Every billed call is in an envelope, the failed repair's too (exc.cost).
        assert total.calls == billed["calls"]
        assert total.usd == pytest.approx(claude.client.ledger.total.usd)
        await claude.aclose()
