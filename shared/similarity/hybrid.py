"""SQL-Factory's hybrid similarity (§4.1.2, eq. 3).

    Sim(q, q') = 0.6 · Sim_token + 0.3 · Sim_AST + 0.1 · Sim_embedding

- token: the normalised Indel ratio of the two queries' tokens after sorting them (a token-sort
  ratio), over sqlglot's tokens so that `count(*)` and `COUNT( * )` are the same tokens and
  operators (`<`, `>`) count;
- AST: 1 - tree edit distance / max tree size (shared.similarity.tree_edit);
- embedding: the cosine of the two SQL texts' embeddings (computed by the caller).

Weights are configurable (`HybridWeights`); they are normalised to sum to 1 only if they do not.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

import sqlglot
from rapidfuzz.distance import Indel
from sqlglot.tokenizer_core import TokenType

from shared.similarity.tree_edit import LabelledTree, labelled_tree, tree_similarity

# Token types whose text is a value: quoting differs by dialect, the value does not.
_STRING_TOKENS = frozenset({TokenType.STRING, TokenType.NATIONAL_STRING})


@dataclass(frozen=True)
class HybridWeights:
    token: float = 0.6
    ast: float = 0.3
    embedding: float = 0.1

    def normalised(self) -> HybridWeights:
        total = self.token + self.ast + self.embedding
        if total <= 0:
            raise ValueError("hybrid weights must have a positive sum")
        if abs(total - 1.0) < 1e-9:
            return self
        return HybridWeights(self.token / total, self.ast / total, self.embedding / total)


@dataclass(frozen=True)
class SqlShape:
    """What the hybrid score needs of one query, computed once (cached by text and dialect)."""

    sorted_tokens: str
    tree: LabelledTree | None  # None when the text does not parse: AST similarity is then 0
    labels: Counter[str] = field(default_factory=Counter, compare=False)


@dataclass(frozen=True)
class HybridScore:
    total: float
    token: float
    ast: float
    embedding: float

    def as_scores(self, prefix: str = "sql_") -> dict[str, float]:
        return {
            f"{prefix}hybrid": round(self.total, 6),
            f"{prefix}token": round(self.token, 6),
            f"{prefix}ast": round(self.ast, 6),
            f"{prefix}cosine": round(self.embedding, 6),
        }


def sql_tokens(sql: str, dialect: str = "sqlite") -> list[str]:
    """Lower-cased token texts; strings keep their value (unquoted), whitespace and comments go."""
    try:
        tokens = sqlglot.tokenize(sql, read=dialect)
    except sqlglot.errors.SqlglotError:
        return sql.lower().split()
    return [
        f"'{token.text}'" if token.token_type in _STRING_TOKENS else token.text.lower()
        for token in tokens
    ]


@lru_cache(maxsize=8192)
def describe_sql(sql: str, dialect: str = "sqlite") -> SqlShape:
    """Tokens and tree of a query; a text sqlglot cannot parse still gets its tokens."""
    sorted_tokens = " ".join(sorted(sql_tokens(sql, dialect)))
    try:
        tree = labelled_tree(sqlglot.parse_one(sql, read=dialect))
    except (sqlglot.errors.SqlglotError, RecursionError, ValueError):
        tree = None
    return SqlShape(sorted_tokens, tree, Counter(tree.labels) if tree else Counter())


def token_sort_similarity(a: SqlShape, b: SqlShape) -> float:
    return float(Indel.normalized_similarity(a.sorted_tokens, b.sorted_tokens))


def ast_similarity(a: SqlShape, b: SqlShape) -> float:
    if a.tree is None or b.tree is None:
        return 0.0
    return tree_similarity(a.tree, b.tree)


def ast_bound(a: SqlShape, b: SqlShape) -> float:
    """An upper bound of the AST similarity from the label multisets alone.

    An edit operation fixes at most one unmatched node on each side, so the edit distance is at
    least max(|A|, |B|) minus the number of labels the trees share, and the similarity at most
    shared / max(|A|, |B|).
    """
    if a.tree is None or b.tree is None:
        return 0.0
    largest = max(a.tree.size, b.tree.size)
    return sum((a.labels & b.labels).values()) / largest if largest else 1.0


def cheap_bound(a: SqlShape, b: SqlShape, cosine: float, weights: HybridWeights) -> float:
    """An upper bound of the hybrid score without the tree edit distance.

    The judge orders the k x 20 retrieved candidates by it (SQL-Factory: retrieve k x 20 by
    embedding, evaluate the top k) and computes the exact score only while a candidate's bound
    can still beat the best exact score found.
    """
    w = weights.normalised()
    embedding = max(0.0, min(1.0, cosine))
    return w.token * token_sort_similarity(a, b) + w.ast * ast_bound(a, b) + w.embedding * embedding


def hybrid_similarity(
    a: SqlShape, b: SqlShape, cosine: float, weights: HybridWeights | None = None
) -> HybridScore:
    w = (weights or HybridWeights()).normalised()
    token = token_sort_similarity(a, b)
    ast = ast_similarity(a, b)
    embedding = max(0.0, min(1.0, cosine))
    total = w.token * token + w.ast * ast + w.embedding * embedding
    return HybridScore(total=total, token=token, ast=ast, embedding=embedding)
