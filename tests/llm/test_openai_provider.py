"""The engine on an OpenAI-compatible endpoint: the real `openai` SDK against the fake Chat
Completions API with the scripted model. Drafts come out named `openai`, every billed call is in
the ledger at the configured price, an unknown model is priced by the fallback with a warning,
and a bad answer (cut off at the token limit, arguments that are not JSON, a broken schema) is
re-asked within the budget or rejected with its reason."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from shared.generation.claude.engine import build_openai_engine
from shared.llm.errors import LlmConfigError, MalformedOutput
from shared.llm.openai_settings import OPENAI_PRICES, OpenAiSettings, make_price
from shared.llm.pricing import PriceBook
from shared.llm.select import build_client, choose_generator, preflight
from shared.llm.settings import LlmSettings
from shared.pairs.sources import PairInput
from shared.pairs.weak_model import WeakModel
from tests.fakes.llm.types import ModelTurn
from tests.fakes.openai_api import ChatFakeConfig, ChatFault, FakeOpenAI
from tests.fakes.scripted import ScriptedModel
from tests.llm.conftest import blueprints

KEY = "sk-openai-test-key"
LOCAL = "qwen2.5-coder:7b"  # a model no price table knows


def endpoint(fake: FakeOpenAI, **overrides: Any) -> OpenAiSettings:
    values: dict[str, Any] = {"api_key": KEY, "base_url": fake.base_url}
    values.update(overrides)
    return OpenAiSettings(**values)


@pytest.fixture
def chat_fake() -> Iterator[FakeOpenAI]:
    scripted = ScriptedModel(use_tools_rate=1.0, wrong_sql_rate=0.5)
    with FakeOpenAI(scripted, ChatFakeConfig(keep_bodies=True)) as fake:
        yield fake


async def test_drafts_with_agent_tools_at_the_billed_cost(chat_fake: FakeOpenAI) -> None:
    engine = build_openai_engine(LlmSettings(), endpoint(chat_fake))
    costs = []
    for blueprint in blueprints(2, seed=2):
        draft, cost = await engine.generate(blueprint, seed=4)
        assert draft.engine == "openai" and draft.sql.startswith("SELECT")
        costs.append(cost)
    await engine.aclose()
    billed = chat_fake.billed()
    total = engine.client.ledger.total
    assert total.model_dump(exclude={"usd", "answer_retries"}) == billed
    assert sum(c.calls for c in costs) == billed["calls"]
    # Priced as gpt-4o-mini: input, cached input and output rates.
    price = OPENAI_PRICES["gpt-4o-mini"]
    usd = (
        billed["input_tokens"] * price.input
        + billed["cache_read_input_tokens"] * price.cache_read
        + billed["output_tokens"] * price.output
    ) / 1e6
    assert total.usd == pytest.approx(usd)
    # The later calls read the shared prefix (system + tools) from the automatic cache.
    assert billed["cache_read_input_tokens"] > 0


async def test_unknown_model_is_priced_by_the_fallback_with_a_warning(
    chat_fake: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="shared.llm.pricing"):
        engine = build_openai_engine(LlmSettings(), endpoint(chat_fake, model=LOCAL))
        _, cost = await engine.generate(blueprints(1)[0], seed=1)
        await engine.aclose()
    assert cost.calls >= 2 and cost.usd == 0.0 and cost.input_tokens > 0
    warnings = [r.getMessage() for r in caplog.records if LOCAL in r.getMessage()]
    assert len(warnings) == 1 and "SQLSYNTH_OPENAI" in warnings[0]
    # A configured default price applies to it instead.
    book = endpoint(chat_fake, default_price=make_price(1.0, 0.5, 2.0)).price_book()
    assert book.price(LOCAL).input == 1.0
    with pytest.raises(KeyError):  # the Anthropic book still refuses an unknown model
        PriceBook().price(LOCAL)


async def test_truncated_and_unparsable_answers_are_asked_again(chat_fake: FakeOpenAI) -> None:
    chat_fake.responder = ScriptedModel(use_tools_rate=0.0, truncated_rate=1.0)
    engine = build_openai_engine(LlmSettings(), endpoint(chat_fake))
    # The first design answer is cut off; asked again, its arguments are not JSON.
    chat_fake.inject(ChatFault("bad_json"), times=2)
    draft, cost = await engine.generate(blueprints(1, seed=3)[0], seed=2)
    await engine.aclose()
    assert draft.sql and cost.answer_retries >= 3
    bodies = [c.body for c in chat_fake.calls if c.body is not None]
    tool_texts = [m["content"] for b in bodies for m in b["messages"] if m["role"] == "tool"]
    assert any("not valid JSON" in text and text.startswith("Error:") for text in tool_texts)
    # A cut-off answer was asked again with twice the room.
    limits = [b["max_completion_tokens"] for b in bodies]
    assert 8192 in limits and 16384 in limits


async def test_an_always_cut_off_answer_ends_rejected_with_its_reason(
    chat_fake: FakeOpenAI,
) -> None:
    settings = LlmSettings(max_tokens=256, answer_retries=1)
    engine = build_openai_engine(settings, endpoint(chat_fake))
    with pytest.raises(MalformedOutput, match="cut off at max_tokens=512") as caught:
        await engine.generate(blueprints(1)[0], seed=1)
    await engine.aclose()
    assert caught.value.cost.calls == 2 and caught.value.cost.answer_retries == 1


async def test_preflight_and_choice(chat_fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SQLSYNTH_OPENAI_BASE_URL", chat_fake.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    env = {"SQLSYNTH_OPENAI_BASE_URL": chat_fake.base_url}
    assert choose_generator(None, env).name == "openai"
    assert choose_generator(None, {**env, "ANTHROPIC_API_KEY": "sk-ant-x"}).name == "claude"
    assert await preflight(engine="openai") == "gpt-4o-mini"
    monkeypatch.setenv("SQLSYNTH_OPENAI_MODEL", "gpt-9")
    with pytest.raises(LlmConfigError, match=r"'gpt-9' is not served .* qwen2\.5-coder:7b"):
        await preflight(engine="openai")
    monkeypatch.delenv("SQLSYNTH_OPENAI_BASE_URL")
    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(LlmConfigError, match="OPENAI_API_KEY is not set"):
        build_client("openai")


async def test_a_weak_model_on_the_openai_endpoint(
    chat_fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SQLSYNTH_OPENAI_BASE_URL", chat_fake.base_url)
    monkeypatch.setenv("SQLSYNTH_OPENAI_API_KEY", KEY)

    def respond(body: dict[str, Any]) -> ModelTurn:
        assert body["messages"][0]["content"][0]["text"].startswith("Schema")
        return ModelTurn([{"type": "text", "text": "```sql\nSELECT COUNT(*) FROM users\n```"}])

    chat_fake.responder = respond
    client = build_client("openai", LOCAL)
    assert client.model == LOCAL
    item = PairInput(
        "r1",
        "CREATE TABLE users (id INT)",
        "sqlite",
        "how many?",
        None,
        "SELECT 1",
        "sqlite",
        "Schema: CREATE TABLE users (id INT)\nhow many?",
    )
    weak = WeakModel(client, samples=2)
    candidates = await weak.propose(item)
    await client.aclose()
    assert [c.sql for c in candidates] == ["SELECT COUNT(*) FROM users"] * 2
    assert {c.source for c in candidates} == {f"weak:{LOCAL}"}
    assert client.ledger.by_purpose["weak_candidate"].calls == 2


async def test_a_text_answer_instead_of_the_call_is_asked_again(chat_fake: FakeOpenAI) -> None:
    """A model ignoring tool_choice (answers in prose) gets one more request per section."""
    scripted = ScriptedModel(use_tools_rate=0.0)
    prose: set[str] = set()

    def respond(body: dict[str, Any]) -> ModelTurn:
        last = body["messages"][-1]["content"][-1].get("text", "")
        if last not in prose and "do not answer in text" not in last:
            prose.add(last)
            return ModelTurn([{"type": "text", "text": "Sure! Here is the design: ..."}])
        return scripted(body)

    chat_fake.responder = respond
    engine = build_openai_engine(LlmSettings(), endpoint(chat_fake))
    draft, cost = await engine.generate(blueprints(1)[0], seed=1)
    await engine.aclose()
    assert draft.sql and cost.answer_retries == 2 and cost.calls == 4
