"""Settings of the OpenAI-compatible provider (env prefix SQLSYNTH_OPENAI_; the key and endpoint
also from OPENAI_API_KEY / OPENAI_BASE_URL, as the `openai` SDK reads them).

Only what is particular to the endpoint lives here; the LLM path's common knobs (max_tokens,
timeouts, concurrency, answer retries) stay in `LlmSettings` (SQLSYNTH_LLM_*), so both providers
run under the same limits.

Prices, USD per million tokens (OpenAI's pricing page, 2025 figures: input / cached input /
output). The endpoint reports cached prompt tokens (`prompt_tokens_details.cached_tokens`) and
no cache writes, so the write rates equal the input rate and never apply. A model the table does
not know (any self-hosted model) is billed at `default_price` (0 unless set) with a warning:
a vLLM or Ollama server costs what its machine costs, not per token.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.llm.pricing import ModelPrice, PriceBook

DEFAULT_OPENAI_MODEL = "gpt-4o-mini"


def make_price(input_usd: float, cached_usd: float, output_usd: float) -> ModelPrice:
    return ModelPrice(
        input=input_usd,
        output=output_usd,
        cache_write_5m=input_usd,
        cache_write_1h=input_usd,
        cache_read=cached_usd,
    )


OPENAI_PRICES: dict[str, ModelPrice] = {
    "gpt-4o-mini": make_price(0.15, 0.075, 0.60),
    "gpt-4o": make_price(2.50, 1.25, 10.00),
    "gpt-4.1": make_price(2.00, 0.50, 8.00),
    "gpt-4.1-mini": make_price(0.40, 0.10, 1.60),
    "gpt-4.1-nano": make_price(0.10, 0.025, 0.40),
}
FREE = make_price(0.0, 0.0, 0.0)


class OpenAiSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SQLSYNTH_OPENAI_", extra="ignore", populate_by_name=True
    )

    api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("SQLSYNTH_OPENAI_API_KEY", "OPENAI_API_KEY")
    )
    # Any server of /v1/chat/completions, e.g. http://localhost:8000/v1 (vLLM) or
    # http://localhost:11434/v1 (Ollama); None: api.openai.com.
    base_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("SQLSYNTH_OPENAI_BASE_URL", "OPENAI_BASE_URL"),
    )
    model: str = DEFAULT_OPENAI_MODEL
    # Extra or corrected prices: {"model": {"input": .., "output": .., "cache_write_5m": ..,
    # "cache_write_1h": .., "cache_read": ..}}; default_price for models in no table.
    prices: dict[str, ModelPrice] = Field(default_factory=dict)
    default_price: ModelPrice = FREE
    # OpenAI deprecated max_tokens for max_completion_tokens; older vLLM/Ollama read max_tokens.
    token_limit_param: Literal["max_completion_tokens", "max_tokens"] = "max_completion_tokens"
    # Send the tools' `strict: true` (constrained decoding where the server supports it).
    strict_tools: bool = True

    def has_key(self) -> bool:
        return self.api_key is not None and bool(self.api_key.get_secret_value().strip())

    def price_book(self) -> PriceBook:
        return PriceBook(
            self.prices,
            base=OPENAI_PRICES,
            fallback=self.default_price,
            setting="SQLSYNTH_OPENAI_PRICES or SQLSYNTH_OPENAI_DEFAULT_PRICE",
        )
