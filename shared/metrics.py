"""Domain metrics, the same names in every service, so one dashboard reads them all."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


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
