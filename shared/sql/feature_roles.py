"""What one sqlglot node means for the features: join kind, subquery role, function name.

Each rule here is written down in docs/features.md; the walker and the structural pattern both
use these, so the measured features and the pattern never disagree on, say, a comma join.
"""

from __future__ import annotations

from typing import Literal

from sqlglot import exp

from proto.common import JoinKind

SubqueryRole = Literal["scalar", "in", "exists", "derived"]
SUBQUERY_ROLES: tuple[SubqueryRole, ...] = ("scalar", "in", "exists", "derived")
SET_OPERATIONS = ("union", "union_all", "intersect", "except")

# sqlglot models these as Func subclasses, but they are syntax, not function calls.
_NOT_CALLS: tuple[type[exp.Expr], ...] = (exp.Connector, exp.Case, exp.Exists, exp.Collate)
# Aggregates sqlglot does not know as such (they parse as Anonymous) in our three dialects.
_ANONYMOUS_AGGREGATES = frozenset(
    {"total", "every", "bit_and", "bit_or", "bit_xor", "json_group_object", "listagg"}
)
# sqlglot-internal names nobody writes, mapped to the name people use.
_NAME_OVERRIDES = {"exploding_generate_series": "generate_series"}
# Wrappers that may sit between a function and its OVER clause.
_WINDOW_WRAPPERS: tuple[type[exp.Expr], ...] = (exp.Filter, exp.IgnoreNulls, exp.RespectNulls)
# Clauses in which a subquery is a table source, not a value.
_TABLE_SOURCES: tuple[type[exp.Expr], ...] = (exp.From, exp.Join, exp.Lateral)
# Statements whose query part is their body, not a subquery (INSERT ... SELECT, CREATE ... AS).
_QUERY_OWNERS: tuple[type[exp.Expr], ...] = (exp.Insert, exp.Create, exp.CTE, exp.Subquery)


def join_kind(join: exp.Join) -> JoinKind:
    """Classify a join by its keywords.

    LEFT/RIGHT/FULL win; CROSS is cross; NATURAL, INNER, STRAIGHT_JOIN or any ON/USING is inner;
    what remains (a comma join, a bare JOIN without a condition) is a cross product.
    """
    side = join.side
    if side in ("LEFT", "RIGHT", "FULL"):
        return JoinKind(side.lower())
    kind = join.kind
    if kind == "CROSS":
        return JoinKind.CROSS
    if (
        join.method == "NATURAL"
        or kind in ("INNER", "OUTER", "STRAIGHT_JOIN", "SEMI", "ANTI")
        or join_condition(join) is not None
        or join.args.get("using")
    ):
        return JoinKind.INNER
    return JoinKind.CROSS


def join_condition(join: exp.Join) -> exp.Expr | None:
    """The ON condition, or None when there is none or it is the constant TRUE.

    sqlglot's SQLite reader adds ON TRUE to a bare JOIN, and cannot tell it from a written one;
    either way ON TRUE filters nothing, so it is treated as no condition at all.
    """
    condition: exp.Expr | None = join.args.get("on")
    if condition is None or (isinstance(condition, exp.Boolean) and condition.this is True):
        return None
    return condition


def query_role(node: exp.Expr) -> SubqueryRole | None:
    """The role of a Subquery (or a bare query under EXISTS/IN/ANY/ALL); None if not a subquery.

    Parenthesised set-operation branches, CTE bodies, INSERT ... SELECT and CREATE ... AS bodies
    are parts of their statement, not subqueries.
    """
    parent = node.parent
    if parent is None:
        return None
    if isinstance(node, exp.Subquery):
        if isinstance(parent, exp.SetOperation) and node.arg_key in ("this", "expression"):
            return None
        if isinstance(parent, _QUERY_OWNERS):
            return None
        if isinstance(parent, _TABLE_SOURCES) and node.arg_key == "this":
            return "derived"
        return _predicate_role(parent, node.arg_key) or "scalar"
    if isinstance(node, exp.Query):
        return _predicate_role(parent, node.arg_key)
    return None


def _predicate_role(parent: exp.Expr, arg_key: str | None) -> SubqueryRole | None:
    if isinstance(parent, exp.Exists):
        return "exists"
    # x op ANY/SOME/ALL (subquery) compares with a set, as IN (which is = ANY) does.
    if isinstance(parent, exp.Any | exp.All):
        return "in"
    if isinstance(parent, exp.In) and arg_key == "query":
        return "in"
    return None


def function_name(node: exp.Func) -> str | None:
    """Canonical lowercase name of a function call, or None when the node is not a call.

    Names are sqlglot's canonical ones, so dialect spellings meet (SUBSTR and SUBSTRING are both
    "substring"); unknown functions keep the name as written.
    """
    if isinstance(node, _NOT_CALLS):
        return None
    if isinstance(node, exp.If) and node.arg_key == "ifs":
        return None  # a WHEN branch of CASE
    if is_helper(node):
        return None
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    name = node.sql_name().lower()
    return _NAME_OVERRIDES.get(name, name)


def is_helper(node: exp.Expr) -> bool:
    """Nodes sqlglot inserts when it normalizes date functions (MySQL YEAR(x) becomes
    YEAR(TS_OR_DS_TO_DATE(x))); the user never wrote them, and they carry no source position."""
    if not isinstance(node, exp.Func) or "start" in node.meta:
        return False
    if type(node).__name__.startswith("TsOrDs"):
        return True
    parent = node.parent
    return (
        isinstance(node, exp.Cast)
        and parent is not None
        and type(parent).__name__.startswith("TsOrDs")
        and "start" not in parent.meta
    )


def is_aggregate_call(node: exp.Func) -> bool:
    """A grouping aggregate: an aggregate function not used as a window function."""
    if isinstance(node, exp.AggFunc):
        if isinstance(node, exp.Max | exp.Min) and node.args.get("expressions"):
            return False  # SQLite's two-argument MAX(a, b) is a scalar function
    elif not (isinstance(node, exp.Anonymous) and node.name.lower() in _ANONYMOUS_AGGREGATES):
        return False
    parent = node.parent
    while isinstance(parent, _WINDOW_WRAPPERS):
        parent = parent.parent
    return not isinstance(parent, exp.Window)


def set_operation_name(node: exp.SetOperation) -> str:
    """union / union_all / intersect / except; INTERSECT ALL and EXCEPT ALL keep the bare name."""
    if isinstance(node, exp.Union):
        return "union" if node.args.get("distinct") else "union_all"
    if isinstance(node, exp.Intersect):
        return "intersect"
    return "except"


def statement_type(node: exp.Expr) -> str:
    """Lowercase statement keyword: select (queries and set operations), insert, update, ..."""
    while isinstance(node, exp.Subquery) and node.this is not None:
        node = node.this
    if isinstance(node, exp.Query):
        return "select"
    if isinstance(node, exp.Command):
        return str(node.this).split()[0].lower() if node.this else "command"
    return _STATEMENT_KEYS.get(type(node), node.key)


_STATEMENT_KEYS: dict[type[exp.Expr], str] = {
    exp.Values: "values",
    exp.Transaction: "begin",
    exp.TruncateTable: "truncate",
}
