"""What well-known property names mean: their allowed values, coherence rules, the Blueprint.

Any property may appear in a spec; the names below are the ones the pipeline understands and
maps onto typed Blueprint fields. Everything sampled is also kept in `Blueprint.properties`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from proto.common import Complexity, JoinKind, PromptStyle, SqlFeature, TaskType
from proto.sample import Blueprint
from shared.spec.model import DOMAIN, Spec, Value, ValueType
from shared.spec.question_lead import Lead

# join_kind's value for "no join" (a one-table query); JSON and YAML have no portable null key.
NO_JOIN = "none"
FEATURE_PREFIX = "uses_"
MAX_TABLES = 8  # Blueprint.num_tables' bound


def feature_property(feature: SqlFeature) -> str:
    return f"{FEATURE_PREFIX}{feature.value}"


@dataclass(frozen=True)
class WellKnown:
    value_type: ValueType
    allowed: tuple[Value, ...] | None = None
    low: int | None = None
    high: int | None = None
    hint: str = ""


WELL_KNOWN: dict[str, WellKnown] = {
    "task_type": WellKnown(
        ValueType.STR,
        tuple(t.value for t in TaskType),
        hint="data definition (DDL) tasks are excluded by design",
    ),
    "complexity": WellKnown(ValueType.STR, tuple(c.value for c in Complexity)),
    "prompt_style": WellKnown(ValueType.STR, tuple(s.value for s in PromptStyle)),
    "num_tables": WellKnown(ValueType.INT, low=1, high=MAX_TABLES),
    "join_kind": WellKnown(ValueType.STR, (NO_JOIN, *(k.value for k in JoinKind))),
    "question_lead": WellKnown(ValueType.STR, tuple(lead.value for lead in Lead)),
    "stated_filters": WellKnown(ValueType.INT, low=0, high=2),
} | {feature_property(f): WellKnown(ValueType.BOOL) for f in SqlFeature}


def check_well_known_value(name: str, value: Value) -> str | None:
    """Why `value` is not allowed for well-known property `name` (None when it is fine)."""
    known = WELL_KNOWN.get(name)
    if known is None:
        return None
    if known.allowed is not None and value not in known.allowed:
        allowed = ", ".join(repr(v) for v in known.allowed)
        hint = f" ({known.hint})" if known.hint else ""
        return f"unknown {name} {value!r}{hint}; allowed: {allowed}"
    if isinstance(value, int) and not isinstance(value, bool):
        if known.low is not None and value < known.low:
            return f"{name} {value} is below the minimum {known.low}"
        if known.high is not None and value > known.high:
            return f"{name} {value} is above the maximum {known.high}"
    return None


@dataclass(frozen=True)
class CoherenceRule:
    """A combination no SQL query can realise; draws violating it are rejected and redrawn."""

    name: str
    reason: str
    properties: tuple[str, ...]
    holds: Callable[[Mapping[str, Value]], bool]


def _flag(values: Mapping[str, Value], feature: SqlFeature) -> bool:
    return values.get(feature_property(feature)) is True


def _implies(premise: SqlFeature, conclusion: SqlFeature) -> Callable[[Mapping[str, Value]], bool]:
    return lambda values: not _flag(values, premise) or _flag(values, conclusion)


def _single_table_has_no_join(values: Mapping[str, Value]) -> bool:
    return values.get("num_tables", 1) != 1 or values.get("join_kind", NO_JOIN) == NO_JOIN


def _joined_tables_have_join_kind(values: Mapping[str, Value]) -> bool:
    # Only binding when the spec plans join kinds at all (join_kind present in the draw).
    tables = values.get("num_tables", 1)
    return not (isinstance(tables, int) and tables >= 2 and values.get("join_kind") == NO_JOIN)


RULES: tuple[CoherenceRule, ...] = (
    CoherenceRule(
        "single_table_has_no_join",
        "num_tables = 1 requires join_kind = none",
        ("num_tables", "join_kind"),
        _single_table_has_no_join,
    ),
    CoherenceRule(
        "joined_tables_have_join_kind",
        "num_tables >= 2 requires a join_kind other than none",
        ("num_tables", "join_kind"),
        _joined_tables_have_join_kind,
    ),
    CoherenceRule(
        "having_needs_group_by",
        "uses_having requires uses_group_by",
        (feature_property(SqlFeature.HAVING), feature_property(SqlFeature.GROUP_BY)),
        _implies(SqlFeature.HAVING, SqlFeature.GROUP_BY),
    ),
    CoherenceRule(
        "group_by_needs_aggregate",
        "uses_group_by requires uses_aggregate",
        (feature_property(SqlFeature.GROUP_BY), feature_property(SqlFeature.AGGREGATE)),
        _implies(SqlFeature.GROUP_BY, SqlFeature.AGGREGATE),
    ),
    CoherenceRule(
        "limit_needs_order_by",
        # Without ORDER BY the rows LIMIT keeps differ between engines, so results can't agree.
        "uses_limit requires uses_order_by",
        (feature_property(SqlFeature.LIMIT), feature_property(SqlFeature.ORDER_BY)),
        _implies(SqlFeature.LIMIT, SqlFeature.ORDER_BY),
    ),
)


def list_rejecting_properties(spec: Spec) -> set[str]:
    """Properties that coherence rules or constraints read (present in the spec)."""
    names = {n for rule in RULES for n in rule.properties}
    names |= {n for c in spec.constraints for n, _ in c.forbid}
    return names & set(spec.by_name)


def list_violations(spec: Spec, values: Mapping[str, Value]) -> list[str]:
    """Names of the coherence rules and constraints a draw breaks (empty: acceptable)."""
    broken = [rule.name for rule in RULES if not rule.holds(values)]
    broken += [c.name for c in spec.constraints if c.matches(values)]
    return broken


# Gretel's sql_complexity labels, most specific first: a query gets the first that applies.
SQL_COMPLEXITY_LABELS = (
    "CTEs",
    "window functions",
    "set operations",
    "subqueries",
    "multiple_joins",
    "single join",
    "aggregation",
    "basic SQL",
)
_SUBQUERIES = frozenset(
    {
        SqlFeature.SCALAR_SUBQUERY,
        SqlFeature.IN_SUBQUERY,
        SqlFeature.EXISTS_SUBQUERY,
        SqlFeature.DERIVED_TABLE,
    }
)
# The properties label_sql_complexity reads (the report's target needs exactly these).
SQL_COMPLEXITY_INPUTS = (
    "num_tables",
    "join_kind",
    *(
        feature_property(f)
        for f in (SqlFeature.CTE, SqlFeature.WINDOW, SqlFeature.SET_OPERATION, SqlFeature.AGGREGATE)
    ),
    *(feature_property(f) for f in sorted(_SUBQUERIES)),
)


def label_sql_complexity(features: set[SqlFeature], num_tables: int, joined: bool) -> str:
    if SqlFeature.CTE in features:
        return "CTEs"
    if SqlFeature.WINDOW in features:
        return "window functions"
    if SqlFeature.SET_OPERATION in features:
        return "set operations"
    if features & _SUBQUERIES:
        return "subqueries"
    if joined and num_tables >= 3:
        return "multiple_joins"
    if joined:
        return "single join"
    if SqlFeature.AGGREGATE in features:
        return "aggregation"
    return "basic SQL"


def label_values(values: Mapping[str, Value]) -> str:
    """The sql_complexity label of a (possibly partial) draw."""
    features = {f for f in SqlFeature if _flag(values, f)}
    tables = values.get("num_tables", 1)
    num_tables = tables if isinstance(tables, int) else 1
    joined = values.get("join_kind", NO_JOIN) != NO_JOIN
    return label_sql_complexity(features, num_tables, joined)


def build_blueprint(values: Mapping[str, Value]) -> Blueprint:
    """Map well-known properties onto typed fields; keep every sampled value in `properties`."""
    features = [f for f in SqlFeature if _flag(values, f)]
    join = values.get("join_kind", NO_JOIN)
    tables = values.get("num_tables", 1)
    num_tables = tables if isinstance(tables, int) else 1
    # Absent well-known properties keep the Blueprint's own defaults.
    typed: dict[str, Any] = {
        name: enum(str(values[name]))
        for name, enum in (
            ("task_type", TaskType),
            ("complexity", Complexity),
            ("prompt_style", PromptStyle),
        )
        if name in values
    }
    return Blueprint(
        domain=str(values[DOMAIN]),
        num_tables=num_tables,
        join_kind=None if join == NO_JOIN else JoinKind(str(join)),
        features=features,
        sql_complexity=label_sql_complexity(set(features), num_tables, join != NO_JOIN),
        properties=dict(values),
        **typed,
    )
