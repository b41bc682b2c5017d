"""The structured meaning of SQL the template engine did not word, read off its sqlglot tree.

Expanded and evolved queries have no builder record (`template.meaning.Meaning`), so their
question cannot come from the builder. This module derives the realizer's typed contract
(`words.QuestionMeaning`) from the tree itself, for the shapes a person asks plainly: one
SELECT over a table and the parents or children it joins by key, WHERE conditions that compare
a column with literals, GROUP BY, HAVING on a measure, ORDER BY, LIMIT, DISTINCT. Anything else
(windows, subqueries, set operations, CASE, CROSS JOIN, functions other than the aggregates)
gives None: the caller then keeps the parent's question with the change put in place, rather
than a question that leaves part of the SQL unsaid.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from proto.sample import Scalar
from shared.evolution.context import EvolveContext, Kind, QueryView
from shared.evolution.describe_sub import AGGS, DATED, Unsaid, related_rows, versus_aggregate
from shared.evolution.names import Names
from shared.generation.template.words import (
    Agg,
    Filter,
    Intent,
    Measure,
    Op,
    QuestionMeaning,
    Ranking,
    ValueKind,
)
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
class _Reader:
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
            bounds = (_literal(node.args["low"]), _literal(node.args["high"]))
            return Filter(Op.BETWEEN, self.label(node.this), bounds, self.value_kind(node.this))
        if isinstance(node, exp.In) and not node.args.get("query"):
            values = tuple(_literal(v) for v in node.expressions)
            return Filter(Op.IN, self.label(node.this), values, self.value_kind(node.this))
        op = _COMPARE.get(type(node))
        if op is None:
            raise Unsaid(f"condition {type(node).__name__}")
        if isinstance(node.expression, exp.Subquery):
            return versus_aggregate(self, node, op)
        value = (_literal(node.expression),)
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
        value = (_literal(node.expression),)
        return Filter(op, measure.label, value, counts_subject=measure.counts_subject)


def _bare(projection: exp.Expr) -> exp.Expr:
    return projection.this if isinstance(projection, exp.Alias) else projection


def _plain(projection: exp.Expr) -> bool:
    """A projection that shows a column (not a measure or a window)."""
    return isinstance(_bare(projection), exp.Column)


def _literal(node: exp.Expr) -> Scalar:
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal):
        return -_number(node.this.this)
    if not isinstance(node, exp.Literal):
        raise Unsaid("not a literal")
    return str(node.this) if node.is_string else _number(node.this)


def _number(text: str) -> float | int:
    number = float(text)
    return int(number) if number.is_integer() and "." not in text else number


def _conjuncts(node: exp.Expr | None) -> list[exp.Expr]:
    if node is None:
        return []
    if isinstance(node, exp.And):
        return [*_conjuncts(node.this), *_conjuncts(node.expression)]
    return [node]


def _counted_table(view: QueryView, ctx: EvolveContext, subject: str) -> str:
    """Whose rows COUNT(*) counts: the FROM table when every join goes to a parent along a
    foreign key (many to one), else the one child joined (one to many); a join on anything but
    a key, or two children (which multiply), is not said."""
    keys = {tuple(fk[:4]) for fk in ctx.info.facts.foreign_keys}
    children = []
    for join in view.tree.args.get("joins") or []:
        on, table = join.args.get("on"), join.this
        if not isinstance(on, exp.EQ) or not isinstance(table, exp.Table):
            raise Unsaid("a join without a key")
        name = table.name.lower()
        sides = [_side(view, ctx, c) for c in (on.this, on.expression)]
        if sides[0][0] != name:
            sides.reverse()
        (joined, jc), (other, oc) = sides
        if joined != name:
            raise Unsaid("a join condition that does not name the joined table")
        # Declared foreign keys first; a schema that declares none is read by its keys (a
        # column equal to a table's own primary key points at that table's rows).
        if (other, oc, joined, jc) in keys or (not keys and _keyed(ctx, joined, jc, other, oc)):
            continue  # the joined table is a parent
        if (joined, jc, other, oc) not in keys and not (
            not keys and _keyed(ctx, other, oc, joined, jc)
        ):
            raise Unsaid("a join not along a foreign key")
        children.append(name)
    if len(children) > 1:
        raise Unsaid("two one-to-many joins")
    return children[0] if children else subject


def _keyed(ctx: EvolveContext, parent: str, key: str, child: str, column: str) -> bool:
    """`child.column = parent.key` reads as a link when `key` is the parent's own primary key
    and `column` is not the child's (two primary keys equal is a one-to-one coincidence)."""
    info = ctx.info
    return info.is_primary_key(parent, key) and not info.is_primary_key(child, column)


def _side(view: QueryView, ctx: EvolveContext, node: exp.Expr) -> tuple[str, str]:
    if not isinstance(node, exp.Column) or not node.table:
        raise Unsaid("a join condition on an unqualified column")
    table = view.sources.get(node.table)
    if table is None:
        raise Unsaid("a join condition on an unknown table")
    return table, node.name.lower()


def _order(
    reader: _Reader, select: exp.Select, measures: dict[str, Measure], intent: Intent
) -> Ranking | None:
    order = select.args.get("order")
    if order is None:
        return None
    first = order.expressions[0]
    node = first.this
    aliases = {p.alias: p.this for p in select.expressions if isinstance(p, exp.Alias)}
    if isinstance(node, exp.Column) and not node.table and node.name in aliases:
        node = aliases[node.name]
    limit = _limit(select)
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


def _limit(select: exp.Select) -> int | None:
    limit = select.args.get("limit")
    if limit is None:
        return None
    found = _literal(limit.expression)
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


def _reject_unsaid(select: exp.Select) -> None:
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


def _read(view: QueryView, ctx: EvolveContext, names: Names) -> QuestionMeaning:
    select = view.select
    if select is None or view.main is None:
        raise Unsaid("no outer SELECT over a table")
    _reject_unsaid(select)
    subject = view.main[1]
    reader = _Reader(view, ctx, subject, _counted_table(view, ctx, subject), names)
    shown: list[str] = []
    extras: list[str] = []
    measures: dict[str, Measure] = {}
    for projection in select.expressions:
        node = projection.this if isinstance(projection, exp.Alias) else projection
        if isinstance(node, exp.Window):
            extras.append(reader.window(node))
        elif isinstance(node, exp.AggFunc | exp.Round):
            found = reader.measure(node)
            measures.setdefault(found.label, found)
        else:
            table, column = reader.column(node)
            if ctx.info.is_primary_key(table, column):
                raise Unsaid("a row's own key shown")  # nobody asks for ids by name
            shown.append(reader.label(node))
    group = select.args.get("group")
    grouped = [reader.column(g) for g in group.expressions] if group is not None else []
    where = select.args.get("where")
    filters = tuple(reader.condition(c) for c in _conjuncts(where and where.this))
    having = select.args.get("having")
    group_filters = tuple(reader.group_condition(c) for c in _conjuncts(having and having.this))
    if grouped:
        intent = Intent.BREAKDOWN
        # A group is said by what the query shows of it; a joined table's name column grouped
        # with its key is the row itself ("per buyer", not "per buyer full name").
        keyed_tables = {t for t, c in grouped if ctx.info.is_primary_key(t, c)}
        groups = tuple(
            dict.fromkeys(
                names.one(t) if t in keyed_tables and t != subject else names.label(t, c, subject)
                for t, c in (reader.column(_bare(p)) for p in select.expressions if _plain(p))
            )
        )
        if not groups or len(groups) > len(shown) or not measures:
            raise Unsaid("groups not shown, or shown fields not grouped")
        said = {reader.column(_bare(p)) for p in select.expressions if _plain(p)}
        if any(g not in said and ctx.kind(*g) is not Kind.KEY for g in grouped):
            raise Unsaid("grouped by a field not shown")
        shown = []
    elif measures:
        if shown:
            raise Unsaid("fields beside totals without a grouping")
        intent = Intent.TOTALS
        groups = ()
    else:
        intent, groups = Intent.LIST, ()
    if group_filters and intent is not Intent.BREAKDOWN:
        raise Unsaid("HAVING without groups")
    ranking = _order(reader, select, measures, intent)
    if ranking is None and _limit(select) is not None:
        raise Unsaid("a LIMIT without an order")
    listed = tuple(measures.values())
    if intent is Intent.TOTALS and len(listed) == 1 and listed[0].counts_subject:
        intent = Intent.COUNT
    return QuestionMeaning(
        intent=intent,
        subject_one=names.one(subject),
        subject_many=names.many(subject),
        shown=tuple(dict.fromkeys(shown)),
        measures=listed,
        groups=groups,
        filters=filters,
        group_filters=group_filters,
        ranking=ranking,
        limit=ranking.limit if ranking is not None else None,
        distinct=bool(select.args.get("distinct")) and intent is Intent.LIST,
        extras=tuple(extras),
    )


def describe_query(
    view: QueryView, ctx: EvolveContext, names: Names | None = None
) -> QuestionMeaning | None:
    """The typed meaning of the query in `view`, or None when part of it cannot be said."""
    try:
        return _read(view, ctx, names or Names())
    except (Unsaid, ValueError, KeyError):
        return None


__all__ = ["describe_query"]
