"""Dollar cost from usage: rates per model as data, cache writes/reads, batch and long prompts."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from shared.llm.pricing import ModelPrice, PriceBook
from shared.llm.settings import LlmSettings


@dataclass
class Usage:
    input_tokens: int
    output_tokens: int
    cache_creation_input_tokens: int | None = None
    cache_read_input_tokens: int | None = None


def test_haiku_cost_sums_every_token_kind_at_its_rate() -> None:
    book = PriceBook()
    usage = Usage(1_000, 2_000, cache_creation_input_tokens=4_000, cache_read_input_tokens=8_000)
    cost = book.cost("claude-haiku-5-5", usage)
    # $/Mtok 0.10 in, 0.50 out, 0.125 cache write, 0.01 cache read: 100 + 1000 + 500 + 80 µ$.
    assert cost.usd == pytest.approx(0.001680)
    assert (cost.calls, cost.input_tokens, cost.output_tokens) == (1, 1_000, 2_000)
    assert (cost.cache_creation_input_tokens, cost.cache_read_input_tokens) == (4_000, 8_000)


def test_batch_halves_and_one_hour_writes_cost_more() -> None:
    book = PriceBook()
    usage = Usage(10_000, 1_000, cache_creation_input_tokens=5_000)
    online = book.cost("claude-haiku-5-5", usage)
    assert online.usd == pytest.approx(0.002125)  # 1000 + 500 + 625 µ$
    assert book.cost("claude-haiku-5-5", usage, batch=True).usd == pytest.approx(0.0010625)
    # The same 5000 cache-write tokens at the 1 h rate (0.20 $/Mtok instead of 0.125).
    hour = book.cost("claude-haiku-5-5", usage, cache_write_1h_tokens=5_000)
    assert hour.usd == pytest.approx(0.0025)


def test_long_prompts_use_the_model_multiplier() -> None:
    book = PriceBook()
    short = book.cost("claude-haiku-5-5", Usage(100_000, 0))
    long = book.cost("claude-haiku-5-5", Usage(100_001, 0))
    assert short.usd == pytest.approx(0.01)  # at the 100k threshold: the plain rate
    assert long.usd == pytest.approx(0.0500005)  # one token past it: every token x5


def test_standard_ratios_and_dated_ids() -> None:
    haiku45 = PriceBook().price("claude-haiku-4-5-20251001")
    assert (haiku45.input, haiku45.output) == (1.0, 5.0)
    assert haiku45.cache_write_5m == pytest.approx(1.25)
    assert haiku45.cache_read == pytest.approx(0.1)
    with pytest.raises(KeyError, match="SQLSYNTH_LLM_PRICES"):
        PriceBook().price("gpt-5")


def test_prices_are_configurable_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "SQLSYNTH_LLM_PRICES",
        '{"my-model": {"input": 2, "output": 4, "cache_write_5m": 2.5, "cache_write_1h": 4,'
        ' "cache_read": 0.2}}',
    )
    settings = LlmSettings()
    book = PriceBook(settings.prices)
    assert book.price("my-model") == ModelPrice(
        input=2, output=4, cache_write_5m=2.5, cache_write_1h=4, cache_read=0.2
    )
    assert book.cost("my-model", Usage(1_000_000, 0)).usd == pytest.approx(2.0)


def test_ledger_feeds_the_prometheus_counters() -> None:
    from prometheus_client import CollectorRegistry

    from proto.sample import TokenCost
    from shared.llm.ledger import UsageLedger, format_cost_line, metrics_observer, per_accepted
    from shared.metrics import Metrics

    metrics = Metrics(CollectorRegistry())
    ledger = UsageLedger(observer=metrics_observer(metrics))
    ledger.record(
        "outline",
        TokenCost(
            calls=1,
            input_tokens=10,
            output_tokens=20,
            cache_creation_input_tokens=30,
            cache_read_input_tokens=40,
            usd=0.5,
        ),
    )
    ledger.record("review", TokenCost(calls=1, output_tokens=5, usd=0.25))
    value = metrics.registry.get_sample_value
    assert value("sqlsynth_llm_tokens_total", {"kind": "output"}) == 25
    assert value("sqlsynth_llm_tokens_total", {"kind": "cache_read"}) == 40
    assert value("sqlsynth_llm_dollars_total") == pytest.approx(0.75)
    assert ledger.by_purpose["review"].calls == 1 and ledger.total.calls == 2
    unit = per_accepted(ledger.total, accepted=2)
    assert unit.calls == 1.0 and unit.usd == pytest.approx(0.375)
    assert "per accepted: $0.37500, 1.00 calls" in format_cost_line(ledger.total, 2)
