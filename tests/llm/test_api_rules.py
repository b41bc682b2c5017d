"""The fake Messages API refuses what the real one refuses (shared.llm.api_rules), one test per
rule through the real SDK; and the engine's own request shapes pass every rule."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator
from typing import Any, cast

import anthropic
import pytest

from proto.sample import SampleEnvelope
from shared.errors import GenerationError
from shared.generation.claude.engine import build_claude_engine
from shared.generation.claude.schemas import build_tools
from shared.llm.api_rules import (
    CACHE_MARGIN,
    MODEL_LIMITS,
    RequestRule,
    find_limits,
)
from shared.llm.request_check import check_request
from tests.fakes.llm import FakeAnthropic, FakeConfig, ModelTurn
from tests.fakes.scripted import ScriptedModel
from tests.llm.conftest import KEY, blueprints, make_settings, sample_draft

MODEL = "claude-haiku-4-5"


def answer_text(body: dict[str, Any]) -> ModelTurn:
    return ModelTurn([{"type": "text", "text": "ok"}])


@pytest.fixture
def server() -> Iterator[FakeAnthropic]:
    with FakeAnthropic(answer_text, FakeConfig()) as fake:
        yield fake


def user(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {"role": "user", "content": list(blocks)}


def text(value: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


TOOL_USE = {"type": "tool_use", "id": "toolu_1", "name": "run_query", "input": {"sql": "SELECT 1"}}
RESULT = {"type": "tool_result", "tool_use_id": "toolu_1", "content": "1 row"}
ASSISTANT_TOOL = {"role": "assistant", "content": [TOOL_USE]}
VALID: dict[str, Any] = {
    "model": MODEL,
    "max_tokens": 1000,
    "tools": build_tools(),
    "messages": [user(text("hi")), ASSISTANT_TOOL, user(RESULT, text("go on"))],
}


def with_changes(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(VALID)
    body.update(changes)
    return body


def strict_tool(schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": "t", "description": "d", "input_schema": schema, "strict": True}


CLOSED = {"type": "object", "properties": {}, "additionalProperties": False}
CASES: dict[RequestRule, dict[str, Any]] = {
    RequestRule.FIRST_MESSAGE_USER: with_changes(
        messages=[{"role": "assistant", "content": [text("hello")]}, user(text("hi"))]
    ),
    RequestRule.ROLES_ALTERNATE: with_changes(messages=[user(text("a")), user(text("b"))]),
    RequestRule.TOOL_USE_ANSWERED: with_changes(
        messages=[user(text("hi")), ASSISTANT_TOOL, user(text("no result"))]
    ),
    RequestRule.TOOL_RESULT_MATCHES: with_changes(
        messages=[
            user(text("hi")),
            ASSISTANT_TOOL,
            user(RESULT, {**RESULT, "tool_use_id": "toolu_other"}),
        ]
    ),
    RequestRule.TOOL_RESULT_FIRST: with_changes(
        messages=[user(text("hi")), ASSISTANT_TOOL, user(text("first"), RESULT)]
    ),
    RequestRule.CACHE_BREAKPOINTS: with_changes(
        system=[{**text(f"s{i}"), "cache_control": {"type": "ephemeral"}} for i in range(5)]
    ),
    RequestRule.STRICT_OBJECTS_CLOSED: with_changes(
        tools=[strict_tool({"type": "object", "properties": {"a": {"type": "string"}}})]
    ),
    RequestRule.STRICT_SUPPORTED_KEYWORDS: with_changes(
        tools=[strict_tool({**CLOSED, "properties": {"a": {"type": "string", "minLength": 1}}})]
    ),
    # Haiku 3 allows 4,096 output tokens (a larger figure would make the SDK demand streaming).
    RequestRule.MAX_TOKENS_BOUNDS: with_changes(model="claude-3-haiku-20240307", max_tokens=5000),
    RequestRule.FORCED_TOOL_EXISTS: with_changes(tool_choice={"type": "tool", "name": "nope"}),
    RequestRule.FORCED_TOOL_WITHOUT_THINKING: with_changes(
        tool_choice={"type": "any"}, thinking={"type": "enabled", "budget_tokens": 1024}
    ),
}


def test_every_rule_has_a_case() -> None:
    assert set(CASES) == set(RequestRule)


def test_the_valid_body_passes() -> None:
    assert check_request(VALID) == []


@pytest.mark.parametrize("rule", list(RequestRule), ids=lambda r: r.value)
async def test_the_fake_refuses_like_the_api(server: FakeAnthropic, rule: RequestRule) -> None:
    body = CASES[rule]
    assert [v.rule for v in check_request(body)][:1] == [rule]
    sdk = anthropic.AsyncAnthropic(api_key=KEY, base_url=server.base_url, max_retries=0)
    with pytest.raises(anthropic.BadRequestError) as caught:
        await sdk.messages.create(**body)
    await sdk.close()
    assert caught.value.status_code == 400
    error = caught.value.body
    assert isinstance(error, dict) and error["type"] == "error"
    assert error["error"]["type"] == "invalid_request_error"
    assert error["error"]["message"] and error["request_id"].startswith("req_")
    record = server.calls[-1]
    assert record.status == 400 and record.usage is None  # refused: nothing billed


def test_min_items_of_two_is_refused_in_strict_mode() -> None:
    schema = {**CLOSED, "properties": {"a": {"type": "array", "items": {}, "minItems": 2}}}
    rules = [v.rule for v in check_request(with_changes(tools=[strict_tool(schema)]))]
    assert rules == [RequestRule.STRICT_SUPPORTED_KEYWORDS]


async def test_a_prefix_below_the_model_minimum_is_not_cached(server: FakeAnthropic) -> None:
    """3,000 tokens cache on Sonnet 4.5 (1,024 minimum) but not on Haiku 4.5 (4,096)."""
    system = [{**text("word " * 2400), "cache_control": {"type": "ephemeral"}}]
    sdk = anthropic.AsyncAnthropic(api_key=KEY, base_url=server.base_url, max_retries=0)
    written = {}
    for model in ("claude-sonnet-4-5", "claude-haiku-4-5"):
        reply = await sdk.messages.create(
            model=model,
            max_tokens=100,
            system=cast(Any, system),  # raw dicts, as the rules under test see them
            messages=cast(Any, [user(text("hi"))]),
        )
        written[model] = reply.usage.cache_creation_input_tokens
    await sdk.close()
    assert written["claude-sonnet-4-5"] and written["claude-sonnet-4-5"] >= 1024
    assert written["claude-haiku-4-5"] == 0


def test_the_documented_minimums_are_in_the_table() -> None:
    assert find_limits("claude-haiku-4-5-20251001").min_cache_tokens == 4096
    assert find_limits("claude-opus-4-5").min_cache_tokens == 4096
    assert find_limits("claude-opus-4-6").min_cache_tokens == 4096
    assert find_limits("claude-sonnet-4-5").min_cache_tokens == 1024
    assert find_limits("claude-3-haiku-20240307").min_cache_tokens == 2048
    assert all(limit.min_cache_tokens >= 1024 for limit in MODEL_LIMITS.values())


@pytest.mark.parametrize("model", sorted(MODEL_LIMITS))
async def test_engine_prefix_keeps_the_margin_for_every_model(model: str) -> None:
    with FakeAnthropic(answer_text, FakeConfig()) as fake:
        claude = build_claude_engine(
            make_settings(
                fake,
                model=model,
                prices={
                    model: {
                        "input": 1,
                        "output": 1,
                        "cache_write_5m": 1,
                        "cache_write_1h": 1,
                        "cache_read": 1,
                    }
                },
            )
        )
        estimate = claude.prefix_estimate
        await claude.aclose()
    assert estimate.model == model and estimate.margin == CACHE_MARGIN
    assert estimate.caches, estimate.describe()


async def test_the_engines_request_shapes_pass_every_rule() -> None:
    """Generation with agent tools, repair and review: every body the engine sent is valid and
    the fake refused none (it enforces the rules by default)."""
    scripted = ScriptedModel(use_tools_rate=1.0, wrong_sql_rate=0.3)
    with FakeAnthropic(scripted, FakeConfig(keep_bodies=True)) as fake:
        claude = build_claude_engine(make_settings(fake, model=MODEL))
        for i, blueprint in enumerate(blueprints(3, seed=9)):
            await claude.generate(blueprint, seed=40 + i)
        with contextlib.suppress(GenerationError):  # "changed nothing" is fine: shapes count
            await claude.repair(blueprint, sample_draft(blueprint), [], seed=7)
        envelope = SampleEnvelope(
            run_id="r", sample_id="s", blueprint=blueprint, draft=sample_draft(blueprint)
        )
        await claude.review(envelope)
        await claude.aclose()
        calls = fake.calls
        assert fake.state.violations == []
    # Per draft: design, run_query, submit_query; then a repair (>= 1 call) and a review.
    assert len(calls) >= 11 and all(c.status == 200 for c in calls)
    assert {c.tool_choice for c in calls} >= {"any", "submit_design", "submit_review"}
    for call in calls:
        assert call.body is not None and check_request(call.body) == []
