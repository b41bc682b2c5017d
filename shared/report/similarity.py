"""Diversity measures over a set of texts or queries (Turing's cosine, SQL-Factory's Vendi and
hybrid similarity). Definitions, and where they approximate the papers, are in docs/report.md.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, utils
from rapidfuzz.distance import Levenshtein
from sqlglot import exp

from shared.report.embed import Matrix

# SQL-Factory (eq. 3): alpha, beta, gamma for the token, AST and embedding parts.
HYBRID_WEIGHTS = (0.6, 0.3, 0.1)
DEFAULT_MAX_PAIRS = 2000

PairIndex = npt.NDArray[np.int64]


def mean_pairwise_cosine(vectors: Matrix) -> float | None:
    """Mean cosine over all unordered pairs of distinct rows (rows of norm 1), exactly.

    For unit rows, the sum over ordered pairs i != j of x_i . x_j is |sum x|^2 - n, so this is
    O(n d) however large n is. None with fewer than two rows.
    """
    n = vectors.shape[0]
    if n < 2:
        return None
    total = vectors.sum(axis=0)
    self_similarity = float(np.einsum("ij,ij->", vectors, vectors))
    return float((total @ total - self_similarity) / (n * (n - 1)))


def vendi_score(vectors: Matrix) -> float | None:
    """exp of the Shannon entropy of the eigenvalues of K/n, K the cosine kernel (Friedman &
    Dieng 2023). K = X X^T has the non-zero eigenvalues of X^T X, so the d x d matrix is enough:
    exact for any n. 1 means all rows alike; n means all orthogonal. None for no rows."""
    n = vectors.shape[0]
    if n == 0:
        return None
    eigenvalues = np.linalg.eigvalsh(vectors.T @ vectors / n)
    positive = eigenvalues[eigenvalues > 1e-12]
    positive = positive / positive.sum()  # rows of norm 1 make the trace 1 already; rounding
    return float(math.exp(-float(np.sum(positive * np.log(positive)))))


def sample_pairs(n: int, max_pairs: int, seed: int) -> tuple[PairIndex, bool]:
    """Index pairs (i < j): all of them when there are at most `max_pairs`, else `max_pairs`
    distinct pairs drawn uniformly with a seeded generator. Returns (pairs, sampled)."""
    total = n * (n - 1) // 2
    if total <= max_pairs:
        first, second = np.triu_indices(n, k=1)
        return np.stack([first, second], axis=1).astype(np.int64), False
    rng = np.random.default_rng(seed)
    linear = np.sort(rng.choice(total, size=max_pairs, replace=False)).astype(np.int64)
    return _unrank_pairs(linear, n), True


def _unrank_pairs(linear: npt.NDArray[np.int64], n: int) -> PairIndex:
    """Row-major rank k of the pair (i, j), i < j, back to (i, j)."""
    # Pairs before row i: i*n - i*(i+1)/2; invert the quadratic, then fix float rounding.
    k = linear.astype(np.float64)
    rows = np.floor((2 * n - 1 - np.sqrt((2 * n - 1) ** 2 - 8 * k)) / 2).astype(np.int64)
    start = rows * n - rows * (rows + 1) // 2
    too_far = start > linear
    rows[too_far] -= 1
    start = rows * n - rows * (rows + 1) // 2
    next_start = (rows + 1) * n - (rows + 1) * (rows + 2) // 2
    behind = linear >= next_start
    rows[behind] += 1
    start = rows * n - rows * (rows + 1) // 2
    cols = linear - start + rows + 1
    return np.stack([rows, cols], axis=1)


def token_sort_similarity(left: str, right: str) -> float:
    """Token-sort ratio in [0, 1]: lowercase, non-alphanumerics to spaces, tokens sorted and
    joined, then 1 - Indel distance / total length (rapidfuzz's fuzz.token_sort_ratio)."""
    return fuzz.token_sort_ratio(left, right, processor=utils.default_process) / 100.0


def list_ast_nodes(statements: Sequence[exp.Expr]) -> tuple[str, ...]:
    """Pre-order node types of the trees, identifiers pruned (their text is not structure)."""
    labels: list[str] = []
    for statement in statements:
        labels.extend(type(node).__name__ for node in statement.dfs() if not _pruned(node))
    return tuple(labels)


def _pruned(node: exp.Expr) -> bool:
    return isinstance(node, exp.Identifier)


def ast_similarity(left: Sequence[str], right: Sequence[str]) -> float:
    """1 - EditDist / max(|A|, |B|) (SQL-Factory, eq. 4) with the edit distance taken between the
    pre-order node sequences: a lower bound of the tree edit distance, so this is an upper
    bound of the tree similarity (see docs/report.md)."""
    longest = max(len(left), len(right))
    if longest == 0:
        return 1.0
    return 1.0 - Levenshtein.distance(left, right) / longest


@dataclass(frozen=True)
class HybridSimilarity:
    """Means over the pairs measured; `mean` is the weighted hybrid."""

    mean: float | None
    token_sort: float | None
    ast: float | None
    embedding: float | None
    pairs: int
    sampled: bool

    def to_json(self) -> dict[str, float | int | bool | None]:
        return {
            "mean": _round(self.mean),
            "token_sort": _round(self.token_sort),
            "ast": _round(self.ast),
            "embedding": _round(self.embedding),
            "pairs": self.pairs,
            "sampled": self.sampled,
        }


def hybrid_similarity(
    texts: Sequence[str],
    trees: Sequence[tuple[str, ...]],
    vectors: Matrix,
    *,
    max_pairs: int = DEFAULT_MAX_PAIRS,
    seed: int = 0,
) -> HybridSimilarity:
    """Mean hybrid similarity 0.6 token-sort + 0.3 AST + 0.1 embedding cosine over query pairs
    (all pairs, or `max_pairs` sampled with `seed`). Lower means more diverse."""
    n = len(texts)
    if n < 2:
        return HybridSimilarity(None, None, None, None, 0, False)
    pairs, sampled = sample_pairs(n, max_pairs, seed)
    first, second = pairs[:, 0], pairs[:, 1]
    tokens = np.array([token_sort_similarity(texts[i], texts[j]) for i, j in pairs])
    trees_sim = np.array([ast_similarity(trees[i], trees[j]) for i, j in pairs])
    cosines = np.einsum("ij,ij->i", vectors[first], vectors[second])
    alpha, beta, gamma = HYBRID_WEIGHTS
    hybrid = alpha * tokens + beta * trees_sim + gamma * cosines
    return HybridSimilarity(
        mean=float(hybrid.mean()),
        token_sort=float(tokens.mean()),
        ast=float(trees_sim.mean()),
        embedding=float(cosines.mean()),
        pairs=len(pairs),
        sampled=sampled,
    )


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)
