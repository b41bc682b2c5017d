"""Measured features of a SQL query: what conformance, coverage and the report all read.

Every field is defined in docs/features.md. One call parses the text once (sqlglot), walks the
tree once (shared.sql.feature_walk) and prints the structural pattern; results are cached per
(sql, dialect), and they are immutable, so sharing them from the cache is safe.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from sqlglot import exp

from proto.common import Engine, JoinKind, SqlFeature
from shared.record_scope import per_record
from shared.sql.feature_parse import describe_error, parse_sql, resolve_dialect
from shared.sql.feature_roles import SUBQUERY_ROLES, statement_type
from shared.sql.feature_walk import FeatureTally, walk_statement
from shared.sql.pattern import ListOwner, collapse_lists, pattern_hash, render_pattern

Scalar = str | int | float | bool | None


@dataclass(frozen=True)
class QueryFeatures:
    """Features of one SQL text (all its statements; see `statements`)."""

    statement_type: str
    tables: tuple[str, ...]
    joins: Mapping[JoinKind, int]
    functions: tuple[str, ...]
    aggregates: tuple[str, ...]
    subqueries: Mapping[str, int]
    window_functions: int
    ctes: int
    set_operations: tuple[str, ...]
    nesting_depth: int
    predicates: int
    group_by: bool
    having: bool
    order_by: bool
    limit: bool
    distinct: bool
    case: bool
    tokens: int
    pattern: str
    pattern_hash: str
    statements: int = 1

    @property
    def num_tables(self) -> int:
        return len(self.tables)

    @property
    def num_joins(self) -> int:
        return sum(self.joins.values())

    @property
    def features(self) -> frozenset[SqlFeature]:
        """The SqlFeature values this query has (the blueprint vocabulary)."""
        present = {
            SqlFeature.AGGREGATE: bool(self.aggregates),
            SqlFeature.GROUP_BY: self.group_by,
            SqlFeature.HAVING: self.having,
            SqlFeature.ORDER_BY: self.order_by,
            SqlFeature.LIMIT: self.limit,
            SqlFeature.DISTINCT: self.distinct,
            SqlFeature.CASE: self.case,
            SqlFeature.CTE: self.ctes > 0,
            SqlFeature.SET_OPERATION: bool(self.set_operations),
            SqlFeature.WINDOW: self.window_functions > 0,
            SqlFeature.SCALAR_SUBQUERY: self.subqueries["scalar"] > 0,
            SqlFeature.IN_SUBQUERY: self.subqueries["in"] > 0,
            SqlFeature.EXISTS_SUBQUERY: self.subqueries["exists"] > 0,
            SqlFeature.DERIVED_TABLE: self.subqueries["derived"] > 0,
        }
        return frozenset(feature for feature, has in present.items() if has)

    def summary(self) -> dict[str, Scalar]:
        """A flat dict of scalars for proto Validation.measured (lists joined with commas)."""
        flat: dict[str, Scalar] = {
            "statement_type": self.statement_type,
            "statements": self.statements,
            "tables": ",".join(self.tables),
            "num_tables": self.num_tables,
            "num_joins": self.num_joins,
        }
        flat.update({f"join_{kind.value}": count for kind, count in self.joins.items()})
        flat["functions"] = ",".join(self.functions)
        flat["aggregates"] = ",".join(self.aggregates)
        flat.update({f"subquery_{role}": count for role, count in self.subqueries.items()})
        flat.update(
            {
                "window_functions": self.window_functions,
                "ctes": self.ctes,
                "set_operations": ",".join(self.set_operations),
                "nesting_depth": self.nesting_depth,
                "predicates": self.predicates,
                "group_by": self.group_by,
                "having": self.having,
                "order_by": self.order_by,
                "limit": self.limit,
                "distinct": self.distinct,
                "case": self.case,
                "tokens": self.tokens,
                "pattern": self.pattern,
                "pattern_hash": self.pattern_hash,
                "features": ",".join(sorted(feature.value for feature in self.features)),
            }
        )
        return flat


@dataclass(frozen=True)
class QueryAnalysis:
    """Features, or why there are none: `error` holds the parse error, never an exception."""

    features: QueryFeatures | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.features is not None


@per_record(maxsize=4096)
def analyze_query(sql: str, dialect: Engine | str = Engine.SQLITE) -> QueryAnalysis:
    """Measure `sql` as written in `dialect`; a text that does not parse gives `error`.

    An unknown dialect name is a programming error and raises ValueError.
    """
    dialect_name = resolve_dialect(dialect)
    try:
        parsed = parse_sql(sql, dialect_name)
    except Exception as exc:  # sqlglot raises more than its documented errors on odd input
        return QueryAnalysis(features=None, error=describe_error(exc))
    tally = FeatureTally()
    owners: list[ListOwner] = []
    try:
        roots = [walk_statement(statement, tally, owners) for statement in parsed.statements]
        collapse_lists(owners)
        pattern = render_pattern(roots)
    except RecursionError as exc:  # sqlglot's generator recurses; absurd nesting can exhaust it
        return QueryAnalysis(features=None, error=describe_error(exc))
    features = QueryFeatures(
        statement_type=statement_type(parsed.statements[0]),
        tables=tuple(sorted(tally.tables)),
        joins=MappingProxyType({kind: tally.joins[kind] for kind in JoinKind}),
        functions=tuple(sorted(tally.functions)),
        aggregates=tuple(sorted(tally.aggregates)),
        subqueries=MappingProxyType({role: tally.subqueries[role] for role in SUBQUERY_ROLES}),
        window_functions=tally.window_functions,
        ctes=tally.ctes,
        set_operations=tuple(sorted(tally.set_operations)),
        nesting_depth=tally.nesting_depth,
        predicates=tally.predicates,
        group_by=tally.group_by,
        having=tally.having,
        order_by=tally.order_by,
        limit=tally.limit,
        distinct=tally.distinct,
        case=tally.case,
        tokens=parsed.tokens,
        pattern=pattern,
        pattern_hash=pattern_hash(pattern),
        statements=len(parsed.statements),
    )
    return QueryAnalysis(features=features)


def extract_query_features(sql: str, dialect: Engine | str = Engine.SQLITE) -> QueryFeatures:
    """Like analyze_query, but raises ValueError when the SQL does not parse."""
    analysis = analyze_query(sql, dialect)
    if analysis.features is None:
        raise ValueError(f"cannot analyze SQL: {analysis.error}")
    return analysis.features


def structural_pattern(sql_or_tree: str | exp.Expr, dialect: Engine | str = Engine.SQLITE) -> str:
    """The structural pattern of a SQL text (parsed in `dialect`) or of a tree (not modified).

    Raises ValueError when the text does not parse; `analyze_query`
    returns a result that carries the error instead.
    """
    if isinstance(sql_or_tree, str):
        analysis = analyze_query(sql_or_tree, dialect)  # cached, and already holds the pattern
        if analysis.features is None:
            raise ValueError(f"cannot parse SQL: {analysis.error}")
        return analysis.features.pattern
    owners: list[ListOwner] = []
    root = walk_statement(sql_or_tree.copy(), FeatureTally(), owners)
    collapse_lists(owners)
    return render_pattern([root])
