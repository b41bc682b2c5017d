"""Set operations: the same SELECT twice, each branch narrowed by a different condition.

UNION keeps rows meeting either condition, INTERSECT rows meeting both, EXCEPT rows meeting the
first but not the second. Branches show identifying columns only (never computed floats, which
engines deduplicate differently). A pair of conditions is accepted only when the combination is
non-empty (and, for INTERSECT and EXCEPT, actually narrows the first branch when it can).
"""

from __future__ import annotations

from dataclasses import replace

from shared.generation.template.evaluation.eval_types import Fragile, OutRow
from shared.generation.template.evaluation.evaluate import combine_rows, run_query
from shared.generation.template.query.context import Ctx
from shared.generation.template.query.core import Level
from shared.generation.template.query.fields import Field
from shared.generation.template.query.ir_features import expr_features, tree_facts
from shared.generation.template.query.predicates import Candidate, column_filters, holds
from shared.generation.template.sql import ir
from shared.generation.template.words.meaning import SetPart

OPS = (("UNION", 0.35), ("UNION ALL", 0.15), ("INTERSECT", 0.25), ("EXCEPT", 0.25))
FILTER_ROLES = ("category", "name", "label", "date", "measure", "count", "metric")


def _identity_fields(ctx: Ctx, top: Level) -> tuple[list[Field], bool]:
    """Columns both branches show, and whether only UNION ALL may combine them.

    Identifying columns only, except that a field carrying a planned feature (a window, an
    aggregate, CASE, COUNT(DISTINCT)) stays when nothing else in the SELECT carries it; a
    computed float among those allows UNION ALL only (no deduplication)."""
    keep = [f for f in top.fields if not f.approx and f.role not in _COMPUTED]
    keep = keep or [f for f in top.fields if not f.approx][:1]
    all_only = False
    probe = replace(top.select, items=tuple(ir.Item(f.expr, f.name) for f in keep))
    present = tree_facts(ir.Query(probe)).features
    for feature in sorted(ctx.features - present):
        carriers = [f for f in top.fields if feature in expr_features(f.expr)]
        if not carriers:
            continue
        pick = next((f for f in carriers if not f.approx), carriers[0])
        if pick not in keep:
            keep.append(pick)
            all_only = all_only or pick.approx
            present |= expr_features(pick.expr)
    return keep, all_only


_COMPUTED = ("share", "metric", "count", "rank")


def _candidates(ctx: Ctx, top: Level) -> list[Candidate]:
    fields = [(i, f) for i, f in enumerate(top.source_fields) if f.role in FILTER_ROLES]
    # Filler columns (record status, creation date) only when nothing else can filter.
    fields = [(i, f) for i, f in fields if not f.filler] or fields
    if not fields or not top.source_rows:
        return []
    out: list[Candidate] = []
    existing = set(ir.predicates_of(top.select.where))
    for _ in range(6):
        row = ctx.rng.choice(top.source_rows)
        i, f = ctx.rng.choice(fields)
        value = row[i]
        probe = f if f.role not in ("count", "metric") else replace(f, role="measure")
        values = [r[i] for r in top.source_rows]
        for pred, cond in column_filters(probe, value, values, ctx.rng):
            if pred in existing:
                continue
            if holds(pred, value) and not (f.approx and cond.op in ("eq", "ne", "in")):
                out.append((pred, replace(cond, label=f.label)))
    ctx.rng.shuffle(out)
    return out


def make_set_operation(ctx: Ctx, top: Level, ctes: tuple[ir.Cte, ...]) -> tuple[ir.SetOp, SetPart]:
    fields, all_only = _identity_fields(ctx, top)
    if not fields:
        raise Fragile("nothing to combine in a set operation")
    items = tuple(ir.Item(f.expr, f.name) for f in fields)
    base_preds = ir.predicates_of(top.select.where)
    select = replace(top.select, items=items, order_by=(), limit=None)
    cands = _candidates(ctx, top)
    if len(cands) < 2:
        raise Fragile("no conditions to tell the branches apart")
    ops = [op for op, _ in OPS]
    first = ctx.rng.choices(ops, weights=[w for _, w in OPS])[0]
    order = [first] + [op for op in ops if op != first]
    if all_only:
        order = ["UNION ALL"]
    branches: dict[ir.Expr, tuple[ir.Select, list[OutRow] | None]] = {}
    unfiltered = sorted(
        map(repr, run_query(ctx.store, ir.Query(select, ctes), None, None, {}).rows)
    )

    def branch(pred: ir.Expr) -> tuple[ir.Select, list[OutRow] | None]:
        # Each branch is evaluated once; the pairs combine cached rows.
        if pred not in branches:
            sel = replace(select, where=ir.conjoin([*base_preds, pred]))
            try:
                rows: list[OutRow] | None = run_query(
                    ctx.store, ir.Query(sel, ctes), None, None, {}
                ).rows
            except Fragile:
                rows = None
            if ctx.strict and rows is not None and sorted(map(repr, rows)) == unfiltered:
                rows = None  # the branch's condition removes nothing: the data does not witness it
            branches[pred] = (sel, rows)
        return branches[pred]

    for op in order:
        for a, b in _pairs(cands):
            if a[1] == b[1]:
                continue
            (left, left_rows), (right, right_rows) = branch(a[0]), branch(b[0])
            if left_rows is None or right_rows is None:
                continue
            try:
                rows = combine_rows(op, left_rows, right_rows)
            except Fragile:
                continue
            if not rows:
                continue
            if op in ("INTERSECT", "EXCEPT") and len(set(rows)) == len(set(left_rows)):
                continue  # the second branch changed nothing: a pointless set operation
            top.meaning.shown = [f.label for f in fields]
            return ir.SetOp(op, left, right), SetPart(op, [a[1]], [b[1]])
    raise Fragile("no pair of conditions gives a non-empty set operation")


def _pairs(cands: list[Candidate]) -> list[tuple[Candidate, Candidate]]:
    out = []
    for i, a in enumerate(cands[:8]):
        for b in cands[i + 1 : 9]:
            out.append((a, b))
    return out
