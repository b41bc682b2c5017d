"""Turing's measures per review cycle: "disagreement rates are minimized with each cycle".

Every record in a run's dataset was accepted by the pipeline, so for each record a cycle decided
(its latest decision in that cycle):
- disagreement rate: the reviewer rejected it or changed its question, SQL or explanation;
- acceptance rate: the record stays in the dataset (accepted as is, or kept with edits);
- edits per record: question, SQL and explanation changes saved, per decided record;
- time per review: median seconds from opening the record's page to the decision.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass

from shared.review.decide import Version
from shared.review.store import Action, Decision


@dataclass(frozen=True)
class CycleMeasures:
    cycle: int
    reviewed: int
    accepted: int
    edited: int
    rejected: int
    edits: int
    median_seconds: float | None

    @property
    def disagreement_rate(self) -> float:
        return (self.edited + self.rejected) / self.reviewed if self.reviewed else 0.0

    @property
    def acceptance_rate(self) -> float:
        return (self.accepted + self.edited) / self.reviewed if self.reviewed else 0.0

    @property
    def edits_per_record(self) -> float:
        return self.edits / self.reviewed if self.reviewed else 0.0


def measure_cycles(
    decisions: list[Decision], originals: Mapping[str, Version]
) -> list[CycleMeasures]:
    """`decisions` in storage order; `originals` maps record id → its version as the pipeline
    accepted it, so a record accepted after an edit still counts as edited."""
    by_cycle: dict[int, dict[str, Decision]] = {}
    for decision in decisions:
        by_cycle.setdefault(decision.cycle, {})[decision.record_id] = decision
    out = []
    for cycle in sorted(by_cycle):
        latest = list(by_cycle[cycle].values())
        rejected = sum(d.action is Action.REJECT for d in latest)
        edited = sum(
            d.action is not Action.REJECT and _is_edited(d, originals.get(d.record_id))
            for d in latest
        )
        seconds = [
            (d.decided_at - d.opened_at).total_seconds()
            for d in latest
            if d.opened_at is not None and d.decided_at >= d.opened_at
        ]
        out.append(
            CycleMeasures(
                cycle=cycle,
                reviewed=len(latest),
                accepted=len(latest) - rejected - edited,
                edited=edited,
                rejected=rejected,
                edits=_count_cycle_edits(decisions, cycle),
                median_seconds=statistics.median(seconds) if seconds else None,
            )
        )
    return out


def _is_edited(decision: Decision, original: Version | None) -> bool:
    if original is None:
        return False
    explanation = original.explanation if decision.explanation is None else decision.explanation
    return Version(decision.question, decision.sql, explanation) != original


def _count_cycle_edits(decisions: list[Decision], cycle: int) -> int:
    """Field changes saved in the cycle: each edit decision adds its new changes to the
    record's running count, so take the growth of that count within the cycle."""
    total = 0
    previous: dict[str, int] = {}
    for decision in decisions:
        before = previous.get(decision.record_id, 0)
        previous[decision.record_id] = decision.edits
        if decision.cycle == cycle:
            total += max(0, decision.edits - before)
    return total
