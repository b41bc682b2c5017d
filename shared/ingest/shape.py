"""Statement shapes: the text with its literals replaced by placeholders, hashed into seed ids.

Two executions of `SELECT * FROM t WHERE id = 1` and `... id = 2` are one shape, counted twice.
Unlike `shared.sql.features.structural_pattern` (the pattern reviewers group queries by, which
also abstracts table and column names), a shape keeps identifiers: a seed must say which tables
it reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlglot import exp
from sqlglot.errors import ErrorLevel, SqlglotError
from sqlglot.tokenizer_core import Token, TokenType

from proto.seed import SeedEvent
from shared.sql.feature_parse import get_dialect, parse_sql, parse_tokens
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


def _abstract(tree: exp.Expr) -> exp.Expr:
    """Literals become `?` and lists of `?` one `?`, in place (the tree is ours)."""
    for node in list(tree.find_all(*_LITERALS, exp.Neg)):
        if isinstance(node, exp.Neg) and not isinstance(node.this, exp.Literal):
            continue
        if node is tree:
            return exp.Placeholder()
        node.replace(exp.Placeholder())
    # IN (?, ?, ?) is IN (?), and VALUES (?, ?), (?, ?) one row: list length is not shape.
    for owner in list(tree.find_all(exp.In, exp.Values)):
        items = owner.expressions
        if len(items) > 1 and all(item == items[0] for item in items[1:]):
            owner.set("expressions", [items[0]])
    return tree


def _shape_from_tree(sql: str, dialect: str, tokens: list[Token] | None) -> str:
    if tokens is None:
        statements = parse_sql(sql, dialect).statements
    else:
        statements = tuple(parse_tokens(tokens, sql, dialect))
        if not statements:
            raise ValueError("no statement")
    rendered = [
        _abstract(statement).sql(copy=False, comments=False, unsupported_level=ErrorLevel.IGNORE)
        for statement in statements
    ]
    return "; ".join(rendered)


def _shape_from_tokens(sql: str, dialect: str, tokens: list[Token] | None) -> str:
    tokens = tokens if tokens is not None else get_dialect(dialect).tokenize(sql)
    return " ".join(
        PLACEHOLDER if token.token_type in _VALUE_TOKENS else token.text for token in tokens
    )


def statement_shape(sql: str, dialect: str | None = None, tokens: list[Token] | None = None) -> str:
    """The normalised text of a statement: literals as `?`, one line, lower case.

    Parses with sqlglot when it can (from `tokens` when the caller has them); otherwise
    tokens, otherwise regular expressions, so an unparsable statement still gets a stable shape.
    """
    name = dialect or "postgres"
    try:
        shape = _shape_from_tree(sql, name, tokens)
    except (SqlglotError, ValueError, RecursionError):
        try:
            shape = _shape_from_tokens(sql, name, tokens)
        except (SqlglotError, ValueError, IndexError):
            shape = _REGEX_VALUES.sub(PLACEHOLDER, sql)
    return _SPACES.sub(" ", shape).strip().lower()


def shape_id(sql: str, dialect: str | None = None, tokens: list[Token] | None = None) -> str:
    """The seed id of a statement: the hash of its shape."""
    return pattern_hash(statement_shape(sql, dialect, tokens))


def count_bucket(count: int) -> int:
    """Counts 1, 2-3, 4-7, ... share a bucket: a shape is re-announced when it doubles."""
    return max(count, 1).bit_length() - 1


def message_id(seed: SeedEvent) -> str:
    """Nats-Msg-Id of a seed announcement: one per shape, count bucket and source, so a replay
    (restart, re-run) dedupes while two logs that share a shape are both heard."""
    return f"{seed.seed_id}:{count_bucket(seed.count)}:{pattern_hash(seed.source)[:8]}"


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
