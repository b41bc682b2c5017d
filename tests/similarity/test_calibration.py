"""Evidence for τ: precision and recall of the question layer on Spider dev's paraphrases.

Spider dev has several questions written for the same SQL on the same database (positives); the
other pairs on a database, with different SQL, are negatives. bench/README.md has the table.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from shared.similarity.calibration import (
    FULL_THRESHOLD,
    QUESTION_THRESHOLDS,
    LabelledRow,
    PairSet,
    calibrate_threshold,
    pair_cosines,
    paraphrase_pairs,
    precision_recall,
)
from shared.similarity.embedders import FULL, STATIC, Embedder

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def spider(data_dir: Path) -> list[LabelledRow]:
    rows = json.loads((data_dir / "spider" / "dev.json").read_text())
    return [LabelledRow(r["db_id"], r["query"], r["question"]) for r in rows]


@pytest.fixture(scope="module")
def pairs(spider: list[LabelledRow]) -> PairSet:
    return paraphrase_pairs(spider)


@pytest.fixture(scope="module")
def cosines(
    spider: list[LabelledRow], pairs: PairSet, static_embedder: Embedder, full_embedder: Embedder
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    questions = [row.question for row in spider]
    out = {}
    for embedder in (full_embedder, static_embedder):
        vectors = embedder.embed(questions)
        out[embedder.name] = (
            pair_cosines(vectors, pairs.positives),
            pair_cosines(vectors, pairs.negatives),
        )
    return out


def test_spider_dev_has_paraphrase_pairs_and_negatives(pairs: PairSet) -> None:
    assert len(pairs.positives) > 400
    assert len(pairs.negatives) > 50 * len(pairs.positives)


@pytest.mark.parametrize("model", [FULL, STATIC])
def test_the_question_layer_is_precise_at_its_threshold(
    model: str, cosines: dict[str, tuple[np.ndarray, np.ndarray]]
) -> None:
    positives, negatives = cosines[model]
    at_tau = precision_recall(positives, negatives, QUESTION_THRESHOLDS[model])
    looser = precision_recall(positives, negatives, QUESTION_THRESHOLDS[model] - 0.1)
    # τ trades recall for precision: most pairs it flags are paraphrases, even though Spider's
    # negatives include near-identical questions that differ in one word ("arriving"/"departing").
    assert at_tau.precision > 0.5
    assert at_tau.precision > looser.precision + 0.2
    assert at_tau.recall > 0.2
    assert looser.recall > at_tau.recall
    # A paraphrase is on average far closer than an unrelated question of the same database.
    assert float(np.median(positives)) > float(np.quantile(negatives, 0.9))


def test_the_distilled_threshold_is_calibrated_against_the_full_model(
    cosines: dict[str, tuple[np.ndarray, np.ndarray]],
) -> None:
    reference = np.concatenate(cosines[FULL])
    candidate = np.concatenate(cosines[STATIC])
    calibration = calibrate_threshold(reference, FULL_THRESHOLD, candidate)
    assert abs(calibration.threshold - QUESTION_THRESHOLDS[STATIC]) <= 0.0101
    # The distilled model reproduces part of the full model's decisions, not all of them.
    assert calibration.agreement.f1 > 0.3
    full = precision_recall(*cosines[FULL], FULL_THRESHOLD)
    static = precision_recall(*cosines[STATIC], QUESTION_THRESHOLDS[STATIC])
    assert abs(full.recall - static.recall) < 0.1
