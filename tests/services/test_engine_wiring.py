"""The generator and reviser lifespans with the Claude engine: spend reaches the service's
Prometheus counters, the model's run_query tool runs on the validation engines, the reviser
judges, and shutdown closes the client and the engines. Against the fake Messages API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from proto.common import Engine
from proto.sample import TokenCost
from services.common.app import create_service
from services.generator import main as generator_main
from services.reviser import main as reviser_main
from shared.errors import GenerationError
from shared.generation.claude.engine import ClaudeDraftEngine
from shared.llm.client import LlmClient
from shared.llm.errors import MalformedOutput
from shared.metrics import Metrics
from shared.pipeline.engines import OpenedEngine, open_draft_engine, spent_by
from shared.pipeline.generate import GeneratorStage
from shared.pipeline.review import Judge
from shared.pipeline.revise import ReviserStage
from shared.pipeline.template_adapter import TemplateDraftEngine
from shared.spec import BlueprintSampler, load_spec
from tests.fakes.llm import FakeAnthropic
from tests.fakes.scripted import ScriptedModel

KEY = "sk-ant-test-key"


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAnthropic]:
    with FakeAnthropic(ScriptedModel(use_tools_rate=0.0)) as server:
        monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
        yield server


def counter(metrics: Metrics, name: str, **labels: str) -> float:
    value = metrics.registry.get_sample_value(name, labels or None)
    return float(value or 0.0)


async def test_generator_lifespan_wires_metrics_tools_and_shutdown(fake: FakeAnthropic) -> None:
    settings = generator_main.GeneratorSettings(generator="claude", engines="sqlite")
    service = create_service("generator", settings)
    await generator_main.start(service)
    opened: OpenedEngine = service.state.engine
    stage: GeneratorStage = service.state.stage
    engine = opened.engine
    assert isinstance(engine, ClaudeDraftEngine) and stage.engine is engine
    assert set(opened.tool_engines) == {Engine.SQLITE}
    blueprint = BlueprintSampler(load_spec(None), seed=3).draw_at(0)
    draft, cost = await engine.generate(blueprint, seed=11)
    # Every priced call reached the service's token and dollar counters.
    assert counter(service.metrics, "sqlsynth_llm_dollars_total") == pytest.approx(cost.usd)
    tokens = counter(service.metrics, "sqlsynth_llm_tokens_total", kind="output")
    assert tokens == cost.output_tokens == fake.billed()["output_tokens"]
    # The agent tool answers from the validation engines: per-engine status, then a preview.
    answer = await engine.run_query(draft.schema_ddl, draft.rows, draft.sql)
    assert answer.startswith("sqlite: ok, ") and "preview:" in answer
    await generator_main.stop(service)
    assert opened.tool_engines == {} and service.started is None
    assert isinstance(engine.client, LlmClient) and engine.client.sdk.is_closed()


async def test_reviser_lifespan_gives_the_stage_a_judge(fake: FakeAnthropic) -> None:
    settings = reviser_main.ReviserSettings(
        generator="claude", engines="sqlite", tools_on_engines=False
    )
    service = create_service("reviser", settings)
    await reviser_main.start(service)
    stage: ReviserStage = service.state.stage
    assert isinstance(stage.judge, Judge) and service.state.engine.tool_engines == {}
    await reviser_main.stop(service)


async def test_template_needs_no_key_no_engines_no_judge(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    opened = await open_draft_engine("template", metrics=Metrics(), tool_engines=[Engine.SQLITE])
    assert isinstance(opened.engine, TemplateDraftEngine) and opened.tool_engines == {}
    assert ReviserStage(opened.engine).judge is None
    await opened.aclose()
    with pytest.raises(ValueError, match="unknown generator 'gpt'"):
        await open_draft_engine("gpt")


def test_spent_by_reads_the_cost_failures_carry() -> None:
    spent = TokenCost(calls=2, output_tokens=30, usd=0.01)
    assert spent_by(MalformedOutput("rows", "bad widths", spent)) == spent
    assert spent_by(ValueError("no cost here")) == TokenCost()
    assert spent_by(GenerationError("no model call made")) == TokenCost()
