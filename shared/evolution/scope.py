"""Filter scope in aggregates over a LEFT JOIN: a condition an evolution adds to the outer
WHERE on the optional side of a LEFT JOIN (or on a table joined through it) also drops every
parent row without a matching child, so it narrows more than the measure it is worded for.

Session 9's reading: "counting only rooms with max occupancy above the average" where the WHERE
also narrowed the hotels counted beside the rooms (COUNT(DISTINCT h.id)), and "counting only
prescription fills filled between ..." per prescription class, where classes with no such fill
vanished instead of showing 0 as the parent's LEFT JOIN meant them to. The words say the
condition scopes one count; the SQL scopes the whole query. Such a candidate is refused.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from shared.evolution.build import where_conjuncts
from shared.evolution.context import view_query
from shared.evolution.operand import operand_of


def optional_aliases(select: exp.Select) -> set[str]:
    """Aliases on the optional side of the outer SELECT's LEFT JOINs, and those joined through
    them (their rows exist only where the optional row does)."""
    optional: set[str] = set()
    for join in select.args.get("joins") or []:
        alias = join.alias_or_name
        side = (join.side or "").upper()
        on = join.args.get("on")
        through = on is not None and any(c.table in optional for c in on.find_all(exp.Column))
        if side in {"LEFT", "FULL"} or through:
            optional.add(alias)
    return optional


def _outer_columns(node: exp.Expr) -> set[str]:
    """Table qualifiers of the columns a condition reads outside its own subqueries."""
    return {c.table for c in node.find_all(exp.Column) if not _inside_subquery(c, node)}


def _inside_subquery(column: exp.Column, root: exp.Expr) -> bool:
    node: exp.Expr | None = column.parent
    while node is not None and node is not root:
        if isinstance(node, exp.Subquery | exp.Select):
            return True
        node = node.parent
    return False


def narrows_optional_side(parent_sql: str, sql: str) -> bool:
    """The candidate aggregates, and a WHERE condition or an INNER JOIN its parent does not
    have reads a table on the optional side of a LEFT JOIN."""
    try:
        tree = sqlglot.parse_one(sql, read="sqlite")
        before = sqlglot.parse_one(parent_sql, read="sqlite")
    except sqlglot.errors.SqlglotError:
        return False
    view = view_query(tree)
    # A summary CTE's body is what the operators changed (shared.evolution.operand).
    view = operand_of(view).view if view is not None else None
    if view is None or view.select is None or not view.aggregated:
        return False
    optional = optional_aliases(view.select)
    if not optional:
        return False
    parent_view = view_query(before)
    parent_view = operand_of(parent_view).view if parent_view is not None else None
    parent_select = parent_view.select if parent_view is not None else None
    known = (
        {c.sql() for c in where_conjuncts(parent_select)} if parent_select is not None else set()
    )
    for condition in where_conjuncts(view.select):
        if condition.sql() not in known and _outer_columns(condition) & optional:
            return True
    joined = {
        j.alias_or_name for j in (parent_select.args.get("joins") if parent_select else None) or []
    }
    # A new INNER JOIN through the optional side drops the unmatched parent rows the same way.
    return any(
        j.alias_or_name not in joined and j.alias_or_name in optional and not j.side
        for j in view.select.args.get("joins") or []
    )
