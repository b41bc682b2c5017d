"""Prices per model as data, and the dollar cost of one call's usage.

Figures are USD per million tokens from the model pages on platform.claude.com (Haiku 5.5 page,
Oct 2026; older models from the pricing table). Cache writes cost 1.25x input for the 5-minute
TTL and 2x for the 1-hour TTL, cache reads 0.1x input, and the Message Batches API halves every
rate. Haiku 5.5 bills prompts over 100K tokens at 5x. Override or add models with
`SQLSYNTH_LLM_PRICES` (JSON: {"model": {"input": .., "output": .., ...}}).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from proto.sample import TokenCost

PER_MILLION = 1_000_000
log = logging.getLogger(__name__)


class ModelPrice(BaseModel):
    """USD per million tokens for one model."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    input: float = Field(ge=0)
    output: float = Field(ge=0)
    cache_write_5m: float = Field(ge=0)
    cache_write_1h: float = Field(ge=0)
    cache_read: float = Field(ge=0)
    batch_factor: float = Field(default=0.5, gt=0, le=1)
    # Prompts (input + cache reads + cache writes) above this size bill every rate x multiplier.
    long_prompt_tokens: int | None = None
    long_prompt_multiplier: float = 1.0

    @classmethod
    def standard(cls, input_usd: float, output_usd: float) -> ModelPrice:
        """The usual ratios: cache writes 1.25x (5m) / 2x (1h) input, cache reads 0.1x input."""
        return cls(
            input=input_usd,
            output=output_usd,
            cache_write_5m=round(input_usd * 1.25, 6),
            cache_write_1h=round(input_usd * 2.0, 6),
            cache_read=round(input_usd * 0.1, 6),
        )


DEFAULT_MODEL = "claude-haiku-5-5"

PRICES: dict[str, ModelPrice] = {
    "claude-haiku-5-5": ModelPrice(
        input=0.10,
        output=0.50,
        cache_write_5m=0.125,
        cache_write_1h=0.20,
        cache_read=0.01,
        long_prompt_tokens=100_000,
        long_prompt_multiplier=5.0,
    ),
    "claude-haiku-4-5": ModelPrice.standard(1.0, 5.0),
    "claude-sonnet-4-6": ModelPrice.standard(3.0, 15.0),
    "claude-sonnet-4-5": ModelPrice.standard(3.0, 15.0),
    "claude-opus-4-6": ModelPrice.standard(5.0, 25.0),
    "claude-opus-4-5": ModelPrice.standard(5.0, 25.0),
}


class UsageLike(Protocol):
    """The SDK's `Usage` (and the batch result's) as far as billing is concerned."""

    @property
    def input_tokens(self) -> int: ...
    @property
    def output_tokens(self) -> int: ...
    @property
    def cache_creation_input_tokens(self) -> int | None: ...
    @property
    def cache_read_input_tokens(self) -> int | None: ...


class PriceBook:
    """Prices by model name; dated ids ("claude-haiku-4-5-20251001") resolve by prefix.

    `fallback`: the price of a model the book does not know (an OpenAI-compatible endpoint may
    serve any model): used with a warning, once per model, instead of refusing to start.
    """

    def __init__(
        self,
        overrides: Mapping[str, ModelPrice] | None = None,
        *,
        base: Mapping[str, ModelPrice] = PRICES,
        fallback: ModelPrice | None = None,
        setting: str = "SQLSYNTH_LLM_PRICES",
    ) -> None:
        self.prices: dict[str, ModelPrice] = {**base, **(overrides or {})}
        self.fallback = fallback
        self.setting = setting
        self.warned: set[str] = set()

    def price(self, model: str) -> ModelPrice:
        if model in self.prices:
            return self.prices[model]
        candidates = [name for name in self.prices if model.startswith(name)]
        if candidates:
            return self.prices[max(candidates, key=len)]
        known = ", ".join(sorted(self.prices))
        if self.fallback is None:
            raise KeyError(f"no price for model {model!r}; known: {known} (set {self.setting})")
        if model not in self.warned:
            self.warned.add(model)
            log.warning(
                "no price for model %r (known: %s): billed at input $%g / output $%g per "
                "million tokens; set %s",
                model,
                known,
                self.fallback.input,
                self.fallback.output,
                self.setting,
            )
        return self.fallback

    def cost(
        self,
        model: str,
        usage: UsageLike,
        *,
        batch: bool = False,
        cache_write_1h_tokens: int = 0,
    ) -> TokenCost:
        """One call's TokenCost: the usage as reported, priced (batch halves every rate)."""
        price = self.price(model)
        cache_write = usage.cache_creation_input_tokens or 0
        cache_read = usage.cache_read_input_tokens or 0
        write_1h = min(cache_write_1h_tokens, cache_write)
        prompt = usage.input_tokens + cache_write + cache_read
        factor = price.batch_factor if batch else 1.0
        if price.long_prompt_tokens is not None and prompt > price.long_prompt_tokens:
            factor *= price.long_prompt_multiplier
        usd = (
            (
                usage.input_tokens * price.input
                + usage.output_tokens * price.output
                + (cache_write - write_1h) * price.cache_write_5m
                + write_1h * price.cache_write_1h
                + cache_read * price.cache_read
            )
            * factor
            / PER_MILLION
        )
        return TokenCost(
            calls=1,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cache_creation_input_tokens=cache_write,
            cache_read_input_tokens=cache_read,
            usd=usd,
        )
