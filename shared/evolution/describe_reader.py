"""Reading a SELECT's parts into the realizer's typed words: columns into labels, aggregates
into measures, WHERE conditions into filters, windows into extra columns (`describe_query`'s
reader; the subqueries it can say are in describe_sub.py)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from proto.sample import Scalar
from shared.evolution.context import EvolveContext, Kind, QueryView
from shared.evolution.describe_sub import AGGS, DATED, Unsaid, related_rows, versus_aggregate
from shared.evolution.names import Names
from shared.generation.template.words import Agg, Filter, Measure, Op, ValueKind
from shared.generation.template.words.phrases import plural

_COMPARE: dict[type[exp.Expr], Op] = {
    exp.EQ: Op.EQ,
    exp.NEQ: Op.NE,
    exp.GT: Op.GT,
    exp.GTE: Op.GE,
    exp.LT: Op.LT,
    exp.LTE: Op.LE,
}


@dataclass(frozen=True)
class TreeReader:
    view: QueryView
    ctx: EvolveContext
    subject: str  # the FROM table
    counted: str  # the table whose rows COUNT(*) counts
    names: Names

    def column(self, node: exp.Expr) -> tuple[str, str]:
        """(table, column) of a column of the outer SELECT's own tables."""
        if not isinstance(node, exp.Column) or isinstance(node.this, exp.Star):
            raise Unsaid("not a column")
        name = node.name.lower()
        if node.table:
            table = self.view.sources.get(node.table)
        else:
            owners = {t for t in self.view.sources.values() if name in self.ctx.columns(t)}
            table = owners.pop() if len(owners) == 1 else None
        if table is None or name not in self.ctx.columns(table):
            raise Unsaid("unresolved column")
        return table, name

    def label(self, node: exp.Expr) -> str:
        return self.names.label(*self.column(node), self.subject)

    def value_kind(self, node: exp.Expr) -> ValueKind:
        kind = self.ctx.kind(*self.column(node))
        if kind is Kind.DATE:
            return ValueKind.DATE
        return ValueKind.TEXT if kind is Kind.TEXT else ValueKind.NUMBER

    def measure(self, node: exp.Expr) -> Measure:
        node = node.this if isinstance(node, exp.Round) else node
        if isinstance(node, exp.Count):
            inner = node.this
            if isinstance(inner, exp.Distinct):
                (column,) = inner.expressions
                return Measure(Agg.DISTINCT, f"number of different {plural(self.label(column))}")
            if isinstance(inner, exp.Star):
                noun = self.names.many(self.counted)
            else:  # COUNT(child.id) counts the child's rows that exist (a LEFT JOIN's zero)
                table, name = self.column(inner)
                if self.ctx.kind(table, name) is not Kind.KEY:
                    raise Unsaid("count of a value")
                noun = self.names.many(table)
            return Measure(Agg.COUNT, f"number of {noun}", counts_subject=noun == self.noun)
        found = AGGS.get(type(node))
        if found is None:
            raise Unsaid(f"function {type(node).__name__}")
        agg, word = found
        if self.value_kind(node.this) is ValueKind.DATE and agg in DATED:
            agg, word = DATED[agg]
        elif self.value_kind(node.this) is not ValueKind.NUMBER:
            raise Unsaid("aggregate of a text")
        return Measure(agg, f"{word} {self.label(node.this)}")

    @property
    def noun(self) -> str:
        return self.names.many(self.subject)

    def condition(self, node: exp.Expr) -> Filter:
        if isinstance(node, exp.Paren):
            return self.condition(node.this)
        if isinstance(node, exp.Exists):
            return Filter(Op.HAS, related=related_rows(self, node.this))
        if isinstance(node, exp.Not) and isinstance(node.this, exp.Exists):
            return Filter(Op.HAS_NO, related=related_rows(self, node.this.this))
        if isinstance(node, exp.Not) and isinstance(node.this, exp.Is):
            return Filter(Op.NOT_NULL, self.label(node.this.this))
        if isinstance(node, exp.Is) and isinstance(node.expression, exp.Null):
            return Filter(Op.NULL, self.label(node.this))
        if isinstance(node, exp.Between):
            bounds = (literal(node.args["low"]), literal(node.args["high"]))
            return Filter(Op.BETWEEN, self.label(node.this), bounds, self.value_kind(node.this))
        if isinstance(node, exp.In) and not node.args.get("query"):
            values = tuple(literal(v) for v in node.expressions)
            return Filter(Op.IN, self.label(node.this), values, self.value_kind(node.this))
        op = _COMPARE.get(type(node))
        if op is None:
            raise Unsaid(f"condition {type(node).__name__}")
        if isinstance(node.expression, exp.Subquery):
            return versus_aggregate(self, node, op)
        value = (literal(node.expression),)
        return Filter(op, self.label(node.this), value, self.value_kind(node.this))

    def window(self, node: exp.Window) -> str:
        """An extra column computed over rows, in the template's own words for it."""
        partition = node.args.get("partition_by") or []
        within = f" within each {self.label(partition[0])}" if len(partition) == 1 else ""
        if len(partition) > 1:
            raise Unsaid("a window over two partitions")
        order = node.args.get("order")
        terms = order.expressions if order is not None else []
        func = node.this
        if isinstance(func, exp.RowNumber | exp.Rank | exp.DenseRank) and terms:
            first = terms[0]
            if isinstance(first.this, exp.AggFunc | exp.Round):
                by, dated = self.measure(first.this).label, False
            else:
                by, dated = self.label(first.this), self.value_kind(first.this) is ValueKind.DATE
                if self.ctx.kind(*self.column(first.this)) is Kind.KEY:
                    return f"row number in id order{within}"
            desc = bool(first.args.get("desc"))
            end = (" (latest first)" if desc else " (earliest first)") if dated else ""
            end = end or ("" if desc else " (lowest first)")
            return f"rank by {by}{end}{within}"
        if isinstance(func, exp.Sum) and not terms:
            inner = func.this
            if isinstance(inner, exp.AggFunc | exp.Round):
                return f"overall {self.measure(inner).label}"
            total = self.measure(func).label
            return f"{total}{within}" if within else f"overall {total}"
        if isinstance(func, exp.Count) and isinstance(func.this, exp.Star) and within:
            return f"number of rows with the same {self.label(partition[0])}"
        raise Unsaid("a window")

    def group_condition(self, node: exp.Expr) -> Filter:
        op = _COMPARE.get(type(node))
        if op is None or not isinstance(node.this, exp.AggFunc | exp.Round):
            raise Unsaid("group condition")
        measure = self.measure(node.this)
        value = (literal(node.expression),)
        return Filter(op, measure.label, value, counts_subject=measure.counts_subject)


def bare(projection: exp.Expr) -> exp.Expr:
    return projection.this if isinstance(projection, exp.Alias) else projection


def plain(projection: exp.Expr) -> bool:
    """A projection that shows a column (not a measure or a window)."""
    return isinstance(bare(projection), exp.Column)


def literal(node: exp.Expr) -> Scalar:
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal):
        return -number(node.this.this)
    if not isinstance(node, exp.Literal):
        raise Unsaid("not a literal")
    return str(node.this) if node.is_string else number(node.this)


def number(text: str) -> float | int:
    number = float(text)
    return int(number) if number.is_integer() and "." not in text else number


def conjuncts(node: exp.Expr | None) -> list[exp.Expr]:
    if node is None:
        return []
    if isinstance(node, exp.And):
        return [*conjuncts(node.this), *conjuncts(node.expression)]
    return [node]
