"""The client against the fake API through the real SDK: who retries what, error sorting,
preflight messages, and costs equal to the usage the server reported."""

from __future__ import annotations

from typing import Any

import pytest

from proto.sample import TokenCost
from shared.errors import RateLimited, is_retryable
from shared.llm.client import LlmClient
from shared.llm.errors import LlmConfigError, LlmRateLimited, LlmUnavailable, RequestRejected
from shared.llm.pricing import PriceBook
from shared.llm.settings import LlmSettings
from tests.fakes.llm import FakeAnthropic, FakeConfig, Fault, ModelTurn
from tests.llm.conftest import make_settings


def echo(body: dict[str, Any]) -> ModelTurn:
    text = body["messages"][-1]["content"]
    return ModelTurn(
        [{"type": "tool_use", "name": "submit", "input": {"echo": str(text) * 20}}], "tool_use"
    )


PARAMS: dict[str, Any] = {
    "max_tokens": 2000,
    "system": [
        # ~5,000 tokens: above the 4,096-token caching minimum of the default model.
        {"type": "text", "text": "You are a test. " * 1250, "cache_control": {"type": "ephemeral"}}
    ],
    "messages": [{"role": "user", "content": "hello"}],
}


@pytest.fixture
def server() -> Any:
    with FakeAnthropic(echo, FakeConfig()) as fake:
        yield fake


def client_for(fake: FakeAnthropic, **overrides: Any) -> LlmClient:
    return LlmClient(make_settings(fake, **overrides))


async def test_cost_per_call_equals_server_usage_and_caching_reads(server: FakeAnthropic) -> None:
    client = client_for(server)
    costs = [(await client.create(PARAMS, purpose="t")).cost for _ in range(3)]
    billed = server.billed()
    total = client.ledger.total
    assert billed["calls"] == total.calls == 3
    for key in (
        "input_tokens",
        "output_tokens",
        "cache_creation_input_tokens",
        "cache_read_input_tokens",
    ):
        assert billed[key] == getattr(total, key), key
    assert costs[0].cache_creation_input_tokens > 0 and costs[0].cache_read_input_tokens == 0
    assert costs[1].cache_read_input_tokens == costs[0].cache_creation_input_tokens
    price = PriceBook().price("claude-haiku-5-5")
    expected = (
        billed["input_tokens"] * price.input
        + billed["output_tokens"] * price.output
        + billed["cache_creation_input_tokens"] * price.cache_write_5m
        + billed["cache_read_input_tokens"] * price.cache_read
    ) / 1e6
    assert total.usd == pytest.approx(expected)
    await client.aclose()


@pytest.mark.parametrize(("kind", "status"), [("rate_limit", 429), ("overloaded", 529)])
async def test_rate_limits_are_not_retried_here_and_slow_the_limiter(
    server: FakeAnthropic, kind: str, status: int
) -> None:
    client = client_for(server, max_pause_s=0.05)
    before = client.limiter.limit
    server.inject(Fault(kind, retry_after_s=7))  # type: ignore[arg-type]
    with pytest.raises(LlmRateLimited) as caught:
        await client.create(PARAMS, purpose="t")
    assert isinstance(caught.value, RateLimited) and is_retryable(caught.value)
    assert caught.value.status == status and caught.value.retry_after_s == 7
    # The server said x-should-retry: true; still exactly one request: the pipeline owns it.
    assert [c.status for c in server.calls] == [status]
    assert client.limiter.limit == before / 2
    assert client.ledger.failures == {"rate_limited": 1}
    await client.aclose()


async def test_server_errors_are_retryable_and_not_retried_here(server: FakeAnthropic) -> None:
    client = client_for(server)
    server.inject(Fault("server_error"))
    with pytest.raises(LlmUnavailable) as caught:
        await client.create(PARAMS, purpose="t")
    assert is_retryable(caught.value) and caught.value.status == 500
    assert len(server.calls) == 1
    await client.aclose()


async def test_the_sdk_retries_dropped_connections_and_timeouts(server: FakeAnthropic) -> None:
    client = client_for(server, timeout_s=0.5, max_retries=2)
    server.inject(Fault("disconnect"))
    reply = await client.create(PARAMS, purpose="t")
    assert reply.cost.calls == 1
    server.inject(Fault("slow", delay_s=1.2))
    await client.create(PARAMS, purpose="t")
    statuses = [c.status for c in sorted(server.calls, key=lambda c: c.started)]
    assert statuses == [0, 200, 0, 200]  # each failure retried once by the SDK; 2 billed
    assert server.billed()["calls"] == client.ledger.total.calls == 2
    server.inject(Fault("slow", delay_s=1.2), times=3)
    with pytest.raises(LlmUnavailable, match="timed out"):
        await client.create(PARAMS, purpose="t")
    await client.aclose()


async def test_bad_requests_and_credentials_are_sorted(server: FakeAnthropic) -> None:
    with pytest.raises(LlmConfigError, match="ANTHROPIC_API_KEY is not set"):
        LlmClient(LlmSettings(api_key=None, base_url=server.base_url))
    wrong_key = LlmClient(LlmSettings(api_key="sk-ant-wrong", base_url=server.base_url))
    with pytest.raises(LlmConfigError, match="rejected the key"):
        await wrong_key.check_access()
    with pytest.raises(LlmConfigError, match="authentication"):
        await wrong_key.create(PARAMS, purpose="t")
    unknown = LlmClient(make_settings(server, model="claude-haiku-5-5"))
    unknown.model = "no-such-model"
    with pytest.raises(LlmConfigError, match="not available"):
        await unknown.check_access()
    good = client_for(server)
    assert await good.check_access() == "claude-haiku-5-5"
    too_long = {**PARAMS, "max_tokens": 10}
    reply = await good.create(too_long, purpose="t")
    assert reply.message.stop_reason == "max_tokens"
    for c in (wrong_key, unknown, good):
        await c.aclose()


def test_request_rejected_is_a_generation_error() -> None:
    from shared.errors import GenerationError

    assert issubclass(RequestRejected, GenerationError)
    assert TokenCost().calls == 0
