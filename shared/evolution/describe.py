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

from sqlglot import exp

from shared.evolution.context import EvolveContext, Kind, QueryView
from shared.evolution.describe_joins import counted_table
from shared.evolution.describe_reader import TreeReader, bare, conjuncts, plain
from shared.evolution.describe_shape import limit_of, order_of, reject_unsaid
from shared.evolution.describe_sub import Unsaid
from shared.evolution.names import Names
from shared.generation.template.words import Intent, Measure, QuestionMeaning


def _read(view: QueryView, ctx: EvolveContext, names: Names) -> QuestionMeaning:
    select = view.select
    if select is None or view.main is None:
        raise Unsaid("no outer SELECT over a table")
    reject_unsaid(select)
    subject = view.main[1]
    reader = TreeReader(view, ctx, subject, counted_table(view, ctx, subject), names)
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
    filters = tuple(reader.condition(c) for c in conjuncts(where and where.this))
    having = select.args.get("having")
    group_filters = tuple(reader.group_condition(c) for c in conjuncts(having and having.this))
    if grouped:
        intent = Intent.BREAKDOWN
        # A group is said by what the query shows of it; a joined table's name column grouped
        # with its key is the row itself ("per buyer", not "per buyer full name").
        keyed_tables = {t for t, c in grouped if ctx.info.is_primary_key(t, c)}
        groups = tuple(
            dict.fromkeys(
                names.one(t) if t in keyed_tables and t != subject else names.label(t, c, subject)
                for t, c in (reader.column(bare(p)) for p in select.expressions if plain(p))
            )
        )
        if not groups or len(groups) > len(shown) or not measures:
            raise Unsaid("groups not shown, or shown fields not grouped")
        said = {reader.column(bare(p)) for p in select.expressions if plain(p)}
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
    ranking = order_of(reader, select, measures, intent)
    if ranking is None and limit_of(select) is not None:
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
