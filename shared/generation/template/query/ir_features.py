"""The SqlFeatures, tables and join kinds of a query tree, read off the tree itself.

Mirrors the rules of the SQL feature extractor (`shared.sql.features`, docs/features.md) on the
builder's own tree, so the engine can check a draft against its blueprint in microseconds
instead of parsing SQL; the tests hold the two to agreement.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from proto.common import JoinKind, SqlFeature
from shared.generation.template.evaluation.eval_types import children
from shared.generation.template.sql import ir

F = SqlFeature


@dataclass
class TreeFacts:
    features: set[SqlFeature] = field(default_factory=set)
    tables: set[str] = field(default_factory=set)
    joins: Counter[JoinKind] = field(default_factory=Counter)


def tree_facts(statement: ir.Statement) -> TreeFacts:
    facts = TreeFacts()
    if isinstance(statement, ir.Query):
        _query(statement, facts, set())
    elif isinstance(statement, ir.Insert):
        facts.tables.add(statement.table)
        if statement.query is not None:
            _query(statement.query, facts, set())
        for value in statement.values:
            _expr(value, facts, set())
    else:
        facts.tables.add(statement.table)
        if isinstance(statement, ir.Update):
            for _, value in statement.sets:
                _expr(value, facts, set())
        if statement.where is not None:
            _expr(statement.where, facts, set())
    return facts


def expr_features(node: ir.Expr) -> set[SqlFeature]:
    facts = TreeFacts()
    _expr(node, facts, set())
    return facts.features


def _query(query: ir.Query, facts: TreeFacts, ctes: set[str]) -> None:
    visible = set(ctes)
    if query.ctes:
        facts.features.add(F.CTE)
    for cte in query.ctes:
        _query(cte.query, facts, visible)
        visible.add(cte.name)
    _body(query.body, facts, visible)


def _body(body: ir.Body, facts: TreeFacts, ctes: set[str]) -> None:
    if isinstance(body, ir.SetOp):
        facts.features.add(F.SET_OPERATION)
        if body.order_by:
            facts.features.add(F.ORDER_BY)
        if body.limit is not None:
            facts.features.add(F.LIMIT)
        _body(body.left, facts, ctes)
        _body(body.right, facts, ctes)
        return
    for src in [body.source, *(j.source for j in body.joins)]:
        _source(src, facts, ctes)
    for join in body.joins:
        facts.joins[join.kind] += 1
    if body.distinct:
        facts.features.add(F.DISTINCT)
    if body.group_by:
        facts.features.add(F.GROUP_BY)
    if body.having is not None:
        facts.features.add(F.HAVING)
    if body.order_by:
        facts.features.add(F.ORDER_BY)
    if body.limit is not None:
        facts.features.add(F.LIMIT)
    for node in _select_exprs(body):
        _expr(node, facts, ctes)


def _select_exprs(sel: ir.Select) -> Iterator[ir.Expr]:
    yield from (i.expr for i in sel.items)
    yield from (j.on for j in sel.joins if j.on is not None)
    yield from (e for e in (sel.where, sel.having) if e is not None)
    yield from sel.group_by
    yield from (o.expr for o in sel.order_by)


def _source(src: ir.Source, facts: TreeFacts, ctes: set[str]) -> None:
    if isinstance(src, ir.TableRef):
        facts.tables.add(src.table)
    elif isinstance(src, ir.CteRef):
        if src.name not in ctes:
            facts.tables.add(src.name)
    else:
        facts.features.add(F.DERIVED_TABLE)
        _query(src.query, facts, ctes)


def _expr(node: ir.Expr, facts: TreeFacts, ctes: set[str]) -> None:
    if isinstance(node, ir.Agg):
        facts.features.add(F.AGGREGATE)
        if node.distinct:
            facts.features.add(F.DISTINCT)
    elif isinstance(node, ir.Win):
        facts.features.add(F.WINDOW)
        _window(node, facts, ctes)
        return
    elif isinstance(node, ir.Case):
        facts.features.add(F.CASE)
    elif isinstance(node, ir.ScalarSub):
        facts.features.add(F.SCALAR_SUBQUERY)
        _query(node.query, facts, ctes)
    elif isinstance(node, ir.InSub):
        facts.features.add(F.IN_SUBQUERY)
        _query(node.query, facts, ctes)
    elif isinstance(node, ir.Exists):
        facts.features.add(F.EXISTS_SUBQUERY)
        _query(node.query, facts, ctes)
    for child in children(node):
        _expr(child, facts, ctes)


def _window(node: ir.Win, facts: TreeFacts, ctes: set[str]) -> None:
    # An aggregate used as a window function is not a grouping aggregate; its argument and
    # the window's own expressions still count.
    for child in children(node):
        _expr(child, facts, ctes)
