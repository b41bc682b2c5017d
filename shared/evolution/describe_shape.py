"""The query's shape as `describe_query` says it: the ranking (ORDER BY, LIMIT) and the parts
no question of the realizer can say (a CTE, a subquery outside a WHERE condition, CASE)."""

from __future__ import annotations

from sqlglot import exp

from shared.evolution.context import Kind
from shared.evolution.describe_reader import TreeReader, literal
from shared.evolution.describe_sub import Unsaid
from shared.generation.template.words import Agg, Intent, Measure, Ranking


def order_of(
    reader: TreeReader, select: exp.Select, measures: dict[str, Measure], intent: Intent
) -> Ranking | None:
    order = select.args.get("order")
    if order is None:
        return None
    first = order.expressions[0]
    node = first.this
    aliases = {p.alias: p.this for p in select.expressions if isinstance(p, exp.Alias)}
    if isinstance(node, exp.Column) and not node.table and node.name in aliases:
        node = aliases[node.name]
    limit = limit_of(select)
    descending = bool(first.args.get("desc"))
    if isinstance(node, exp.AggFunc | exp.Round):
        found = reader.measure(node)
        counted = found.label.removeprefix("number of ") if found.agg is Agg.COUNT else ""
        measures.setdefault(found.label, found)
        return Ranking(by=found.label, descending=descending, counted=counted, limit=limit)
    table, name = reader.column(node)
    kind = reader.ctx.kind(table, name)
    if kind is Kind.KEY and intent is not Intent.LIST:
        raise Unsaid("groups sorted by a key")
    return Ranking(
        by=reader.label(node),
        descending=descending,
        textual=kind in (Kind.TEXT, Kind.KEY) or intent is Intent.BREAKDOWN,
        dated=kind is Kind.DATE,
        limit=limit,
    )


def limit_of(select: exp.Select) -> int | None:
    limit = select.args.get("limit")
    if limit is None:
        return None
    found = literal(limit.expression)
    if not isinstance(found, int) or select.args.get("offset") is not None:
        raise Unsaid("limit")
    return found


def _projected(node: exp.Expr, select: exp.Select) -> bool:
    owner = node.parent
    return owner is select or (isinstance(owner, exp.Alias) and owner.parent is select)


def _filtering(node: exp.Expr, select: exp.Select) -> bool:
    """An EXISTS or scalar subquery that is (part of) one of the outer WHERE's conditions."""
    if not isinstance(node, exp.Exists | exp.Subquery):
        return False
    where = node.find_ancestor(exp.Where, exp.Select)
    return isinstance(where, exp.Where) and where.parent is select


def reject_unsaid(select: exp.Select) -> None:
    if select.args.get("with_") or select.args.get("with"):
        raise Unsaid("a CTE")
    for node in select.walk(prune=lambda n: _filtering(n, select)):
        if _filtering(node, select):
            continue  # a subquery in a WHERE condition: `condition` reads its shape or refuses
        if isinstance(node, exp.Window) and _projected(node, select):
            continue  # a window in the SELECT list is said as an extra column
        if isinstance(node, exp.Window | exp.Subquery | exp.Case | exp.Exists | exp.Union):
            raise Unsaid(type(node).__name__)
        if isinstance(node, exp.Select) and node is not select:
            raise Unsaid("a subquery")
