"""Outline-then-sections generation through the real SDK against the fake API; drafts that
execute on the real engines; prompt caching and per-call accounting."""

from __future__ import annotations

import json

import pytest

from proto.common import PromptStyle
from shared.engines.fixture import fixture_from_draft
from shared.engines.validator import Validator
from shared.generation.claude.engine import ClaudeDraftEngine, build_claude_engine
from shared.generation.claude.tools import run_on_sqlite, validator_run_query
from tests.fakes.llm import FakeAnthropic, FakeConfig
from tests.fakes.scripted import ScriptedModel
from tests.llm.conftest import blueprints, make_settings

SECTION_TOOLS = ["submit_design", "any"]


async def test_sections_in_order_each_informed_by_the_ones_before(
    engine: ClaudeDraftEngine, fake: FakeAnthropic
) -> None:
    blueprint = blueprints(1)[0]
    draft, cost = await engine.generate(blueprint, seed=11)
    calls = fake.calls
    assert [c.tool_choice for c in calls] == SECTION_TOOLS
    assert draft.domain == blueprint.domain and draft.prompt_style is blueprint.prompt_style
    assert (draft.task_type, draft.complexity) == (blueprint.task_type, blueprint.complexity)
    assert draft.engine == "claude" and draft.question and draft.explanation
    result = run_on_sqlite(draft.schema_ddl, draft.rows, draft.sql)
    assert "ERROR" not in result and not result.startswith("sqlite: 0 rows"), result
    # The query turn sees the design the model submitted (outline, schema, rows), and the plan.
    query_call = calls[1].body
    assert query_call is not None
    designed = [
        b["input"]
        for m in query_call["messages"]
        if m["role"] == "assistant"
        for b in m["content"]
        if b.get("name") == "submit_design"
    ]
    assert [d["ddl"] for d in designed] == [draft.schema_ddl]
    assert [t["table"] for t in designed[0]["rows"]] == [t.table for t in draft.rows]
    assert designed[0]["setting"] in (draft.reasoning or "")
    first_text = query_call["messages"][0]["content"][0]["text"]
    plan = json.loads(first_text.split("<blueprint>\n")[1].split("\n</blueprint>")[0])
    assert plan["domain"] == blueprint.domain
    # The cost of the draft is exactly what the server reported for its two calls.
    billed = fake.billed()
    assert cost.calls == billed["calls"] == 2
    assert cost.output_tokens == billed["output_tokens"]
    assert cost.cache_read_input_tokens == billed["cache_read_input_tokens"]
    assert cost.cache_creation_input_tokens == billed["cache_creation_input_tokens"]
    assert cost.input_tokens == billed["input_tokens"]


async def test_the_stable_prefix_is_cached_across_calls_and_samples(
    engine: ClaudeDraftEngine, fake: FakeAnthropic
) -> None:
    first, second = blueprints(2)
    await engine.generate(first, seed=1)
    await engine.generate(second, seed=2)
    usages = [c.usage or {} for c in fake.calls]
    assert all(usages)
    prefix = usages[0]["cache_creation_input_tokens"]
    assert prefix > 3000  # tools + system prompt + the plan: long enough to cache
    # Every later call reads at least the shared tools + system prefix from the cache.
    assert all(u["cache_read_input_tokens"] >= 3000 for u in usages[1:])
    reads = sum(u["cache_read_input_tokens"] for u in usages)
    writes = sum(u["cache_creation_input_tokens"] for u in usages)
    # Two calls per draft: the second sample reads the whole prefix its first call would write.
    assert reads > 1.5 * writes


async def test_frequent_settings_are_listed_to_avoid(
    engine: ClaudeDraftEngine, fake: FakeAnthropic
) -> None:
    base = blueprints(1)[0]
    for seed in range(3):
        await engine.generate(base, seed=seed)
    outline_prompts = [c.body for c in fake.calls if c.tool_choice == "submit_design"]
    texts = [p["messages"][0]["content"][0]["text"] for p in outline_prompts if p]
    assert "<avoid_settings>" not in texts[0] and "<avoid_settings>" not in texts[1]
    assert "<avoid_settings>" in texts[2]


async def test_agent_tool_budget_is_bounded(fake: FakeAnthropic) -> None:
    claude = build_claude_engine(make_settings(fake, max_tool_calls=0))
    await claude.generate(blueprints(1)[0], seed=3)
    assert "any" not in [c.tool_choice for c in fake.calls]
    await claude.aclose()


@pytest.mark.engines
async def test_drafts_validate_on_all_three_engines(llm_validator: Validator) -> None:
    scripted = ScriptedModel(use_tools_rate=1.0)
    with FakeAnthropic(scripted, FakeConfig(keep_bodies=True)) as fake:
        claude = build_claude_engine(make_settings(fake))
        claude.run_query = validator_run_query(llm_validator)
        styles = set()
        for i, blueprint in enumerate(blueprints(6, seed=21)):
            draft, _ = await claude.generate(blueprint, seed=100 + i)
            validation, _ = await llm_validator.validate(fixture_from_draft(draft), draft.sql)
            assert validation.ok, (blueprint.domain, [c.message for c in validation.checks])
            assert validation.non_empty and validation.results_agree is not False
            styles.add(draft.prompt_style)
        # The agent ran its query on the engines before submitting it.
        tool_results = [
            b["content"]
            for c in fake.calls
            if c.body
            for m in c.body["messages"]
            for b in m["content"]
            if isinstance(b, dict)
            and b.get("type") == "tool_result"
            and "postgres" in str(b.get("content"))
        ]
        assert tool_results and all("mysql: ok" in r for r in tool_results)
        assert len(styles) > 1 and styles <= set(PromptStyle)
        await claude.aclose()
