"""The run waterfall: how many samples reached each stage, why the others stopped, and cost.

Read from a run folder: accepted records (dataset.jsonl), rejected.jsonl and duplicates.jsonl
(each carries the full envelope with its history) and summary.json. A sample "reached" a stage
when its history holds that stage's outcome, or a later one: a sample that was checked was
drafted, even if a repair re-drafted it under another name (`reviser.repaired`).
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from proto.common import Outcome
from shared.datasets import DatasetRecord
from shared.report.load import RunFiles

STEPS = ("planned", "drafted", "checked", "reviewed", "accepted")
# The outcome(s) in a history that mean a sample got as far as each step.
STEP_OUTCOMES: dict[str, frozenset[str]] = {
    "planned": frozenset({Outcome.PLANNED.value}),
    "drafted": frozenset({Outcome.DRAFTED.value, Outcome.REPAIRED.value}),
    "checked": frozenset({Outcome.CHECKED.value}),
    "reviewed": frozenset({Outcome.REVIEWED.value, Outcome.DUPLICATE.value}),
    "accepted": frozenset({Outcome.ACCEPTED.value}),
}
TOP_MESSAGES = 10


@dataclass(frozen=True)
class FinishedSample:
    outcome: str  # accepted, duplicate or rejected
    outcomes: frozenset[str]
    attempts: int
    cost: dict[str, Any]
    error_class: str | None = None
    reason: str | None = None
    layer: str | None = None

    @property
    def furthest(self) -> int:
        """Index in STEPS of the last step reached (accepted samples reached them all)."""
        if self.outcome == Outcome.ACCEPTED.value:
            return len(STEPS) - 1
        reached = [i for i, step in enumerate(STEPS) if STEP_OUTCOMES[step] & self.outcomes]
        return max(reached, default=0)


def collect_samples(run: RunFiles, accepted: Sequence[DatasetRecord]) -> list[FinishedSample]:
    samples = [
        FinishedSample(
            outcome=Outcome.ACCEPTED.value,
            outcomes=_outcomes(record.extra.get("history")),
            attempts=_int(record.extra.get("attempts"), 1),
            cost=_dict(record.extra.get("cost")),
        )
        for record in accepted
    ]
    for rows, outcome in ((run.rejected, Outcome.REJECTED), (run.duplicates, Outcome.DUPLICATE)):
        for row in rows:
            envelope = _dict(row.get("envelope"))
            dedup = _dict(envelope.get("dedup"))
            samples.append(
                FinishedSample(
                    outcome=outcome.value,
                    outcomes=_outcomes(envelope.get("history")),
                    attempts=_int(envelope.get("attempt"), 1),
                    cost=_dict(envelope.get("cost")),
                    error_class=row.get("error_class") or None,
                    reason=row.get("reason") or None,
                    layer=dedup.get("layer") if isinstance(dedup.get("layer"), str) else None,
                )
            )
    return samples


def compute_waterfall(run: RunFiles, accepted: Sequence[DatasetRecord]) -> dict[str, Any]:
    samples = collect_samples(run, accepted)
    summary = run.summary or {}
    planned = max(_int(summary.get("planned"), 0), len(samples))
    counts = [
        planned if index == 0 else sum(1 for s in samples if s.furthest >= index)
        for index in range(len(STEPS))
    ]
    steps: list[dict[str, Any]] = [{"step": STEPS[0], "samples": counts[0]}]
    for step, (previous, count) in zip(STEPS[1:], itertools.pairwise(counts), strict=True):
        steps.append({"step": step, "samples": count, "lost": previous - count})
    by_outcome = Counter(sample.outcome for sample in samples)
    rejected = [s for s in samples if s.outcome == Outcome.REJECTED.value]
    duplicates = [s for s in samples if s.outcome == Outcome.DUPLICATE.value]
    accepted_count = by_outcome.get(Outcome.ACCEPTED.value, 0)
    return {
        "steps": steps,
        "outcomes": {
            "accepted": accepted_count,
            "duplicate": by_outcome.get(Outcome.DUPLICATE.value, 0),
            "rejected": by_outcome.get(Outcome.REJECTED.value, 0),
            "unfinished": planned - len(samples),
        },
        "rejection_reasons": dict(
            Counter(s.error_class or "unknown" for s in rejected).most_common()
        ),
        "rejection_messages": [
            [message, n]
            for message, n in Counter(_short(s.reason) for s in rejected if s.reason).most_common(
                TOP_MESSAGES
            )
        ],
        "duplicate_layers": dict(Counter(s.layer or "unknown" for s in duplicates).most_common()),
        "attempts": _attempts(samples),
        "cost": _cost(summary, samples, accepted_count),
        "stages": summary.get("stages") if isinstance(summary.get("stages"), dict) else {},
        "elapsed_s": summary.get("elapsed_s"),
        "accepted_per_s": summary.get("accepted_per_s"),
    }


def _attempts(samples: Sequence[FinishedSample]) -> dict[str, Any]:
    accepted = [s.attempts for s in samples if s.outcome == Outcome.ACCEPTED.value]
    finished = [s.attempts for s in samples]
    histogram = Counter(accepted)
    return {
        "mean_accepted": sum(accepted) / len(accepted) if accepted else None,
        "mean_finished": sum(finished) / len(finished) if finished else None,
        "histogram": {str(k): histogram[k] for k in range(1, max(histogram, default=0) + 1)},
    }


def _cost(
    summary: dict[str, Any], samples: Sequence[FinishedSample], accepted: int
) -> dict[str, Any]:
    """Every sample's spend (rejected ones too) divided by the accepted samples."""
    total = _dict(summary.get("cost"))
    if not total:
        keys = ("calls", "input_tokens", "output_tokens", "usd")
        total = {k: sum(_number(s.cost.get(k)) for s in samples) for k in keys}
    usd = _number(total.get("usd"))
    tokens = _number(total.get("input_tokens")) + _number(total.get("output_tokens"))
    return {
        "usd": usd,
        "calls": int(_number(total.get("calls"))),
        "input_tokens": int(_number(total.get("input_tokens"))),
        "output_tokens": int(_number(total.get("output_tokens"))),
        "usd_per_accepted": usd / accepted if accepted else None,
        "tokens_per_accepted": tokens / accepted if accepted else None,
    }


def _outcomes(history: Any) -> frozenset[str]:
    if not isinstance(history, list):
        return frozenset()
    return frozenset(str(h.get("outcome")) for h in history if isinstance(h, dict))


def _short(text: str | None, limit: int = 160) -> str:
    line = " ".join((text or "").split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0
