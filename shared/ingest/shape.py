"""Statement shapes: the text with its literals replaced by placeholders, hashed into seed ids.

Two executions of `SELECT * FROM t WHERE id = 1` and `... id = 2` are one shape, counted twice.
Unlike `shared.sql.pattern.structural_pattern` (seed 001's pattern, which also abstracts table
and column names), a shape keeps identifiers: a seed must say which tables it reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from sqlglot import exp
from sqlglot.errors import ErrorLevel, SqlglotError
from sqlglot.tokenizer_core import TokenType

from proto.seed import SeedEvent
from shared.sql.feature_parse import get_dialect, parse_sql
from shared.sql.pattern import pattern_hash

PLACEHOLDER = "?"
_LITERALS: tuple[type[exp.Expr], ...] = (exp.Literal, exp.Placeholder, exp.Parameter, exp.National)
_VALUE_TOKENS = frozenset(
    getattr(TokenType, name)
    for name in ("STRING", "NUMBER", "NATIONAL_STRING", "BYTE_STRING", "HEX_STRING", "PARAMETER")
    if hasattr(TokenType, name)
)
_REGEX_VALUES = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\b\d+(?:\.\d+)?\b|\$\d+")
_SPACES = re.compile(r"\s+")


def _placeholder(node: exp.Expr) -> exp.Expr:
    if isinstance(node, _LITERALS) or (
        isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal)
    ):
        return exp.Placeholder()
    return node


def _collapse(node: exp.Expr) -> exp.Expr:
    """IN (?, ?, ?) is IN (?), and VALUES (?, ?), (?, ?) one row: list length is not shape."""
    if isinstance(node, (exp.In, exp.Values)):
        items = node.expressions
        if len(items) > 1 and all(item == items[0] for item in items[1:]):
            node.set("expressions", [items[0]])
    return node


def _shape_from_tree(sql: str, dialect: str) -> str:
    statements = parse_sql(sql, dialect).statements
    rendered = []
    for statement in statements:
        tree = statement.transform(_placeholder).transform(_collapse)
        rendered.append(tree.sql(comments=False, unsupported_level=ErrorLevel.IGNORE))
    return "; ".join(rendered)


def _shape_from_tokens(sql: str, dialect: str) -> str:
    tokens = get_dialect(dialect).tokenize(sql)
    return " ".join(
        PLACEHOLDER if token.token_type in _VALUE_TOKENS else token.text for token in tokens
    )


@lru_cache(maxsize=65536)
def statement_shape(sql: str, dialect: str | None = None) -> str:
    """The normalised text of a statement: literals as `?`, one line, lower case.

    Parses with sqlglot when it can; otherwise tokens, otherwise regular expressions, so an
    unparsable statement still gets a stable shape.
    """
    name = dialect or "postgres"
    try:
        shape = _shape_from_tree(sql, name)
    except (SqlglotError, ValueError, RecursionError):
        try:
            shape = _shape_from_tokens(sql, name)
        except (SqlglotError, ValueError, IndexError):
            shape = _REGEX_VALUES.sub(PLACEHOLDER, sql)
    return _SPACES.sub(" ", shape).strip().lower()


def shape_id(sql: str, dialect: str | None = None) -> str:
    """The seed id of a statement: the hash of its shape."""
    return pattern_hash(statement_shape(sql, dialect))


def count_bucket(count: int) -> int:
    """Counts 1, 2-3, 4-7, ... share a bucket: a shape is re-announced when it doubles."""
    return max(count, 1).bit_length() - 1


def message_id(seed: SeedEvent) -> str:
    """Nats-Msg-Id of a seed announcement: one per shape and count bucket, so replays dedupe."""
    return f"{seed.seed_id}:{count_bucket(seed.count)}"


@dataclass
class ShapeCounter:
    """Counts repeats of each shape instead of repeating the seed.

    Batch mode (`add` then `seeds`) keeps the first occurrence of each shape with the final
    count and the mean duration. Stream mode (`observe`) answers the seed to announce now: a
    new shape, or a known one whose count just doubled (count 2, 4, 8, ...).
    """

    counts: dict[str, int] = field(default_factory=dict)
    _first: dict[str, SeedEvent] = field(default_factory=dict)
    _durations: dict[str, tuple[float, int]] = field(default_factory=dict)

    def add(self, seed: SeedEvent) -> None:
        key = seed.seed_id
        self.counts[key] = self.counts.get(key, 0) + seed.count
        self._first.setdefault(key, seed)
        if seed.duration_ms is not None:
            total, n = self._durations.get(key, (0.0, 0))
            self._durations[key] = (total + seed.duration_ms * seed.count, n + seed.count)

    def observe(self, seed: SeedEvent) -> SeedEvent | None:
        before = self.counts.get(seed.seed_id, 0)
        after = before + seed.count
        self.counts[seed.seed_id] = after
        if before and count_bucket(after) == count_bucket(before):
            return None
        return seed.model_copy(update={"count": after})

    def seeds(self) -> list[SeedEvent]:
        out = []
        for key, seed in self._first.items():
            update: dict[str, object] = {"count": self.counts[key]}
            if key in self._durations:
                total, n = self._durations[key]
                update["duration_ms"] = round(total / n, 3)
            out.append(seed.model_copy(update=update))
        return out

    def __len__(self) -> int:
        return len(self.counts)
