"""One pass over a parsed statement: tally every feature and abstract the structural pattern.

The walk is an explicit depth-first stack (no recursion, so a deeply nested query cannot hit
Python's recursion limit). Each stack entry carries the subquery depth and the CTE names visible
at that point, which is what "CTE names are not tables" and "nesting depth" need.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from proto.common import JoinKind
from shared.sql.feature_roles import (
    SubqueryRole,
    function_name,
    is_aggregate_call,
    join_condition,
    join_kind,
    query_role,
    set_operation_name,
)
from shared.sql.pattern import ListOwner, abstract_node

_FILTERS: tuple[type[exp.Expr], ...] = (exp.Where, exp.Having, exp.Qualify)
_CONNECTIVES: tuple[type[exp.Expr], ...] = (exp.And, exp.Or, exp.Xor)
_WRAPPERS: tuple[type[exp.Expr], ...] = (exp.Not, exp.Paren)
_VALUE_ROOTS: tuple[type[exp.Expr], ...] = (
    exp.Literal,
    exp.Boolean,
    exp.Placeholder,
    exp.Parameter,
)
_NO_NAMES: frozenset[str] = frozenset()


@dataclass(slots=True)
class FeatureTally:
    """Mutable totals over all statements of one SQL text."""

    tables: set[str] = field(default_factory=set)
    joins: Counter[JoinKind] = field(default_factory=Counter)
    functions: list[str] = field(default_factory=list)
    aggregates: list[str] = field(default_factory=list)
    subqueries: Counter[SubqueryRole] = field(default_factory=Counter)
    window_functions: int = 0
    ctes: int = 0
    set_operations: list[str] = field(default_factory=list)
    nesting_depth: int = 0
    predicates: int = 0
    group_by: bool = False
    having: bool = False
    order_by: bool = False
    limit: bool = False
    distinct: bool = False
    case: bool = False


def walk_statement(
    root: exp.Expr, tally: FeatureTally, owners: list[ListOwner] | None = None
) -> exp.Expr:
    """Measure `root` into `tally`; when `owners` is given, also abstract `root` in place for the
    structural pattern (see shared.sql.pattern) and return the abstracted root."""
    while isinstance(root, exp.Alias):
        root = root.this
    if owners is not None and isinstance(root, _VALUE_ROOTS):
        return exp.Placeholder()
    stack: list[tuple[exp.Expr, int, frozenset[str]]] = [(root, 0, _NO_NAMES)]
    while stack:
        node, depth, scope = stack.pop()
        depth = _measure(node, depth, scope, tally)
        children = abstract_node(node, owners) if owners is not None else None
        if children is not None:
            stack.extend((child, depth, scope) for child in children)
            continue
        with_ = node.args.get("with_")
        if isinstance(with_, exp.With):
            scope = _push_ctes(with_, depth, scope, stack, tally)
        for child in node.iter_expressions():
            if child is not with_:
                stack.append((child, depth, scope))
    return root


def _push_ctes(
    with_: exp.With,
    depth: int,
    scope: frozenset[str],
    stack: list[tuple[exp.Expr, int, frozenset[str]]],
    tally: FeatureTally,
) -> frozenset[str]:
    """Queue the CTE bodies, each seeing the CTEs defined before it (all of them under
    RECURSIVE), and return the names visible to the statement body."""
    ctes = [cte for cte in with_.expressions if isinstance(cte, exp.CTE)]
    names = [cte.alias_or_name.lower() for cte in ctes]
    tally.ctes += len(ctes)
    inner = scope | frozenset(names)
    recursive = bool(with_.args.get("recursive"))
    for index, cte in enumerate(ctes):
        visible = inner if recursive else scope | frozenset(names[:index])
        stack.append((cte, depth, visible))
    return inner


def _measure(node: exp.Expr, depth: int, scope: frozenset[str], tally: FeatureTally) -> int:
    """Count what `node` contributes; return the subquery depth of its children."""
    cls = type(node)
    try:
        handler = _HANDLERS[cls]
    except KeyError:
        handler = _HANDLERS[cls] = _pick_handler(cls)
    return depth if handler is None else handler(node, depth, scope, tally)


_Handler = Callable[[Any, int, frozenset[str], FeatureTally], int]
# Handler per node class, filled on first sight: a dict lookup beats an isinstance chain on
# every node of every query.
_HANDLERS: dict[type[exp.Expr], _Handler | None] = {}


def _pick_handler(cls: type[exp.Expr]) -> _Handler | None:
    if issubclass(cls, exp.Case):
        return _on_case
    if issubclass(cls, exp.Func):
        return _on_function
    if issubclass(cls, exp.Query):  # Select, set operations, Subquery
        return _on_query
    exact: dict[type[exp.Expr], _Handler] = {
        exp.Table: _on_table,
        exp.Join: _on_join,
        exp.Where: _on_filter,
        exp.Qualify: _on_filter,
        exp.Having: _on_having,
        exp.Window: _on_window,
        exp.Group: _on_group,
        exp.Order: _on_order,
        exp.Limit: _on_limit,
        exp.Fetch: _on_limit,
        exp.Distinct: _on_distinct,
    }
    return exact.get(cls)


def _on_case(node: exp.Case, depth: int, scope: frozenset[str], tally: FeatureTally) -> int:
    tally.case = True
    return depth


def _on_function(node: exp.Func, depth: int, scope: frozenset[str], tally: FeatureTally) -> int:
    name = function_name(node)
    if name is not None:
        tally.functions.append(name)
        if is_aggregate_call(node):
            tally.aggregates.append(name)
    return depth


def _on_table(node: exp.Table, depth: int, scope: frozenset[str], tally: FeatureTally) -> int:
    this = node.this
    # A table function such as generate_series(...) has no name to count.
    if isinstance(this, exp.Identifier):
        name = this.name.lower()
        # An unqualified name that a WITH in scope defines is a CTE, not a base table.
        if name not in scope or node.args.get("db"):
            tally.tables.add(name)
    return depth


def _on_join(node: exp.Join, depth: int, scope: frozenset[str], tally: FeatureTally) -> int:
    tally.joins[join_kind(node)] += 1
    tally.predicates += count_predicates(join_condition(node))
    tally.predicates += len(node.args.get("using") or ())
    return depth


def _on_filter(node: exp.Expr, depth: int, scope: frozenset[str], tally: FeatureTally) -> int:
    tally.predicates += count_predicates(node.this)
    return depth


def _on_having(node: exp.Having, depth: int, scope: frozenset[str], tally: FeatureTally) -> int:
    tally.having = True
    return _on_filter(node, depth, scope, tally)


def _on_window(node: exp.Window, depth: int, scope: frozenset[str], tally: FeatureTally) -> int:
    if node.arg_key != "windows":  # WINDOW w AS (...) defines a window, OVER uses one
        tally.window_functions += 1
    return depth


def _on_group(node: exp.Group, depth: int, scope: frozenset[str], tally: FeatureTally) -> int:
    tally.group_by = True
    return depth


def _on_order(node: exp.Order, depth: int, scope: frozenset[str], tally: FeatureTally) -> int:
    # A query's ORDER BY; not the one inside OVER (...) or GROUP_CONCAT(... ORDER BY ...).
    if node.arg_key == "order" and not isinstance(node.parent, exp.Window):
        tally.order_by = True
    return depth


def _on_limit(node: exp.Expr, depth: int, scope: frozenset[str], tally: FeatureTally) -> int:
    tally.limit = True
    return depth


def _on_distinct(node: exp.Distinct, depth: int, scope: frozenset[str], tally: FeatureTally) -> int:
    tally.distinct = True
    return depth


def _on_query(node: exp.Query, depth: int, scope: frozenset[str], tally: FeatureTally) -> int:
    if isinstance(node, exp.SetOperation):
        tally.set_operations.append(set_operation_name(node))
    role = query_role(node)
    if role is None:
        return depth
    tally.subqueries[role] += 1
    depth += 1
    tally.nesting_depth = max(tally.nesting_depth, depth)
    return depth


def count_predicates(condition: exp.Expr | None) -> int:
    """Atomic conditions of a boolean expression: AND/OR/XOR, NOT and parentheses only combine;
    everything else (a comparison, LIKE, IN, BETWEEN, IS, EXISTS, a bare column) counts one."""
    if condition is None:
        return 0
    count = 0
    stack = [condition]
    while stack:
        node = stack.pop()
        if isinstance(node, _CONNECTIVES):
            stack.append(node.this)
            stack.append(node.expression)
        elif isinstance(node, _WRAPPERS):
            stack.append(node.this)
        else:
            count += 1
    return count
