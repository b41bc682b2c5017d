"""The Grafana dashboard, as code (grafana-foundation-sdk): every panel watches one signal the
services export (shared/metrics.py, services/monitor)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from grafana_foundation_sdk.builders.dashboard import (
    Dashboard,
    DatasourceVariable,
    QueryVariable,
    Row,
)
from grafana_foundation_sdk.builders.prometheus import Dataquery
from grafana_foundation_sdk.builders.timeseries import Panel as Timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import DataSourceRef, VariableRefresh

UID = "sqlsynth-pipeline"
DATASOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")
# Every selector carries the namespace filter; a local run has no namespace label, which `.*`
# matches (an absent label reads as the empty string).
NS = 'namespace=~"$namespace"'
RATE = "$__rate_interval"


@dataclass(frozen=True)
class PanelSpec:
    title: str
    unit: str
    description: str
    # (expr, legend) pairs
    queries: tuple[tuple[str, str], ...]


def rate_of(metric: str, selector: str, by: str) -> str:
    return f"sum by ({by}) (rate({metric}{{{selector}}}[{RATE}]))"


def p95(metric: str, by: str) -> str:
    return f"histogram_quantile(0.95, sum by ({by}, le) (rate({metric}_bucket{{{NS}}}[{RATE}])))"


ROWS: dict[str, tuple[PanelSpec, ...]] = {
    "Pipeline": (
        PanelSpec(
            "Finished samples/s by outcome",
            "ops",
            "What the sink wrote: accepted, duplicate, rejected (the dataset's growth).",
            ((rate_of("sqlsynth_samples_total", f'stage="sink",{NS}', "outcome"), "{{outcome}}"),),
        ),
        PanelSpec(
            "Stage outcomes/s",
            "ops",
            "Every stage's outcomes: where samples go and where they fail.",
            (
                (
                    rate_of("sqlsynth_samples_total", NS, "stage, outcome"),
                    "{{stage}} {{outcome}}",
                ),
            ),
        ),
        PanelSpec(
            "Consumer lag (JetStream)",
            "short",
            "Messages waiting per consumer (pending) and delivered but unacknowledged: a stage "
            "that falls behind or stopped shows here first.",
            (
                (f"sum by (consumer) (sqlsynth_consumer_pending{{{NS}}})", "{{consumer}} pending"),
                (
                    f"sum by (consumer) (sqlsynth_consumer_ack_pending{{{NS}}})",
                    "{{consumer}} ack pending",
                ),
            ),
        ),
        PanelSpec(
            "In flight by stage",
            "short",
            "Messages a stage's handlers hold right now.",
            ((f"sum by (stage) (sqlsynth_in_flight{{{NS}}})", "{{stage}}"),),
        ),
        PanelSpec(
            "Retries/s by reason",
            "ops",
            "Delayed redeliveries: an engine, the LLM or the broker is unavailable.",
            ((rate_of("sqlsynth_retries_total", NS, "reason"), "{{reason}}"),),
        ),
    ),
    "Latency": (
        PanelSpec(
            "Stage p95",
            "s",
            "Handler time per stage, 95th percentile.",
            ((p95("sqlsynth_stage_seconds", "stage"), "{{stage}}"),),
        ),
        PanelSpec(
            "Engine p95",
            "s",
            "Time of one check on one engine, by validation level.",
            ((p95("sqlsynth_engine_seconds", "engine, level"), "{{engine}} {{level}}"),),
        ),
    ),
    "Dedup and saturation": (
        PanelSpec(
            "Dedup verdicts/s by layer",
            "ops",
            "Accepted, or the layer that found a duplicate (exact or near, question or SQL).",
            ((rate_of("sqlsynth_dedup_verdicts_total", NS, "layer"), "{{layer}}"),),
        ),
        PanelSpec(
            "Saturation",
            "percentunit",
            "Rolling duplicate rate and mean similarity of new samples (the stop signal).",
            (
                (
                    f'max by (run_id) (sqlsynth_dedup_duplicate_rate{{run_id=~"$run",{NS}}})',
                    "{{run_id}} duplicate rate",
                ),
                (
                    "max by (run_id, kind) "
                    f'(sqlsynth_dedup_mean_similarity{{run_id=~"$run",{NS}}})',
                    "{{run_id}} {{kind}} similarity",
                ),
            ),
        ),
    ),
    "Cost": (
        PanelSpec(
            "LLM tokens/s by kind",
            "short",
            "Input, output and cache tokens over every replica.",
            ((rate_of("sqlsynth_llm_tokens_total", NS, "kind"), "{{kind}}"),),
        ),
        PanelSpec(
            "LLM dollars per accepted sample",
            "currencyUSD",
            "Spend over the range divided by the samples accepted in it.",
            (
                (
                    f"sum(increase(sqlsynth_llm_dollars_total{{{NS}}}[$__range])) / clamp_min("
                    f'sum(increase(sqlsynth_samples_total{{stage="sink",outcome="accepted",{NS}}}'
                    "[$__range])), 1)",
                    "dollars per accepted",
                ),
                (f"sum(sqlsynth_llm_dollars_total{{{NS}}})", "dollars total"),
            ),
        ),
    ),
    "Health": (
        PanelSpec(
            "Targets up",
            "short",
            "Scraped processes per service (0 = down).",
            ((f'sum by (service) (up{{job=~"sqlsynth.*",{NS}}})', "{{service}}"),),
        ),
        PanelSpec(
            "NATS reachable",
            "short",
            "1 when JetStream answered the monitor's last poll.",
            ((f"min(sqlsynth_nats_up{{{NS}}})", "nats"),),
        ),
    ),
}


def build_panel(spec: PanelSpec) -> Timeseries:
    panel = (
        Timeseries()
        .title(spec.title)
        .description(spec.description)
        .unit(spec.unit)
        .datasource(DATASOURCE)
        .height(8)
        .span(12)
    )
    for ref, (expr, legend) in zip("ABCDEFGH", spec.queries, strict=False):
        panel = panel.with_target(Dataquery().expr(expr).legend_format(legend).ref_id(ref))
    return panel


def build_dashboard() -> dict[str, Any]:
    dashboard = (
        Dashboard("sqlsynth pipeline")
        .uid(UID)
        .tags(["sqlsynth", "generated"])
        .refresh("30s")
        .time("now-1h", "now")
        .with_variable(DatasourceVariable("datasource").label("Data source").type("prometheus"))
        .with_variable(
            QueryVariable("namespace")
            .label("Namespace")
            .datasource(DATASOURCE)
            .query('label_values(up{job=~"sqlsynth.*"}, namespace)')
            .include_all(True)
            .all_value(".*")
            .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        )
        .with_variable(
            QueryVariable("run")
            .label("Run")
            .datasource(DATASOURCE)
            .query("label_values(sqlsynth_dedup_duplicate_rate, run_id)")
            .include_all(True)
            .all_value(".*")
            .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        )
    )
    for title, panels in ROWS.items():
        dashboard = dashboard.with_row(Row(title))
        for spec in panels:
            dashboard = dashboard.with_panel(build_panel(spec))
    encoded: dict[str, Any] = json.loads(JSONEncoder(sort_keys=True).encode(dashboard.build()))
    return encoded


def panel_queries(document: dict[str, Any]) -> list[tuple[str, str]]:
    """(panel title, expr) of every query in a dashboard document."""
    return [
        (panel["title"], target["expr"])
        for panel in document["panels"]
        if panel.get("type") != "row"
        for target in panel.get("targets", [])
    ]
