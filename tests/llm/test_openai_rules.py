"""The fake Chat Completions API refuses what the real one refuses (shared.llm.openai_rules):
one test per documented rule, each through the real `openai` SDK (400 BadRequestError with the
API's error body, nothing billed); a bad key is 401, a rate limit 429 with retry-after; and the
engine's real request shapes (agent tools, answer retries, repair) break none of the rules."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Iterator
from typing import Any

import openai
import pytest

from proto.sample import ErrorClass, Feedback
from shared.errors import GenerationError
from shared.generation.claude.engine import ClaudeDraftEngine, build_openai_engine
from shared.llm.errors import LlmConfigError, LlmRateLimited
from shared.llm.openai_rules import ChatRule, check_chat_request
from shared.llm.openai_settings import OpenAiSettings
from shared.llm.settings import LlmSettings
from tests.fakes.openai_api import ChatFakeConfig, ChatFault, FakeOpenAI
from tests.fakes.scripted import ScriptedModel
from tests.llm.conftest import blueprints

KEY = "sk-openai-test-key"
MODEL = "gpt-4o-mini"
SUBMIT = {
    "type": "function",
    "function": {
        "name": "submit_sql",
        "description": "the answer",
        "parameters": {
            "type": "object",
            "properties": {"sql": {"type": "string"}},
            "required": ["sql"],
            "additionalProperties": False,
        },
        "strict": True,
    },
}
CALL = {
    "id": "call_1",
    "type": "function",
    "function": {"name": "submit_sql", "arguments": '{"sql": "SELECT 1"}'},
}


def valid_body() -> dict[str, Any]:
    """A request the API accepts: a tool call answered, then the next user turn."""
    return {
        "model": MODEL,
        "max_completion_tokens": 256,
        "messages": [
            {"role": "system", "content": "You write SQL."},
            {"role": "user", "content": "Count the users."},
            {"role": "assistant", "content": None, "tool_calls": [CALL]},
            {"role": "tool", "tool_call_id": "call_1", "content": "ok"},
            {"role": "user", "content": "Now the orders."},
        ],
        "tools": [copy.deepcopy(SUBMIT)],
        "tool_choice": {"type": "function", "function": {"name": "submit_sql"}},
    }


@pytest.fixture
def chat_fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(ScriptedModel(use_tools_rate=0.0), ChatFakeConfig(keep_bodies=True)) as fake:
        yield fake


@pytest.fixture
async def sdk(chat_fake: FakeOpenAI) -> AsyncIterator[openai.AsyncOpenAI]:
    client = openai.AsyncOpenAI(api_key=KEY, base_url=chat_fake.base_url, max_retries=0)
    yield client
    await client.close()


def broken(rule: ChatRule) -> dict[str, Any]:
    body = valid_body()
    messages = body["messages"]
    function = body["tools"][0]["function"]
    if rule is ChatRule.MESSAGES_PRESENT:
        body["messages"] = []
    elif rule is ChatRule.ROLE_KNOWN:
        messages[1]["role"] = "human"
    elif rule is ChatRule.TOOL_MESSAGE_ANSWERS_CALL:
        messages[3]["tool_call_id"] = "call_unknown"
    elif rule is ChatRule.TOOL_CALLS_ANSWERED:
        del messages[3]  # the next user turn comes before the tool message
    elif rule is ChatRule.FUNCTION_NAME:
        function["name"] = "submit sql!"
        body.pop("tool_choice")
    elif rule is ChatRule.PARAMETERS_OBJECT:
        function["parameters"] = {"type": "string"}
    elif rule is ChatRule.STRICT_SCHEMA:
        function["parameters"]["required"] = []
    elif rule is ChatRule.TOOL_CHOICE_VALID:
        body["tool_choice"] = {"type": "function", "function": {"name": "submit_query"}}
    elif rule is ChatRule.MAX_TOKENS_BOUNDS:
        body["max_completion_tokens"] = 100_000
    return body


def test_the_valid_body_passes_every_rule() -> None:
    assert check_chat_request(valid_body()) == []


@pytest.mark.parametrize("rule", list(ChatRule))
async def test_each_rule_is_refused_like_the_api(
    rule: ChatRule, chat_fake: FakeOpenAI, sdk: openai.AsyncOpenAI
) -> None:
    body = broken(rule)
    assert [v.rule for v in check_chat_request(body)][:1] == [rule]
    with pytest.raises(openai.BadRequestError) as caught:
        await sdk.chat.completions.create(**body)
    error = caught.value.body
    assert isinstance(error, dict) and error["type"] == "invalid_request_error"
    assert error["message"] == check_chat_request(body)[0].message
    assert chat_fake.billed()["calls"] == 0


def test_strict_schema_also_needs_closed_objects() -> None:
    body = valid_body()
    body["tools"][0]["function"]["parameters"].pop("additionalProperties")
    assert [v.rule for v in check_chat_request(body)] == [ChatRule.STRICT_SCHEMA]
    body["tools"][0]["function"]["strict"] = False  # not strict: the schema is free
    assert check_chat_request(body) == []


def test_tool_choice_words_and_tools_needed() -> None:
    body = valid_body()
    body["tool_choice"] = "required"
    assert check_chat_request(body) == []
    body.pop("tools")
    assert [v.rule for v in check_chat_request(body)][-1] is ChatRule.TOOL_CHOICE_VALID


async def test_a_bad_key_is_401_and_a_config_error(chat_fake: FakeOpenAI) -> None:
    client = openai.AsyncOpenAI(api_key="sk-wrong-key-1234", base_url=chat_fake.base_url)
    with pytest.raises(openai.AuthenticationError) as caught:
        await client.chat.completions.create(**valid_body())
    assert isinstance(caught.value.body, dict)
    assert caught.value.body["code"] == "invalid_api_key"
    await client.close()
    settings = OpenAiSettings(api_key="sk-wrong-key-1234", base_url=chat_fake.base_url)
    engine = build_openai_engine(LlmSettings(), settings)
    with pytest.raises(LlmConfigError, match="401"):
        await engine.client.check_access()
    with pytest.raises(LlmConfigError, match="authentication"):
        await engine.generate(blueprints(1)[0], seed=1)
    await engine.aclose()


async def test_429_carries_retry_after_to_the_pipeline(chat_fake: FakeOpenAI) -> None:
    settings = OpenAiSettings(api_key=KEY, base_url=chat_fake.base_url)
    engine = build_openai_engine(LlmSettings(), settings)
    chat_fake.inject(ChatFault("rate_limit", retry_after_s=7))
    with pytest.raises(LlmRateLimited) as caught:
        await engine.generate(blueprints(1)[0], seed=1)
    assert caught.value.retry_after_s == 7 and caught.value.status == 429
    # The SDK did not retry it (one owner per retry: the pipeline's redelivery).
    assert [c.status for c in chat_fake.calls] == [429]
    assert engine.client.ledger.failures == {"rate_limited": 1}
    await engine.aclose()


async def test_the_engines_real_request_shapes_pass_every_rule() -> None:
    scripted = ScriptedModel(use_tools_rate=1.0, wrong_sql_rate=0.5, malformed_rate=0.3)
    with FakeOpenAI(scripted, ChatFakeConfig(keep_bodies=True)) as fake:
        settings = OpenAiSettings(api_key=KEY, base_url=fake.base_url)
        engine: ClaudeDraftEngine = build_openai_engine(LlmSettings(), settings)
        for blueprint in blueprints(2, seed=9):
            draft, _ = await engine.generate(blueprint, seed=3)
            feedback = [Feedback(error_class=ErrorClass.QUERY, message="no such column: c.amount")]
            try:
                await engine.repair(blueprint, draft, feedback, seed=3)
            except GenerationError as exc:  # a right draft: the repair changes nothing
                assert "changed nothing" in str(exc)
        await engine.aclose()
        calls = fake.calls
    assert fake.state.violations == []
    assert {c.status for c in calls} == {200}
    bodies = [c.body for c in calls if c.body is not None]
    # Agent tools ran: tool_calls answered by tool messages, and forced submissions.
    assert any(m["role"] == "tool" for b in bodies for m in b["messages"])
    assert {c.tool_choice for c in calls} >= {"required", "submit_design"}
    assert all(b["parallel_tool_calls"] is False for b in bodies)
