"""Domain metrics, the same names in every service, so one dashboard reads them all."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# Token kinds the LLM client counts (shared/llm/client.py usage fields).
TOKEN_KINDS = ("input", "output", "cache_read", "cache_write")
DEDUP_LAYERS = ("accepted", "exact_question", "exact_sql", "question", "sql")
# The retry reasons a stage records (exception class names of shared/errors.py RETRYABLE).
RETRY_REASONS = (
    "EngineUnavailable",
    "EngineOutage",
    "RateLimited",
    "ProviderUnavailable",
    "ConnectionError",
    "TimeoutError",
)


class Metrics:
    """One registry per process; services pass it to FastStream's Prometheus middleware too."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.samples = Counter(
            "sqlsynth_samples_total",
            "Samples by stage and outcome",
            ["stage", "outcome"],
            registry=self.registry,
        )
        self.stage_seconds = Histogram(
            "sqlsynth_stage_seconds",
            "Handler time per stage",
            ["stage"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.engine_seconds = Histogram(
            "sqlsynth_engine_seconds",
            "Engine check time",
            ["engine", "level"],
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 2.5),
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "sqlsynth_in_flight", "Messages being handled", ["stage"], registry=self.registry
        )
        self.retries = Counter(
            "sqlsynth_retries_total",
            "Delayed redeliveries by stage and reason",
            ["stage", "reason"],
            registry=self.registry,
        )
        self.tokens = Counter(
            "sqlsynth_llm_tokens_total", "LLM tokens by kind", ["kind"], registry=self.registry
        )
        self.dollars = Counter(
            "sqlsynth_llm_dollars_total", "LLM spend in USD", registry=self.registry
        )
        # Dedup (shared/pipeline/near_dedup.py): verdicts per layer, time per step, and the
        # SQL-Factory saturation signal per run (rolling windows: shared/similarity/saturation.py).
        self.dedup_verdicts = Counter(
            "sqlsynth_dedup_verdicts_total",
            "Dedup verdicts by layer (accepted, exact_question, exact_sql, question, sql)",
            ["layer"],
            registry=self.registry,
        )
        self.dedup_seconds = Histogram(
            "sqlsynth_dedup_seconds",
            "Near-duplicate judgement time by step (embed, lock, search, rescore, commit)",
            ["step"],
            buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5),
            registry=self.registry,
        )
        self.dedup_duplicate_rate = Gauge(
            "sqlsynth_dedup_duplicate_rate",
            "Rolling duplicate rate of the run's newest samples",
            ["run_id"],
            registry=self.registry,
        )
        self.dedup_mean_similarity = Gauge(
            "sqlsynth_dedup_mean_similarity",
            "Rolling mean similarity of new samples to the accepted pool (kind: question, sql)",
            ["run_id", "kind"],
            registry=self.registry,
        )

    def prime(self, stage: str, outcomes: Iterable[str]) -> None:
        """Create a stage's label sets at zero before the first message.

        A labelled series appears only on first use, so `rate()` misses a burst's first
        increments and a dashboard shows nothing until a second scrape: a stage creates its
        series at start-up instead.
        """
        for outcome in outcomes:
            self.samples.labels(stage, outcome)
        self.stage_seconds.labels(stage)
        self.in_flight.labels(stage).set(0)
        for kind in TOKEN_KINDS:
            self.tokens.labels(kind)
        for layer in DEDUP_LAYERS:
            self.dedup_verdicts.labels(layer)
        for reason in RETRY_REASONS:
            self.retries.labels(stage, reason)

    def observe_engine(self, engine: str, level: str, seconds: float) -> None:
        self.engine_seconds.labels(engine, level).observe(seconds)
