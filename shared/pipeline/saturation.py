"""The run's saturation signal, measured where every verdict ends: the sink.

Dedup replicas each see a share of a run's samples; the sink sees all of them, in the order they
finished, and rebuilds its counts from the files after a restart. So it keeps the rolling windows
of SQL-Factory's stopping criterion (shared.similarity.saturation) and puts the result in the run
status the planner already consumes: the run's window, the schemas and property regions that are
mostly redundant (plan elsewhere), and the reasons the run as a whole is saturated.

Redundant keys are updated incrementally (only the schema and region of the new observation are
re-judged), so the cost per verdict does not grow with the number of schemas a run touches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from proto.run import Saturation, SaturationWindow
from shared.similarity.saturation import (
    Observation,
    RunSaturation,
    SaturationPolicy,
    SaturationTracker,
    WindowStats,
    observation_from_scores,
    saturation_advice,
)


def schema_label(blueprint: dict[str, Any], domain: str) -> str:
    """The planner's name for a sample's schema (a template variant or a seed schema, else the
    domain) — the same vocabulary as shared.pipeline.near_dedup.candidate_of."""
    schema_id = blueprint.get("schema_id")
    return str(schema_id) if schema_id else domain


def region_label(domain: str, task_type: str, complexity: str) -> str:
    return f"{domain}/{task_type}/{complexity}"


@dataclass
class _RunKeys:
    schemas: set[str] = field(default_factory=set)
    redundant_schemas: set[str] = field(default_factory=set)
    redundant_regions: set[str] = field(default_factory=set)


class SaturationMonitor:
    """Rolling saturation windows per run, schema and region, summarised as a proto Saturation."""

    def __init__(self, policy: SaturationPolicy | None = None) -> None:
        self.policy = policy or SaturationPolicy()
        self.tracker = SaturationTracker()
        self._keys: dict[str, _RunKeys] = {}

    def observe_record(self, outcome: str, record: dict[str, Any]) -> None:
        """One finished sample as the sink writes it: an accepted dataset record, or a
        duplicate's envelope record. Rejected samples were never judged: they say nothing."""
        if outcome == "accepted":
            verdict = record.get("dedup") or {}
            blueprint = record.get("properties") or {}
            domain = str(record.get("domain", ""))
            region = region_label(
                domain, str(record.get("sql_task_type")), str(record.get("complexity"))
            )
            has_question = bool(record.get("sql_prompt"))
        elif outcome == "duplicate":
            envelope = record.get("envelope") or {}
            verdict, blueprint = envelope.get("dedup") or {}, envelope.get("blueprint") or {}
            draft = envelope.get("draft") or {}
            domain = str(draft.get("domain", blueprint.get("domain", "")))
            region = region_label(domain, str(draft.get("task_type")), str(draft.get("complexity")))
            has_question = bool(draft.get("question"))
        else:
            return
        observation = observation_from_scores(
            bool(verdict.get("duplicate", outcome == "duplicate")),
            {k: float(v) for k, v in (verdict.get("scores") or {}).items()},
            has_question,
        )
        self.observe(str(record["run_id"]), schema_label(blueprint, domain), region, observation)

    def observe(self, run_id: str, schema: str, region: str, observation: Observation) -> None:
        self.tracker.observe(run_id, schema, region, observation)
        keys = self._keys.setdefault(run_id, _RunKeys())
        keys.schemas.add(schema)
        self._judge(keys.redundant_schemas, schema, self.tracker.schema_stats(run_id, schema))
        self._judge(keys.redundant_regions, region, self.tracker.region_stats(run_id, region))

    def _judge(self, redundant: set[str], key: str, stats: WindowStats) -> None:
        policy = self.policy
        if stats.window >= policy.min_samples and stats.duplicate_rate >= policy.key_duplicate_rate:
            redundant.add(key)
        else:
            redundant.discard(key)

    def snapshot(self, run_id: str) -> Saturation:
        keys = self._keys.get(run_id, _RunKeys())
        run = self.tracker.run_stats(run_id)
        # The run-level stop rule reads only the run window and how many schemas are redundant:
        # hand it a summary with exactly that, not every window.
        judged = {key: WindowStats() for key in keys.schemas}
        for key in keys.redundant_schemas:
            judged[key] = WindowStats(
                window=self.policy.min_samples, duplicate_rate=1.0, seen=self.policy.min_samples
            )
        advice = saturation_advice(
            RunSaturation(run_id=run_id, run=run, schemas=judged), self.policy
        )
        return Saturation(
            run=SaturationWindow.model_validate(run.model_dump()),
            redundant_schemas=sorted(keys.redundant_schemas),
            redundant_regions=sorted(keys.redundant_regions),
            stop_reasons=list(advice.reasons),
        )
