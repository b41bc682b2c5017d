"""Every condition of a finished SELECT changes its result (issue 13: "every predicate is
witnessed by the fixture").

The core level drops filters that change none of its own rows (`tidy.drop_idle_filters`), but
what the question gets is the finished statement: a LIMIT keeps the same first rows with or
without a filter ("the first 5 students by name with department budget between ..."), an outer
level or a set operation's other branch can hide one. Each WHERE and HAVING conjunct of every
level is removed in turn and the statement run again, as the sense check
unwitnessed_predicate does on the engines.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import replace

from shared.generation.template.evaluation.evaluate import run_query
from shared.generation.template.instance.rowstore import RowStore
from shared.generation.template.sql import ir

# (index of the SELECT in walk order, clause, index of the conjunct)
Spot = tuple[int, str, int]


def unwitnessed_condition(store: RowStore, query: ir.Query) -> ir.Expr | None:
    """A WHERE or HAVING conjunct whose removal leaves the statement's rows as they are, or
    None when every one of them matters."""
    full = _bag(store, query)
    for spot, pred in _spots(query):
        if _bag(store, _without(query, spot)) == full:
            return pred
    return None


def has_empty_branch(store: RowStore, query: ir.Query) -> bool:
    """Whether a branch of the top set operation returns no rows ("either with X or with Y"
    where no row has Y: the sense check empty_set_branch)."""
    branches: list[ir.Select] = []
    body = query.body
    while isinstance(body, ir.SetOp):
        branches.append(body.right)
        body = body.left
    if not branches:
        return False
    branches.append(body)
    return any(not run_query(store, ir.Query(b, query.ctes), None, None, {}).rows for b in branches)


def _bag(store: RowStore, query: ir.Query) -> Counter[tuple[object, ...]]:
    return Counter(tuple(r) for r in run_query(store, query, None, None, {}).rows)


def _spots(query: ir.Query) -> list[tuple[Spot, ir.Expr]]:
    found: list[tuple[Spot, ir.Expr]] = []

    def visit(select: ir.Select, index: int) -> ir.Select:
        for clause in ("where", "having"):
            for i, pred in enumerate(ir.predicates_of(getattr(select, clause))):
                found.append(((index, clause, i), pred))
        return select

    _map_selects(query, visit)
    return found


def _without(query: ir.Query, spot: Spot) -> ir.Query:
    at, clause, drop = spot

    def visit(select: ir.Select, index: int) -> ir.Select:
        if index != at:
            return select
        kept = [p for i, p in enumerate(ir.predicates_of(getattr(select, clause))) if i != drop]
        if clause == "where":
            return replace(select, where=ir.conjoin(kept))
        return replace(select, having=ir.conjoin(kept))

    return _map_selects(query, visit)


def _map_selects(query: ir.Query, visit: Callable[[ir.Select, int], ir.Select]) -> ir.Query:
    """The query with `visit` applied to each SELECT of its levels (CTEs, set-operation
    branches, derived tables; not the subqueries inside conditions), numbered in walk order."""
    counter = [0]

    def on_query(q: ir.Query) -> ir.Query:
        ctes = tuple(replace(c, query=on_query(c.query)) for c in q.ctes)
        return replace(q, ctes=ctes, body=on_body(q.body))

    def on_body(body: ir.Body) -> ir.Body:
        if isinstance(body, ir.SetOp):
            left = on_body(body.left)
            right = on_body(body.right)
            assert isinstance(left, ir.Select | ir.SetOp) and isinstance(right, ir.Select)
            return replace(body, left=left, right=right)
        index = counter[0]
        counter[0] += 1
        source = body.source
        if isinstance(source, ir.Derived):
            source = replace(source, query=on_query(source.query))
        joins = tuple(
            replace(j, source=replace(j.source, query=on_query(j.source.query)))
            if isinstance(j.source, ir.Derived)
            else j
            for j in body.joins
        )
        return visit(replace(body, source=source, joins=joins), index)

    return on_query(query)
