"""Nesting evolution (Eq. 7) and set composition (Eq. 8, or EXISTS / NOT EXISTS).

Nesting replaces a value with a query: a column compared with its own average over the table
(a scalar subquery), or a grouped query moved into a CTE whose groups are compared with the
groups' average. Set composition keeps rows that have (or lack) a referencing row, EXISTS /
NOT EXISTS along a foreign key, or removes a filtered copy of the rows with EXCEPT.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from sqlglot import exp

from shared.evolution.build import (
    aliased_table,
    column,
    compare,
    fresh_alias,
    literal,
    sources_of,
    where_columns,
)
from shared.evolution.context import EvolveContext, Kind, QueryView, singular, words
from shared.evolution.model import Change, ChangeKind, Evolution, Operator
from shared.evolution.ops_clause import filter_values

CTE_NAME = "grouped"


def feasible_nest(view: QueryView, ctx: EvolveContext) -> float:
    if view.select is None:
        return 0.0
    if _cte_ready(view, ctx):
        return 1.0
    return 0.8 if sources_of(view, ctx, Kind.NUMBER) else 0.0


def propose_nest(view: QueryView, ctx: EvolveContext, rng: random.Random) -> Iterator[Evolution]:
    if view.select is None:
        return
    if _cte_ready(view, ctx) and rng.random() < 0.6:
        yield from _cte(view, ctx)
    numbers = sources_of(view, ctx, Kind.NUMBER)
    rng.shuffle(numbers)
    for alias, table, name in numbers[:4]:
        for op in rng.sample(("gt", "lt"), 2):
            tree = view.tree.copy()
            inner_alias = fresh_alias(tree, table)
            average = exp.select(exp.func("AVG", column(inner_alias, name))).from_(
                aliased_table(table, inner_alias)
            )
            tree.where(compare(op, column(alias, name), exp.Subquery(this=average)), copy=False)
            label = view.label(table, name)
            change = Change(ChangeKind.ABOVE_AVERAGE, label=label, noun=words(table), op=op)
            yield Evolution(tree.sql(dialect="sqlite"), Operator.NEST, change)
    if _cte_ready(view, ctx):
        yield from _cte(view, ctx)


def _outputs(select: exp.Select) -> list[str] | None:
    names = [p.alias_or_name for p in select.expressions]
    if any(not n or n == "*" for n in names) or len(set(names)) != len(names):
        return None
    return names


def _numeric_metrics(view: QueryView, ctx: EvolveContext) -> list[str]:
    """The aliases of the SELECT's aggregates whose value is a number. AVG over the groups'
    metric is taken on every engine: PostgreSQL has no AVG(date) (session 10 lost a MAX(start
    date) compared with its average), and an average of text says nothing."""
    select = view.select
    if select is None:
        return []
    return [
        p.alias
        for p in select.expressions
        if isinstance(p, exp.Alias) and p.find(exp.AggFunc) and _is_number(p.this, view, ctx)
    ]


def _is_number(value: exp.Expr, view: QueryView, ctx: EvolveContext) -> bool:
    agg = value.find(exp.AggFunc)
    if agg is None:
        return False
    if isinstance(agg, exp.Count):
        return True
    # MIN / MAX / SUM / AVG keep their argument's type: every column in it must be a number.
    named = list(agg.find_all(exp.Column))
    return bool(named) and all(_column_kind(c, view, ctx) is Kind.NUMBER for c in named)


def _column_kind(col: exp.Column, view: QueryView, ctx: EvolveContext) -> Kind | None:
    if col.table:
        table = view.sources.get(col.table)
        return ctx.kind(table, col.name) if table is not None else None
    kinds = {ctx.kind(t, col.name) for t in view.sources.values() if col.name in ctx.columns(t)}
    return kinds.pop() if len(kinds) == 1 else None


def _cte_ready(view: QueryView, ctx: EvolveContext) -> bool:
    select = view.select
    if select is None or not view.grouped or select.args.get("limit") or select.args.get("with_"):
        return False
    if _outputs(select) is None:
        return False
    return bool(_numeric_metrics(view, ctx))


def _cte(view: QueryView, ctx: EvolveContext) -> Iterator[Evolution]:
    """WITH grouped AS (the query) SELECT * FROM grouped WHERE metric > (its average)."""
    select = view.select
    assert select is not None
    names = _outputs(select) or []
    inner = select.copy()
    order = inner.args.get("order")
    inner.set("order", None)
    ordered: list[exp.Ordered] = []
    for term in order.expressions if order is not None else []:
        match = [
            n
            for p, n in zip(select.expressions, names, strict=True)
            if p.unalias() == term.this or (isinstance(p, exp.Column) and p == term.this)
        ]
        if not match:
            return  # an ORDER BY term the outer query cannot name: the order would be lost
        # The term itself, renamed: a new Ordered would lose its NULLS placement, which
        # sqlglot then spells out (NULLS LAST) in a form MySQL does not parse.
        renamed = term.copy()
        renamed.set("this", exp.column(match[0]))
        ordered.append(renamed)
    for metric in _numeric_metrics(view, ctx):
        average = exp.select(exp.func("AVG", exp.column(metric))).from_(CTE_NAME)
        outer = (
            exp.select("*")
            .from_(CTE_NAME)
            .where(exp.GT(this=exp.column(metric), expression=exp.Subquery(this=average)))
            .with_(CTE_NAME, as_=inner)
        )
        if ordered:
            outer = outer.order_by(*ordered)
        change = Change(ChangeKind.CTE_ABOVE_AVERAGE, label=words(metric))
        yield Evolution(outer.sql(dialect="sqlite"), Operator.NEST, change)


def _child_links(view: QueryView, ctx: EvolveContext) -> list[tuple[str, str, str, str, str]]:
    """(alias, table, child table, child column, key) for tables referencing a FROM table."""
    return [
        (alias, table, child, fk, key)
        for alias, table in view.sources.items()
        for child, fk, key in ctx.children_of(table)
        if child != table
    ]


def feasible_set(view: QueryView, ctx: EvolveContext) -> float:
    if view.select is None:
        return 0.0
    if _child_links(view, ctx):
        return 1.0
    return 0.5 if _except_ready(view) and sources_of(view, ctx, Kind.TEXT, Kind.NUMBER) else 0.0


def propose_set(view: QueryView, ctx: EvolveContext, rng: random.Random) -> Iterator[Evolution]:
    links = _child_links(view, ctx)
    rng.shuffle(links)
    for alias, _table, child, fk, key in links[:3]:
        for negated in rng.sample((False, True), 2):
            tree = view.tree.copy()
            inner_alias = fresh_alias(tree, child)
            probe = (
                exp.select(exp.Literal.number(1))
                .from_(aliased_table(child, inner_alias))
                .where(exp.EQ(this=column(inner_alias, fk), expression=column(alias, key)))
            )
            exists: exp.Expr = exp.Exists(this=probe)
            tree.where(exp.Not(this=exists) if negated else exists, copy=False)
            change = Change(
                ChangeKind.EXISTS_CHILD,
                noun=words(view.sources[alias]),
                label=singular(words(child)),
                negated=negated,
            )
            yield Evolution(tree.sql(dialect="sqlite"), Operator.SET, change)
    if _except_ready(view):
        yield from _except(view, ctx, rng)


def _except_ready(view: QueryView) -> bool:
    select = view.select
    return (
        select is not None
        and not view.aggregated
        and not select.args.get("order")
        and not select.args.get("limit")
        and not select.args.get("with_")
        # A window's value depends on the rows around it: the filtered copy's RANK differs,
        # so EXCEPT would keep rows it should remove.
        and select.find(exp.Window) is None
    )


def _except(view: QueryView, ctx: EvolveContext, rng: random.Random) -> Iterator[Evolution]:
    select = view.select
    assert select is not None
    used = where_columns(select)
    free = [s for s in sources_of(view, ctx, Kind.TEXT, Kind.NUMBER) if s[2] not in used]
    rng.shuffle(free)
    for alias, table, name in free[:3]:
        for op, value in filter_values(ctx, table, name, rng):
            right = select.copy().where(compare(op, column(alias, name), literal(value)))
            tree = exp.Except(this=select.copy(), expression=right, distinct=True)
            change = Change(
                ChangeKind.EXCEPT_FILTER,
                label=view.label(table, name),
                op=op,
                values=(value,),
                is_text=ctx.kind(table, name) is Kind.TEXT,
            )
            yield Evolution(tree.sql(dialect="sqlite"), Operator.SET, change)
