"""The subqueries `describe_query` can say: EXISTS / NOT EXISTS over the rows that reference the
outer row ("that have no trips"), and a comparison with an aggregate over all of a table's rows
("with mileage above the average of all vans"); any other shape is `Unsaid`."""

from __future__ import annotations

from typing import Protocol

from sqlglot import exp

from shared.evolution.context import EvolveContext
from shared.evolution.names import Names
from shared.generation.template.words import Agg, Filter, Op, ValueKind


class Unsaid(Exception):
    """A part of the query this reader cannot put into words (the caller gets None)."""


AGGS: dict[type[exp.Expr], tuple[Agg, str]] = {
    exp.Sum: (Agg.TOTAL, "total"),
    exp.Avg: (Agg.AVERAGE, "average"),
    exp.Max: (Agg.HIGHEST, "highest"),
    exp.Min: (Agg.LOWEST, "lowest"),
}
DATED = {Agg.HIGHEST: (Agg.LATEST, "latest"), Agg.LOWEST: (Agg.EARLIEST, "earliest")}


class Reader(Protocol):
    @property
    def ctx(self) -> EvolveContext: ...

    @property
    def subject(self) -> str: ...

    @property
    def names(self) -> Names: ...

    def column(self, node: exp.Expr) -> tuple[str, str]: ...

    def label(self, node: exp.Expr) -> str: ...

    def value_kind(self, node: exp.Expr) -> ValueKind: ...


def related_rows(reader: Reader, inner: exp.Expr) -> str:
    """The rows an EXISTS looks for: one table linked to the outer row by its foreign key
    and nothing else (`EXISTS (SELECT 1 FROM c WHERE c.fk = outer.key)`)."""
    source = inner.args.get("from_") if isinstance(inner, exp.Select) else None
    table = source.this if source is not None else None
    where = inner.args.get("where") if isinstance(inner, exp.Select) else None
    link = where.this if where is not None else None
    if not isinstance(table, exp.Table) or inner.args.get("joins") or not isinstance(link, exp.EQ):
        raise Unsaid("an EXISTS other than a plain link")
    child, own = table.name.lower(), {table.alias_or_name, table.name}
    sides = [link.this, link.expression]
    if not all(isinstance(c, exp.Column) for c in sides):
        raise Unsaid("an EXISTS link that is not two columns")
    inside = [c for c in sides if c.table in own]
    outside = [c for c in sides if c.table not in own]
    if len(inside) != 1 or len(outside) != 1:
        raise Unsaid("an EXISTS link that is not across")
    parent, key = reader.column(outside[0])
    if parent != reader.subject:
        # The realizer says a HAS filter of the subject's rows ("departments that have
        # enrollments"); linked to a joined table's row it would name the wrong rows.
        raise Unsaid("an EXISTS on a joined table's rows")
    keys = {tuple(fk[:4]) for fk in reader.ctx.info.facts.foreign_keys}
    linked = (child, inside[0].name.lower(), parent, key) in keys
    if not linked and (keys or not reader.ctx.info.is_primary_key(parent, key)):
        raise Unsaid("an EXISTS link not along a foreign key")
    return reader.names.many(child)


def versus_aggregate(reader: Reader, node: exp.Expr, op: Op) -> Filter:
    """`col > (SELECT AVG(col) FROM t)`: compared with an aggregate over all of t's rows."""
    inner = node.expression.this
    if not isinstance(inner, exp.Select) or len(inner.expressions) != 1:
        raise Unsaid("a scalar subquery of another shape")
    if inner.args.get("where") or inner.args.get("joins") or inner.args.get("group"):
        raise Unsaid("a scalar subquery over some rows")
    source = inner.args.get("from_")
    table = source.this if source is not None else None
    first = inner.expressions[0]
    agg = first.this if isinstance(first, exp.Alias) else first
    agg = agg.this if isinstance(agg, exp.Round) else agg
    found = AGGS.get(type(agg))
    if not isinstance(table, exp.Table) or found is None:
        raise Unsaid("a scalar subquery of another shape")
    column = agg.this
    if not isinstance(column, exp.Column) or column.name.lower() != reader.column(node.this)[1]:
        raise Unsaid("compared with an aggregate of another column")
    symbol = {Op.GT: ">", Op.LT: "<", Op.GE: ">=", Op.LE: "<=", Op.EQ: "="}.get(op)
    if symbol is None:
        raise Unsaid("compared with an aggregate by <>")
    agg_kind, word = found
    if reader.value_kind(node.this) is ValueKind.DATE and agg_kind in DATED:
        word = DATED[agg_kind][1]
    related = reader.names.many(table.name.lower())
    return Filter(Op.VS_AGG, reader.label(node.this), (symbol, word), related=related)
