"""Parts of the innermost SELECT's measures and joins that `core.py` draws on: CASE counts,
a HAVING on a measure, and which joined tables contribute without a stated filter.

Kept apart from `core.py` so each module stays small; nothing here builds a whole level.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace
from typing import Protocol

from shared.generation.template.evaluation.eval_types import Fragile, walk
from shared.generation.template.evaluation.evaluate import run_query
from shared.generation.template.instance.rowstore import Row
from shared.generation.template.query.base import (
    Base,
    fan_out_parents,
    pinned_tables,
    table_fields,
)
from shared.generation.template.query.context import Ctx
from shared.generation.template.query.fields import Field, Names
from shared.generation.template.query.outputs import one_row_per_group, relabel
from shared.generation.template.query.predicates import column_filters, nice_below
from shared.generation.template.schema.schema_model import ColumnType
from shared.generation.template.sql import ir
from shared.generation.template.words.freeze import freeze_cond
from shared.generation.template.words.meaning import Cond, Meaning, Metric
from shared.generation.template.words.phrases import bare


class Level(Protocol):
    """What a HAVING needs of `core.Level` (named here so this module does not import core)."""

    select: ir.Select
    fields: list[Field]
    meaning: Meaning


def states_condition(f: Field) -> bool:
    """Whether a measure carries a condition of its own (a CASE count: "number of X with Y")."""
    return any(isinstance(node, ir.Case) for node in walk([f.expr]))


def counts_rows(select: ir.Select) -> bool:
    """Whether an output counts the joined rows (COUNT(*), or a window over it)."""
    return any(
        isinstance(node, ir.Agg) and node.func == "COUNT" and isinstance(node.arg, ir.Star)
        for node in walk(i.expr for i in select.items)
    )


def bridges(base: Base) -> set[str]:
    """Joined tables on the path between two others (in two ON clauses, the root too): they
    contribute the link, so no filter is stated only to make them read ("orders per region"
    through stores needs no condition on stores), as the sense check unused_join judges."""
    clauses = Counter(
        t for s in base.tree.steps[1:] if s.edge is not None for t in (s.table, s.anchor)
    )
    return {t for t, n in clauses.items() if t is not None and n >= 2}


def case_metric(
    ctx: Ctx, base: Base, witness: Row, names: Names, grouped: list[ir.Expr]
) -> tuple[Field, Metric]:
    """SUM(CASE WHEN <a condition the witness meets> THEN 1 ELSE 0 END), never on a column
    the rows are grouped by ("the number of Turin departments per office city" is the group
    count or 0), nor on a column of a table with one row per group (a store's own region, per
    store: all or none), nor on a column the WHERE pins (`city = 'Boston'` counted again)."""
    options = []
    fixed = one_row_per_group(ctx, base, grouped) | pinned_tables(ctx, base)
    for table in base.filterable:
        if table in fixed:
            continue
        alias = base.alias[table]
        for f in table_fields(ctx, table, alias):
            if f.expr in grouped or f.expr in base.pinned:
                continue
            if f.expr in base.filtered and ctx.strict:
                continue  # the lenient attempts may count within a filtered column's range
            if f.role in ("category", "measure", "date"):
                value = witness[base.slots[(alias, f.name)]]
                # The condition is worded from the relabelled field: a joined table's column
                # keeps its owner ("number of stock levels with pharmacy year opened ...").
                said = relabel(ctx, base, f)
                for pred, cond in column_filters(
                    said, value, ctx.store.values(table, f.name), ctx.rng
                ):
                    if cond.op in ("eq", "gt", "ge", "lt"):
                        options.append((said, pred, cond))
    if not options:
        raise Fragile("no condition for a CASE count")
    options = [o for o in options if not o[0].filler] or options
    f, pred, cond = ctx.rng.choice(options)
    noun = ctx.store.table(base.subject).plural
    label = f"number of {noun} with {bare(freeze_cond(cond, noun), random.Random(0))}"
    expr: ir.Expr = ir.Agg("SUM", ir.Case(((pred, ir.Lit(1)),), ir.Lit(0)))
    if base.grain != base.subject or fan_out_parents(base.tree):
        # Under a LEFT-joined child (or a fan-out a lenient attempt kept) every subject row
        # repeats once per child: count the subject's rows that meet the condition, not the
        # joined rows.
        key = ctx.store.row_key(base.subject)
        if len(key) != 1:
            raise Fragile("no single key to count the subject's rows under a LEFT JOIN")
        keyed = ir.Case(((pred, ir.Col(base.alias[base.subject], key[0])),), None)
        expr = ir.Agg("COUNT", keyed, distinct=True)
    out = Field(
        expr, names.take(f"{f.name}_matches", "matching_rows"), label, ColumnType.INTEGER, "count"
    )
    return out, Metric(label, "count")


def add_having(ctx: Ctx, level: Level, metrics: list[Field]) -> None:
    """HAVING <metric> >= t, with t drawn from the groups' actual values, so some pass."""
    usable = [m for m in metrics if not m.nullable and m.ctype is not ColumnType.DATE]
    # A CASE count restated as a group condition repeats its own condition in the question.
    usable = [m for m in usable if not states_condition(m)] or usable
    if not usable:
        raise Fragile("no aggregate to filter groups on")
    m = ctx.rng.choice(usable)
    at = level.fields.index(m)
    probe = level.select
    rows = run_query(ctx.store, ir.Query(probe), None, None, {}).rows
    values = sorted({r[at] for r in rows if r[at] is not None})
    if not values:
        raise Fragile("no groups to filter")
    if len(values) < 2 and ctx.strict:
        raise Fragile("one group value: a HAVING would keep every group or none")
    # Never the smallest value: `>= min` keeps every group (a tautology).
    pick = ctx.rng.randrange(1, len(values)) if len(values) > 1 else 0
    target = values[pick]
    if m.ctype is ColumnType.INTEGER or isinstance(target, int):
        op, threshold = ">=", target
    else:
        # A computed float: the threshold keeps clear of every group's value.
        lower = float(values[pick - 1]) if pick > 0 else 0.0
        cut = nice_below(float(target), False)
        threshold = cut if lower + 1e-3 < cut < target - 1e-3 else round((lower + target) / 2, 2)
        op = ">"
        if not lower + 1e-3 < threshold < target - 1e-3:
            raise Fragile("no threshold clear of the groups' values")
    having = ir.Cmp(op, m.expr, ir.Lit(threshold))
    level.select = replace(level.select, having=having)
    word = "at least" if op == ">=" else "more than"
    level.meaning.group_filters.append(
        Cond(
            "ge" if op == ">=" else "gt",
            m.label,
            (threshold,),
            m.ctype,
            vague=None,
            note=None,
            related=word,
        )
    )
