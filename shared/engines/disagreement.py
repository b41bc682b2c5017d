"""Why engines that all ran a query disagree: typed causes, found in the query and the data.

Records are judged under each engine's stock behaviour (docs/validation.md). Some constructs
legitimately give different results there; a disagreement names the ones present so that a
repair can avoid them (compare text in a case-exact way, order NULLs explicitly, divide as a
real number) instead of guessing. Evidence comes from the fixture's own rows.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from proto.common import Engine
from proto.sample import Disagreement, DisagreementKind, EngineCheck, TableRows
from shared.sql.dialects import sqlglot_dialect

# Nodes whose result depends on how text compares or sorts.
_TEXT_SENSITIVE = (
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.In,
    exp.Like,
    exp.ILike,
    exp.Order,
    exp.Group,
    exp.Distinct,
    exp.Max,
    exp.Min,
    exp.SetOperation,
    exp.Join,
)
MAX_EXAMPLES = 3


def explain_disagreement(
    checks: Sequence[EngineCheck], sql: str, dialect: Engine, rows: Iterable[TableRows]
) -> Disagreement | None:
    """None unless at least two engines ran the query and returned different results."""
    ran = [c for c in checks if c.ok and c.digest is not None]
    if len({c.digest for c in ran}) < 2:
        return None
    groups: dict[str, list[Engine]] = {}
    for check in ran:
        groups.setdefault(check.digest or "", []).append(check.engine)
    tree = _parse(sql, dialect)
    values = [v for table in rows for row in table.values for v in row]
    kinds: list[DisagreementKind] = []
    examples: list[str] = []
    mysql_apart = any(g == [Engine.MYSQL] for g in groups.values())
    if mysql_apart and tree is not None and tree.find(*_TEXT_SENSITIVE):
        literals = [lit.this for lit in tree.find_all(exp.Literal) if lit.is_string]
        texts = [v for v in values if isinstance(v, str)] + literals
        collisions = find_collation_collisions(texts)
        if collisions or tree.find(exp.Order):
            kinds.append(DisagreementKind.TEXT_COLLATION)
            examples += [f"{a!r} = {b!r}" for a, b in collisions[:MAX_EXAMPLES]]
    postgres_apart = any(g == [Engine.POSTGRES] for g in groups.values())
    nulls = any(v is None for v in values)
    if tree is not None and tree.find(exp.Order) and nulls and postgres_apart:
        kinds.append(DisagreementKind.NULL_ORDERING)
    if tree is not None and tree.find(exp.Div) and mysql_apart:
        kinds.append(DisagreementKind.INTEGER_DIVISION)
    return Disagreement(
        groups=list(groups.values()),
        kinds=kinds or [DisagreementKind.UNEXPLAINED],
        examples=examples,
    )


def find_collation_collisions(texts: Iterable[str]) -> list[tuple[str, str]]:
    """Distinct values a case- and accent-insensitive collation reads as equal."""
    seen: dict[str, str] = {}
    collisions: list[tuple[str, str]] = []
    for text in sorted(set(texts)):
        key = fold_text(text)
        if key in seen and seen[key] != text:
            collisions.append((seen[key], text))
        seen.setdefault(key, text)
    return collisions


def fold_text(text: str) -> str:
    """Roughly what utf8mb4_0900_ai_ci compares: case folded, accents dropped (no padding)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _parse(sql: str, dialect: Engine) -> exp.Expr | None:
    try:
        return sqlglot.parse_one(sql, read=sqlglot_dialect(dialect))
    except (SqlglotError, RecursionError):
        return None
