"""Token and dollar accounting: per call (TokenCost), per process (UsageLedger), per run.

Envelopes carry what their sample's drafts cost (the engine returns it with each draft); the
ledger counts every call this process made, including work lost to a rate limit or a crash, so
run totals and Prometheus counters never under-report spend.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from proto.sample import TokenCost
from shared.metrics import Metrics

UsageObserver = Callable[[str, TokenCost], None]


def metrics_observer(metrics: Metrics) -> UsageObserver:
    """Feed every priced call into the service's Prometheus token and dollar counters."""

    def observe(purpose: str, cost: TokenCost) -> None:
        metrics.tokens.labels("input").inc(cost.input_tokens)
        metrics.tokens.labels("output").inc(cost.output_tokens)
        metrics.tokens.labels("cache_write").inc(cost.cache_creation_input_tokens)
        metrics.tokens.labels("cache_read").inc(cost.cache_read_input_tokens)
        metrics.dollars.inc(cost.usd)

    return observe


@dataclass
class UsageLedger:
    observer: UsageObserver | None = None
    total: TokenCost = field(default_factory=TokenCost)
    by_purpose: dict[str, TokenCost] = field(default_factory=dict)
    # Failed calls by kind ("rate_limited", "unavailable", "rejected"): not billed, but visible.
    failures: dict[str, int] = field(default_factory=dict)

    def record(self, purpose: str, cost: TokenCost) -> None:
        self.total = self.total.add(cost)
        self.by_purpose[purpose] = self.by_purpose.get(purpose, TokenCost()).add(cost)
        if self.observer is not None:
            self.observer(purpose, cost)

    def record_failure(self, kind: str) -> None:
        self.failures[kind] = self.failures.get(kind, 0) + 1


@dataclass(frozen=True)
class PerAccepted:
    """Run-level efficiency: what one accepted sample cost on average."""

    accepted: int
    usd: float
    calls: float
    input_tokens: float
    output_tokens: float
    cache_creation_input_tokens: float
    cache_read_input_tokens: float

    def as_dict(self) -> dict[str, float]:
        return {
            "accepted": self.accepted,
            "usd_per_accepted": self.usd,
            "calls_per_accepted": self.calls,
            "input_tokens_per_accepted": self.input_tokens,
            "output_tokens_per_accepted": self.output_tokens,
            "cache_write_tokens_per_accepted": self.cache_creation_input_tokens,
            "cache_read_tokens_per_accepted": self.cache_read_input_tokens,
        }


def per_accepted(total: TokenCost, accepted: int) -> PerAccepted:
    """Totals divided by accepted samples (all spend, rejected samples' included)."""
    n = max(accepted, 1)
    return PerAccepted(
        accepted=accepted,
        usd=total.usd / n,
        calls=total.calls / n,
        input_tokens=total.input_tokens / n,
        output_tokens=total.output_tokens / n,
        cache_creation_input_tokens=total.cache_creation_input_tokens / n,
        cache_read_input_tokens=total.cache_read_input_tokens / n,
    )


def format_cost_line(total: TokenCost, accepted: int) -> str:
    """One line for run status output: totals, then per accepted sample."""
    unit = per_accepted(total, accepted)
    return (
        f"LLM: {total.calls} calls, ${total.usd:.4f} "
        f"(in {total.input_tokens:,} / out {total.output_tokens:,} / cache write "
        f"{total.cache_creation_input_tokens:,} / cache read {total.cache_read_input_tokens:,}); "
        f"per accepted: ${unit.usd:.5f}, {unit.calls:.2f} calls"
    )
