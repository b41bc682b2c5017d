"""Similarity and diversity measures against values worked out by hand."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from shared.report.build import ReportOptions, build_report
from shared.report.embed import Embedder, HashedTfidfEmbedder, Matrix, normalise_rows
from shared.report.load import load_report_dataset
from shared.report.similarity import (
    ast_similarity,
    hybrid_similarity,
    mean_pairwise_cosine,
    sample_pairs,
    token_sort_similarity,
    vendi_score,
)

SQRT_HALF = math.sqrt(0.5)


def test_mean_pairwise_cosine() -> None:
    vectors = np.array([[1.0, 0.0], [0.0, 1.0], [SQRT_HALF, SQRT_HALF]])
    # Pairs: (0,1) 0, (0,2) 1/sqrt2, (1,2) 1/sqrt2.
    assert mean_pairwise_cosine(vectors) == pytest.approx(2 * SQRT_HALF / 3)
    assert mean_pairwise_cosine(vectors[:1]) is None


def test_vendi_bounds_and_a_two_point_case() -> None:
    same = np.tile([[0.6, 0.8]], (5, 1))
    assert vendi_score(same) == pytest.approx(1.0)
    assert vendi_score(np.eye(4)) == pytest.approx(4.0)
    # Two unit vectors with cosine 1/2: K/n has eigenvalues 3/4 and 1/4.
    pair = np.array([[1.0, 0.0], [0.5, math.sqrt(3) / 2]])
    entropy = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25))
    assert vendi_score(pair) == pytest.approx(math.exp(entropy))
    assert vendi_score(np.zeros((0, 3))) is None


def test_token_sort_ignores_order_and_case() -> None:
    assert token_sort_similarity("SELECT a FROM t", "from T select A") == pytest.approx(1.0)
    # Sorted token strings "a" and "b": one substitution is two Indel edits over two chars.
    assert token_sort_similarity("a", "b") == pytest.approx(0.0)
    # "a b" vs "a c": 2 of 6 characters differ by Indel (one deletion, one insertion).
    assert token_sort_similarity("b a", "a c") == pytest.approx(1 - 2 / 6)


def test_ast_similarity_is_normalised_edit_distance() -> None:
    assert ast_similarity(("Select", "Column", "From"), ("Select", "From")) == pytest.approx(2 / 3)
    assert ast_similarity((), ()) == 1.0
    assert ast_similarity(("A", "B"), ("C", "D")) == 0.0


def test_hybrid_weights() -> None:
    texts = ["SELECT a FROM t", "SELECT a FROM t"]
    trees = [("Select", "Column"), ("Select", "Column")]
    vectors = np.array([[1.0, 0.0], [0.0, 1.0]])  # orthogonal embeddings
    result = hybrid_similarity(texts, trees, vectors)
    assert result.pairs == 1 and not result.sampled
    assert result.mean == pytest.approx(0.6 * 1 + 0.3 * 1 + 0.1 * 0)


def test_sample_pairs_all_or_seeded_sample() -> None:
    pairs, sampled = sample_pairs(4, 10, seed=0)
    assert not sampled
    assert [tuple(p) for p in pairs] == [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]
    first, sampled = sample_pairs(500, 300, seed=7)
    again, _ = sample_pairs(500, 300, seed=7)
    assert sampled and len(first) == 300
    assert np.array_equal(first, again)
    assert len({tuple(p) for p in first}) == 300
    assert all(0 <= i < j < 500 for i, j in first)


def test_hashed_tfidf_is_deterministic_and_normalised() -> None:
    texts = ["How many orders were shipped?", "How many orders shipped last week?", "zebra"]
    first = HashedTfidfEmbedder().embed(texts)
    second = HashedTfidfEmbedder().embed(texts)
    assert np.array_equal(first, second)
    assert first.shape == (3, 512)
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0)
    related = float(first[0] @ first[1])
    unrelated = float(first[0] @ first[2])
    assert related > 0.3 > unrelated
    assert np.allclose(HashedTfidfEmbedder().embed([""]), 0.0)


class CountingEmbedder:
    """A stand-in model: one dimension per distinct word (a real model plugs in the same way)."""

    def __init__(self) -> None:
        self.calls = 0

    @property
    def name(self) -> str:
        return "word-onehot"

    def embed(self, texts: Sequence[str]) -> Matrix:
        self.calls += 1
        words = sorted({w for t in texts for w in t.lower().split()})
        matrix = np.zeros((len(texts), max(len(words), 1)))
        for row, text in enumerate(texts):
            for word in text.lower().split():
                matrix[row, words.index(word)] += 1.0
        return normalise_rows(matrix)


def test_embedder_can_be_swapped(small_dataset: Path) -> None:
    embedder = CountingEmbedder()
    assert isinstance(embedder, Embedder)
    document = build_report(
        [load_report_dataset(small_dataset)], options=ReportOptions(embedder=embedder)
    )
    assert embedder.calls == 2  # questions once, SQL once
    assert document["embedding"] == "word-onehot"
    assert document["vendi"]["embedding"] == "word-onehot"
    assert document["report"]["embedding"] == "word-onehot"
    assert document["question_mean_cosine"] is not None
