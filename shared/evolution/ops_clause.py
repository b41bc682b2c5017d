"""Clause operators: logical clause expansion (Eq. 5) and relational expansion (Eq. 6).

Logical expansion adds a conjunct to WHERE (a value the record's rows hold) or a HAVING to a
grouped query. Relational expansion joins a parent table along a foreign key the query does not
follow yet (many-to-one, so no aggregate is inflated) and uses it: a column shown, or a filter.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from sqlglot import exp

from proto.sample import Scalar
from shared.evolution.build import (
    aliased_table,
    column,
    compare,
    fresh_alias,
    literal,
    sources_of,
    thresholds,
    where_columns,
)
from shared.evolution.context import EvolveContext, Kind, QueryView, singular, words
from shared.evolution.model import Change, ChangeKind, Evolution, Operator
from shared.evolution.roles import prefer_real

# Past this many predicates a query gains little from one more (feasibility falls off).
BUSY_PREDICATES = 4


def _predicates(view: QueryView) -> int:
    where = view.select.args.get("where") if view.select is not None else None
    return 0 if where is None else len(list(where.find_all(exp.Predicate)))


def feasible_logic(view: QueryView, ctx: EvolveContext) -> float:
    if view.select is None:
        return 0.0
    used = where_columns(view.select)
    free = [s for s in sources_of(view, ctx, Kind.NUMBER, Kind.DATE, Kind.TEXT) if s[2] not in used]
    if not free and not view.grouped:
        return 0.0
    return max(0.2, 1.0 - 0.8 * min(_predicates(view), BUSY_PREDICATES) / BUSY_PREDICATES)


def filter_values(
    ctx: EvolveContext, table: str, name: str, rng: random.Random
) -> Iterator[tuple[str, Scalar]]:
    """(comparison, value) pairs for a new filter on a column, drawn from its rows."""
    kind = ctx.kind(table, name)
    values = ctx.values(table, name)
    if kind is Kind.TEXT:
        if not ctx.categorical(table, name):
            return
        picks = list(values)
        rng.shuffle(picks)
        for value in picks[:3]:
            yield ("eq", value)
        return
    for value in thresholds(values, rng):
        # Strict comparisons for numbers (dates: "on or after" / "before"). Chosen when the
        # sense checks took "at least" / "at most" for superlatives; they read them as bounds
        # now (shared/sense/question.py), so >= and <= could come back.
        yield (rng.choice(("gt", "lt")) if kind is Kind.NUMBER else rng.choice(("ge", "lt")), value)


def propose_logic(view: QueryView, ctx: EvolveContext, rng: random.Random) -> Iterator[Evolution]:
    if view.select is None:
        return
    if view.grouped and rng.random() < 0.5:
        yield from _having(view, ctx)
    used = where_columns(view.select)
    free = [s for s in sources_of(view, ctx, Kind.NUMBER, Kind.DATE, Kind.TEXT) if s[2] not in used]
    rng.shuffle(free)
    shown = {
        (c.table, c.name.lower())
        for p in view.select.expressions
        if isinstance(c := (p.this if isinstance(p, exp.Alias) else p), exp.Column)
    }
    for alias, table, name in free[:4]:
        for op, value in filter_values(ctx, table, name, rng):
            if op == "eq" and (alias, name) in shown:
                # Pinning a shown column to one value answers itself ("the distinct segments
                # with segment 'Industrial'"): found reading evolved records.
                continue
            tree = view.tree.copy()
            tree.where(compare(op, column(alias, name), literal(value)), copy=False)
            change = Change(
                ChangeKind.ADD_FILTER,
                label=view.label(table, name),
                noun=words(table),
                op=op,
                values=(value,),
                is_date=ctx.kind(table, name) is Kind.DATE,
                is_text=ctx.kind(table, name) is Kind.TEXT,
            )
            yield Evolution(tree.sql(dialect="sqlite"), Operator.LOGIC, change)
    if view.grouped:
        yield from _having(view, ctx)


def _having(view: QueryView, ctx: EvolveContext) -> Iterator[Evolution]:
    main = view.main
    if main is None or view.select is None:
        return
    # `> k` ("more than k"), as the filters above: see filter_values.
    for more_than in (1, 2, 3):
        tree = view.tree.copy()
        count = exp.Count(this=exp.Star())
        tree.having(exp.GT(this=count, expression=literal(more_than)), copy=False)
        # COUNT(*) counts the main table's rows only when nothing is joined to them.
        noun = "" if view.select.args.get("joins") else words(main[1])
        change = Change(ChangeKind.ADD_HAVING, noun=noun, op="gt", values=(more_than,))
        yield Evolution(tree.sql(dialect="sqlite"), Operator.LOGIC, change)


def _parent_links(view: QueryView, ctx: EvolveContext) -> list[tuple[str, str, str, str]]:
    """(alias, fk column, parent table, parent column) for parents the query does not read."""
    present = view.tables
    return [
        (alias, fk, parent, key)
        for alias, table in view.sources.items()
        for fk, parent, key in ctx.parents_of(table)
        if parent not in present and ctx.columns(parent)
    ]


def feasible_join(view: QueryView, ctx: EvolveContext) -> float:
    if view.select is None:
        return 0.0
    links = _parent_links(view, ctx)
    usable = [link for link in links if ctx.columns_of(link[2], Kind.TEXT, Kind.NUMBER, Kind.DATE)]
    if usable:
        return 1.0
    return 0.9 if _count_links(view, ctx) else 0.0


def _count_links(view: QueryView, ctx: EvolveContext) -> list[tuple[str, str, str, str]]:
    """(main alias, its key, child table, child column) for a row query over one table whose
    rows a referencing table can be counted for (a LEFT JOIN grouped by the row).

    Session 10: round 1 had fewer joins than the first generation (0.93 against 0.99): most
    children came from short single-table parents, where relational expansion had no parent
    table left to join (it only joined along the table's own foreign keys)."""
    select, main = view.select, view.main
    if select is None or main is None or view.aggregated or not _many_to_one(view, ctx):
        return []
    if select.args.get("distinct") or select.args.get("with_") or select.find(exp.Window):
        return []
    if any(isinstance(p, exp.Star) or p.is_star for p in select.expressions):
        return []
    if select.find(exp.Subquery, exp.Exists) is not None:
        return []
    alias, table = main
    return [
        (alias, key, child, fk)
        for child, fk, key in ctx.children_of(table)
        if child != table and ctx.info.is_primary_key(table, key)
    ]


def _many_to_one(view: QueryView, ctx: EvolveContext) -> bool:
    """Every JOIN reaches a parent along a foreign key of a table already read (one row per
    row of the FROM table: a child's count grouped by that row is not multiplied)."""
    select = view.select
    assert select is not None
    keys = {tuple(fk[:4]) for fk in ctx.info.facts.foreign_keys}
    for join in select.args.get("joins") or []:
        on, table = join.args.get("on"), join.this
        if not isinstance(on, exp.EQ) or not isinstance(table, exp.Table):
            return False
        sides = [on.this, on.expression]
        if not all(isinstance(c, exp.Column) and c.table in view.sources for c in sides):
            return False
        joined = table.alias_or_name
        this = [c for c in sides if c.table == joined]
        other = [c for c in sides if c.table != joined]
        if len(this) != 1 or len(other) != 1:
            return False
        child = (view.sources[other[0].table], other[0].name.lower())
        parent = (view.sources[joined], this[0].name.lower())
        if (*child, *parent) not in keys:
            return False
    return True


def _propose_counts(view: QueryView, ctx: EvolveContext) -> Iterator[Evolution]:
    select = view.select
    assert select is not None
    for alias, key, child, fk in _count_links(view, ctx):
        tree = view.tree.copy()
        new = fresh_alias(tree, child)
        on = exp.EQ(this=column(new, fk), expression=column(alias, key))
        shown = [p.unalias().copy() for p in tree.expressions]
        tree.join(aliased_table(child, new), on=on, join_type="LEFT", copy=False)
        name = f"{singular(child.lower())}_count"
        if name in {p.alias_or_name for p in tree.expressions}:
            continue
        tree.select(exp.alias_(exp.Count(this=column(new, fk)), name), copy=False)
        # Grouped by the row's key and every shown expression: one row per row as before, on
        # every engine (PostgreSQL and MySQL's ONLY_FULL_GROUP_BY want them all).
        order = tree.args.get("order")
        ordered = [o.this.copy() for o in order.expressions] if order is not None else []
        keys = [column(alias, key)]
        for term in shown + ordered:
            # Ordered terms too: PostgreSQL wants a joined parent's column grouped to sort on it.
            if not isinstance(term, exp.Literal) and term not in keys:
                keys.append(term)
        tree.group_by(*keys, copy=False)
        change = Change(ChangeKind.JOIN_COUNT, label=words(child), noun=words(view.sources[alias]))
        yield Evolution(tree.sql(dialect="sqlite"), Operator.JOIN, change)


def _shown_column(ctx: EvolveContext, parent: str) -> str | None:
    """The parent's column that names a row: one called *name*/*title*, else its first text."""
    texts = prefer_real(ctx.columns_of(parent, Kind.TEXT), str)
    named = [c for c in texts if "name" in c or "title" in c]
    return (named or texts)[0] if texts else None


def propose_join(view: QueryView, ctx: EvolveContext, rng: random.Random) -> Iterator[Evolution]:
    links = _parent_links(view, ctx)
    rng.shuffle(links)
    # A child's count first on a third of the parents that also have a parent to join.
    counts_first = not links or rng.random() < 0.3
    if counts_first:
        yield from _propose_counts(view, ctx)
    for alias, fk, parent, key in links:
        new = fresh_alias(view.tree, parent)
        on = exp.EQ(this=column(new, key), expression=column(alias, fk))
        noun = singular(words(parent))
        shown = _shown_column(ctx, parent)
        if shown is not None and not view.aggregated:
            tree = view.tree.copy()
            # Showing a parent's column keeps every row: a nullable key takes a LEFT JOIN, or
            # rows without a parent would vanish from a question that only adds a column.
            table = view.sources[alias]
            kind = "INNER" if ctx.info.is_not_null(table, fk) else "LEFT"
            tree.join(aliased_table(parent, new), on=on, join_type=kind, copy=False)
            tree.select(column(new, shown), copy=False)
            change = Change(ChangeKind.JOIN_SHOW, label=words(shown), noun=noun)
            yield Evolution(tree.sql(dialect="sqlite"), Operator.JOIN, change)
        for name in prefer_real(ctx.columns_of(parent, Kind.TEXT, Kind.NUMBER, Kind.DATE), str):
            for op, value in filter_values(ctx, parent, name, rng):
                tree = view.tree.copy()
                tree.join(aliased_table(parent, new), on=on.copy(), join_type="INNER", copy=False)
                tree.where(compare(op, column(new, name), literal(value)), copy=False)
                change = Change(
                    ChangeKind.JOIN_FILTER,
                    label=words(name),
                    noun=noun,
                    op=op,
                    values=(value,),
                    is_date=ctx.kind(parent, name) is Kind.DATE,
                    is_text=ctx.kind(parent, name) is Kind.TEXT,
                )
                yield Evolution(tree.sql(dialect="sqlite"), Operator.JOIN, change)
    if not counts_first:
        yield from _propose_counts(view, ctx)
