"""LLM settings (env prefix SQLSYNTH_LLM_; the key also from ANTHROPIC_API_KEY)."""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.llm.pricing import DEFAULT_MODEL, ModelPrice


class LlmSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SQLSYNTH_LLM_", extra="ignore", populate_by_name=True
    )

    api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("SQLSYNTH_LLM_API_KEY", "ANTHROPIC_API_KEY")
    )
    base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("SQLSYNTH_LLM_BASE_URL", "ANTHROPIC_BASE_URL")
    )
    model: str = DEFAULT_MODEL
    # Output budget per call; the rows section is the longest answer (a few thousand tokens).
    max_tokens: int = Field(default=8192, ge=256)
    temperature: float | None = Field(default=None, ge=0, le=1)
    # Per-request timeout; the SDK retries connection errors and timeouts `max_retries` times.
    timeout_s: float = Field(default=120.0, gt=0)
    connect_timeout_s: float = Field(default=10.0, gt=0)
    max_retries: int = Field(default=2, ge=0)
    # Adaptive concurrency (AIMD) bounds for calls in flight in one process.
    concurrency_initial: int = Field(default=8, ge=1)
    concurrency_min: int = Field(default=1, ge=1)
    concurrency_max: int = Field(default=64, ge=1)
    max_pause_s: float = Field(default=60.0, gt=0)
    # Agent tool calls (inspect schema, run query) allowed per section before an answer is forced.
    max_tool_calls: int = Field(default=4, ge=0)
    # Re-asks per section for an answer cut off at max_tokens or failing its schema, before the
    # attempt fails (each is a paid call, counted in the sample's cost as answer_retries).
    answer_retries: int = Field(default=2, ge=0)
    cache_ttl: Literal["5m", "1h"] = "5m"
    # Extra or corrected prices, USD per million tokens: {"model": {"input": 1, "output": 5, ...}}.
    prices: dict[str, ModelPrice] = Field(default_factory=dict)
    # Message Batches: how often to poll, and where submitted batches are remembered (resume).
    batch_poll_s: float = Field(default=30.0, gt=0)
    batch_state_dir: str = "out/llm-batches"

    def has_key(self) -> bool:
        return self.api_key is not None and bool(self.api_key.get_secret_value().strip())
