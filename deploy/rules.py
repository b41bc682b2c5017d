"""Prometheus alert rules, generated from one typed config so a test can run the same rules
with short windows and low thresholds against a real run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Jobs whose targets are sqlsynth processes (Kubernetes pods or a local run's file_sd list).
JOBS = 'job=~"sqlsynth.*"'


@dataclass(frozen=True)
class AlertConfig:
    """Windows, `for:` durations and thresholds of every rule (production defaults)."""

    rate_window: str = "5m"
    rejection_window: str = "10m"
    spend_window: str = "1h"
    no_progress_for: str = "10m"
    rejection_for: str = "10m"
    retries_for: str = "5m"
    lag_for: str = "10m"
    target_down_for: str = "2m"
    absent_for: str = "5m"
    nats_down_for: str = "1m"
    rejection_share: float = 0.2
    retries_per_s: float = 1.0
    lag_messages: int = 1000
    spend_dollars: float = 50.0


def rule(name: str, expr: str, for_: str, severity: str, summary: str) -> dict[str, Any]:
    body: dict[str, Any] = {"alert": name, "expr": expr}
    if for_:
        body["for"] = for_
    body["labels"] = {"severity": severity}
    body["annotations"] = {"summary": summary}
    return body


def build_rules(config: AlertConfig | None = None) -> dict[str, Any]:
    """The rule file as a document (what `alerts.yml` holds)."""
    c = config or AlertConfig()
    finished = f'sum(rate(sqlsynth_samples_total{{stage="sink"}}[{c.rate_window}]))'
    queued = "sum(sqlsynth_consumer_pending + sqlsynth_consumer_ack_pending)"
    rules = [
        rule(
            "SqlsynthRejectionRateHigh",
            f'sum(rate(sqlsynth_samples_total{{stage="sink",outcome="rejected"}}'
            f"[{c.rejection_window}]))\n  / clamp_min(sum(rate(sqlsynth_samples_total"
            f'{{stage="sink"}}[{c.rejection_window}])), 1e-9) > {c.rejection_share}',
            c.rejection_for,
            "warning",
            f"More than {c.rejection_share:.0%} of finished samples are rejected; "
            "read the reasons in rejected.jsonl.",
        ),
        # Work waits in JetStream (the monitor's view, which outlives a dead stage) and the
        # sink finished nothing: a stage is down or stuck. `or vector(0)` keeps the rule alive
        # when the sink has never counted anything.
        rule(
            "SqlsynthNoProgress",
            f"{queued} > 0\nand on() ({finished} or vector(0)) == 0",
            c.no_progress_for,
            "critical",
            "Samples are queued in JetStream but none finished: a stage is down or stuck.",
        ),
        rule(
            "SqlsynthConsumerLagHigh",
            f"max by (consumer) (sqlsynth_consumer_pending) > {c.lag_messages}",
            c.lag_for,
            "warning",
            "Consumer {{ $labels.consumer }} has {{ $value }} messages waiting: "
            "scale its stage out.",
        ),
        rule(
            "SqlsynthTargetDown",
            f"up{{{JOBS}}} == 0",
            c.target_down_for,
            "critical",
            "{{ $labels.instance }} ({{ $labels.service }}) does not answer scrapes.",
        ),
        rule(
            "SqlsynthMetricsAbsent",
            f"absent(up{{{JOBS}}})",
            c.absent_for,
            "critical",
            "No sqlsynth target is scraped at all: check the scrape configuration.",
        ),
        rule(
            "SqlsynthNatsDown",
            "min(sqlsynth_nats_up) == 0",
            c.nats_down_for,
            "critical",
            "JetStream does not answer the monitor: nothing can move.",
        ),
        rule(
            "SqlsynthEngineRetries",
            f"sum by (reason) (rate(sqlsynth_retries_total[{c.rate_window}])) > {c.retries_per_s}",
            c.retries_for,
            "warning",
            "Stages keep retrying ({{ $labels.reason }}): an engine or the LLM is unavailable.",
        ),
        # The total over every generator, reviser and judge replica, not per pod.
        rule(
            "SqlsynthLlmSpend",
            f"sum(increase(sqlsynth_llm_dollars_total[{c.spend_window}])) > {c.spend_dollars}",
            "",
            "warning",
            f"LLM spend above ${c.spend_dollars:g} in the last {c.spend_window}.",
        ),
    ]
    return {"groups": [{"name": "sqlsynth", "rules": rules}]}
