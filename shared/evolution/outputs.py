"""What `sqlsynth evolve` writes: the run folder layout (dataset.jsonl, rejected.jsonl,
duplicates.jsonl) and summary.json with, per round, the complexity of EvolSQL's Table 3, the
share of each operator and why candidates were dropped before the pipeline."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from proto import subjects
from proto.sample import SampleEnvelope
from shared.datasets.write import write_jsonl_atomically
from shared.evolution.rounds import RoundResult
from shared.pipeline.records import dataset_record, rejected_record
from shared.report.metrics import COMPLEXITY_KEYS, count_complexity
from shared.sql.features import analyze_query

FILES = {
    subjects.SAMPLE_ACCEPTED: "dataset.jsonl",
    subjects.SAMPLE_REJECTED: "rejected.jsonl",
    subjects.SAMPLE_DUPLICATE: "duplicates.jsonl",
}


def evolved_record(envelope: SampleEnvelope) -> dict[str, Any]:
    record = dataset_record(envelope)
    record["parent_id"] = envelope.blueprint.parent_id
    record["evolution"] = [op.value for op in envelope.blueprint.evolution]
    return record


def evolution_rounds(records: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """The round each evolved record was made in, by its parent chain within `records` (a
    first-round record's parent is not among them). Not `len(evolution)`: since session 9 a
    step may compose two operators, so the chain can be longer than the rounds."""
    parent_of = {str(r["id"]): str(r.get("parent_id") or "") for r in records}
    rounds: dict[str, int] = {}

    def depth(record_id: str) -> int:
        if record_id not in rounds:
            parent = parent_of[record_id]
            rounds[record_id] = 1 + (depth(parent) if parent in parent_of else 0)
        return rounds[record_id]

    for record_id in parent_of:
        depth(record_id)
    return rounds


def mean_complexity(sqls: Iterable[str]) -> dict[str, float | None]:
    rows = [count_complexity(f) for s in sqls if (f := analyze_query(s).features) is not None]
    return {
        key: round(sum(r[key] for r in rows) / len(rows), 2) if rows else None
        for key in COMPLEXITY_KEYS
    }


def shares(counts: Counter[Any]) -> dict[str, float]:
    total = sum(counts.values())
    return {str(k): round(v / total, 3) for k, v in counts.most_common()} if total else {}


def round_summary(result: RoundResult) -> dict[str, Any]:
    accepted = result.accepted
    drafted_ops: Counter[str] = Counter(
        e.envelope.blueprint.evolution[-1].value for e in result.final
    )
    accepted_ops: Counter[str] = Counter(env.blueprint.evolution[-1].value for env in accepted)
    reasons: Counter[str] = Counter(
        (env.history[-1].error_class.value if env.history[-1].error_class else "other")
        for env in result.by_subject(subjects.SAMPLE_REJECTED)
    )
    return {
        "round": result.round,
        "parents": result.parents,
        "drafted": result.drafted,
        "accepted": len(accepted),
        "rejected": len(result.by_subject(subjects.SAMPLE_REJECTED)),
        "duplicate": len(result.by_subject(subjects.SAMPLE_DUPLICATE)),
        "pipeline_pass_rate": round(len(accepted) / result.drafted, 3) if result.drafted else None,
        "rejected_by": dict(reasons),
        "operators_drafted": dict(drafted_ops),
        "operators_accepted": dict(accepted_ops),
        "operator_share": shares(accepted_ops),
        "chosen": {op.value: n for op, n in result.log.chosen.items()},
        "dropped_before_pipeline": dict(result.log.dropped),
        "questions_worded": dict(result.log.worded),
        "feasibility_scored_by": dict(result.log.scored),
        "skipped_parents": dict(result.log.skipped),
        "complexity": mean_complexity(env.draft.sql for env in accepted if env.draft),
    }


def write_outputs(
    out_dir: Path,
    results: Sequence[RoundResult],
    parents: Sequence[Mapping[str, Any]],
    meta: Mapping[str, Any],
) -> dict[str, Any]:
    out_dir.mkdir(parents=True, exist_ok=True)
    emits = [emit for result in results for emit in result.final]
    for subject, name in FILES.items():
        write = evolved_record if subject == subjects.SAMPLE_ACCEPTED else rejected_record
        rows = (write(e.envelope) for e in emits if e.subject == subject)
        write_jsonl_atomically(out_dir / name, rows)
    all_accepted: Counter[str] = Counter()
    for result in results:
        all_accepted.update({op.value: n for op, n in result.operators().items()})
    summary = {
        **meta,
        "parents": {
            "records": len(parents),
            "complexity": mean_complexity(str(r.get("sql")) for r in parents),
        },
        "rounds": [round_summary(r) for r in results],
        "accepted": sum(len(r.accepted) for r in results),
        "operator_share": shares(all_accepted),
    }
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary
