"""Fixtures for the Claude path: the fake Messages API with the scripted model, and clients
of the real SDK pointed at it (base_url)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio

from proto.common import Engine
from proto.sample import Blueprint, Draft
from shared.engines.registry import close_engines, open_engines
from shared.engines.settings import EngineSettings
from shared.engines.validator import Validator
from shared.generation.claude.engine import ClaudeDraftEngine, build_claude_engine
from shared.llm.client import LlmClient
from shared.llm.settings import LlmSettings
from shared.runtime.local import LocalStack
from shared.spec import BlueprintSampler, load_spec
from tests.fakes.llm import FakeAnthropic, FakeConfig
from tests.fakes.scripted import ScriptedModel, make_plan

KEY = "sk-ant-test-key"


def make_settings(fake: FakeAnthropic, **overrides: Any) -> LlmSettings:
    values: dict[str, Any] = {"api_key": KEY, "base_url": fake.base_url, "timeout_s": 10.0}
    values.update(overrides)
    return LlmSettings(**values)


def blueprints(n: int, seed: int = 5) -> list[Blueprint]:
    sampler = BlueprintSampler(load_spec(None), seed=seed)
    return [sampler.draw_at(i) for i in range(n)]


@pytest.fixture
def scripted() -> ScriptedModel:
    return ScriptedModel(use_tools_rate=0.0)


@pytest.fixture
def fake(scripted: ScriptedModel) -> Iterator[FakeAnthropic]:
    with FakeAnthropic(scripted, FakeConfig(keep_bodies=True)) as server:
        yield server


@pytest.fixture
async def engine(fake: FakeAnthropic) -> AsyncIterator[ClaudeDraftEngine]:
    claude = build_claude_engine(make_settings(fake))
    yield claude
    await claude.aclose()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def llm_validator(stack: LocalStack) -> AsyncIterator[Validator]:
    """The real Validator on SQLite, PostgreSQL and MariaDB of the private stack."""
    settings = EngineSettings(postgres_dsn=stack.dsn("postgres"), mysql_dsn=stack.dsn("mysql"))
    opened = await open_engines(settings, list(Engine))
    try:
        yield Validator(opened)
    finally:
        await close_engines(opened)


def sample_draft(blueprint: Blueprint, variation: int = 1) -> Draft:
    """A realistic draft without calling anything: the scripted model's plan for a blueprint."""
    plan = make_plan(blueprint, variation)
    return Draft(
        domain=blueprint.domain,
        schema_ddl=plan.instance.ddl,
        rows=list(plan.instance.rows),
        sql=plan.sql,
        question="Which ones have the largest totals?",
        prompt_style=blueprint.prompt_style,
        explanation="The query joins, groups, sums and keeps the five largest totals.",
        task_type=blueprint.task_type,
        complexity=blueprint.complexity,
        engine="claude",
    )


def anthropic_client(engine: ClaudeDraftEngine) -> LlmClient:
    """The engine's Anthropic client (batches exist only there; the OpenAI one has none)."""
    assert isinstance(engine.client, LlmClient), engine.client
    return engine.client
