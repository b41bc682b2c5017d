"""Thresholds of the question layer, and how they are measured on real paraphrases.

Spider dev has several questions written for the same SQL on the same database: natural
paraphrase pairs (positives). Pairs on the same database with different SQL are negatives (the
question layer only ever compares questions of one schema). Precision and recall of "cosine >= τ"
over these pairs is the evidence for τ; the distilled model's τ is the one whose decisions agree
best (F1) with the full model's at τ = 0.9 over the same pairs (figures in bench/README.md,
re-checked by tests/similarity/test_calibration.py).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from shared.pipeline.dedup import normalize_sql
from shared.similarity.embedders import FULL, STATIC

FULL_THRESHOLD = 0.9  # EvolSQL (τ = 0.9 with all-mpnet-base-v2)
QUESTION_THRESHOLDS: dict[str, float] = {FULL: FULL_THRESHOLD, STATIC: 0.91}


def question_threshold_for(model: str, override: float | None = None) -> float:
    if override is not None:
        return override
    return QUESTION_THRESHOLDS.get(model, FULL_THRESHOLD)


@dataclass(frozen=True)
class LabelledRow:
    scope: str
    sql: str
    question: str


@dataclass(frozen=True)
class PairSet:
    positives: list[tuple[int, int]]
    negatives: list[tuple[int, int]]


def paraphrase_pairs(rows: Sequence[LabelledRow], dialect: str = "sqlite") -> PairSet:
    """Same scope and same normalised SQL: positive; same scope, other SQL: negative."""
    by_scope: dict[str, list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        by_scope[row.scope].append(index)
    normal = [normalize_sql(row.sql, dialect) for row in rows]
    positives: list[tuple[int, int]] = []
    negatives: list[tuple[int, int]] = []
    for indices in by_scope.values():
        for i, j in itertools.combinations(indices, 2):
            (positives if normal[i] == normal[j] else negatives).append((i, j))
    return PairSet(positives, negatives)


def pair_cosines(
    vectors: NDArray[np.float32], pairs: Sequence[tuple[int, int]]
) -> NDArray[np.float64]:
    if not pairs:
        return np.zeros(0)
    left = np.array([i for i, _ in pairs])
    right = np.array([j for _, j in pairs])
    cosines: NDArray[np.float64] = np.einsum("ij,ij->i", vectors[left], vectors[right]).astype(
        np.float64
    )
    return cosines


@dataclass(frozen=True)
class PrecisionRecall:
    threshold: float
    precision: float
    recall: float
    true_positives: int
    false_positives: int
    positives: int

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def precision_recall(
    positive_scores: NDArray[np.float64], negative_scores: NDArray[np.float64], threshold: float
) -> PrecisionRecall:
    tp = int((positive_scores >= threshold).sum())
    fp = int((negative_scores >= threshold).sum())
    return PrecisionRecall(
        threshold=threshold,
        precision=tp / (tp + fp) if tp + fp else 1.0,
        recall=tp / len(positive_scores) if len(positive_scores) else 0.0,
        true_positives=tp,
        false_positives=fp,
        positives=len(positive_scores),
    )


@dataclass(frozen=True)
class Calibration:
    """The candidate model's threshold that best reproduces the reference model's decisions."""

    threshold: float
    agreement: PrecisionRecall  # of the candidate's decisions against the reference's
    reference_flagged: int


def calibrate_threshold(
    reference: NDArray[np.float64],
    reference_threshold: float,
    candidate: NDArray[np.float64],
    grid: NDArray[np.float64] | None = None,
) -> Calibration:
    """Pick τ for `candidate` maximising F1 against `reference >= reference_threshold`."""
    labels = reference >= reference_threshold
    taus = grid if grid is not None else np.round(np.arange(0.70, 0.995, 0.005), 3)
    best: PrecisionRecall | None = None
    for tau in taus:
        figures = precision_recall(candidate[labels], candidate[~labels], float(tau))
        if best is None or figures.f1 > best.f1 + 1e-12:
            best = figures
    assert best is not None
    return Calibration(best.threshold, best, int(labels.sum()))
