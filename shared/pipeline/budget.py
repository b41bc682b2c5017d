"""A run's spending limit (dollars and tokens) against what all replicas spent so far.

The figure spent is a shared counter (the services keep it in a NATS KV bucket, one key per
run, updated with compare-and-set so concurrent replicas never lose an increment); this module
only decides, from that figure, whether planning must stop and says why in words once.
"""

from __future__ import annotations

from dataclasses import dataclass

from proto.run import RunRequest
from proto.sample import TokenCost


@dataclass(frozen=True)
class Spent:
    usd: float = 0.0
    tokens: int = 0

    def add(self, other: Spent) -> Spent:
        return Spent(self.usd + other.usd, self.tokens + other.tokens)


def tokens_of(cost: TokenCost) -> int:
    """Every token billed: input, output and both cache figures (what a token budget caps)."""
    return (
        cost.input_tokens
        + cost.output_tokens
        + cost.cache_creation_input_tokens
        + cost.cache_read_input_tokens
    )


def spent_between(before: TokenCost, after: TokenCost) -> Spent:
    """What one stage added to a sample's cost (the envelope carries the running total)."""
    return Spent(max(0.0, after.usd - before.usd), max(0, tokens_of(after) - tokens_of(before)))


def budget_reasons(request: RunRequest, spent: Spent) -> list[str]:
    """Why the run's budget stops planning (empty while it does not)."""
    reasons = []
    if request.budget_usd is not None and spent.usd >= request.budget_usd:
        reasons.append(f"spent ${spent.usd:.4f} of the ${request.budget_usd:g} budget")
    if request.budget_tokens is not None and spent.tokens >= request.budget_tokens:
        reasons.append(f"spent {spent.tokens} of the {request.budget_tokens} token budget")
    return reasons


def has_budget(request: RunRequest) -> bool:
    return request.budget_usd is not None or request.budget_tokens is not None
