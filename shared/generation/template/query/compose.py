"""Assemble a SELECT statement from the core level: CTE and derived-table wrappers, set
operations, ORDER BY with primary-key tie-breakers, and LIMIT.

Wrapping follows common analyst patterns: compute per-group aggregates, then filter or rank
them one level up; rank rows inside a window, then keep the top k per partition outside; or
pre-filter rows, then total them. Every candidate is evaluated; one that comes back empty or
engine-dependent raises Fragile and the engine retries with the next sub-seed.
"""

from __future__ import annotations

import random
from dataclasses import replace

from proto.common import SqlFeature, TaskType
from shared.generation.template.evaluation.eval_types import Fragile, OutRow, Result
from shared.generation.template.evaluation.evaluate import run_query
from shared.generation.template.query.base import pick_witness, plan_base
from shared.generation.template.query.chances import CHANCES
from shared.generation.template.query.context import MAX_ROWS, Ctx
from shared.generation.template.query.core import CoreSpec, Level, build_core
from shared.generation.template.query.fields import Field, Names, prefer_real
from shared.generation.template.query.ir_features import tree_facts
from shared.generation.template.query.predicates import Candidate, column_filters, holds
from shared.generation.template.query.setops import make_set_operation
from shared.generation.template.query.tidy import pinned_columns
from shared.generation.template.query.witness import has_empty_branch, unwitnessed_condition
from shared.generation.template.schema.schema_model import ColumnType
from shared.generation.template.sql import ir
from shared.generation.template.words.meaning import Cond, Meaning, Metric, Ordering, SetPart
from shared.generation.template.words.question_parts import Vocabulary, condition, join_words

F = SqlFeature


def build_select(ctx: Ctx) -> tuple[ir.Query, Meaning]:
    base = plan_base(ctx)
    witness = pick_witness(ctx, base)
    cte, derived = ctx.wants(F.CTE), ctx.wants(F.DERIVED_TABLE)
    wrapped = cte or derived
    grain = _grain(ctx)
    window = ctx.wants(F.WINDOW)
    if window and grain == "totals":
        grain = "groups"
    top_n = wrapped and window and grain == "rows" and ctx.rng.random() < CHANCES.top_n_per_group
    # (the window of a top-k-per-group step is a ranking; see outputs.row_window)
    outer_totals = (
        wrapped
        and grain == "totals"
        and not ctx.wants(F.HAVING)
        and ctx.rng.random() < CHANCES.outer_totals
    )
    spec = CoreSpec(
        grain="rows" if outer_totals else grain,
        window=window,
        case=ctx.wants(F.CASE),
        distinct=ctx.wants(F.DISTINCT) and not top_n,
        expose_keys=wrapped,
        window_kind="rank" if top_n else "any",
        totalled=outer_totals,
    )
    core = build_core(ctx, base, witness, spec)
    ctes: tuple[ir.Cte, ...] = ()
    env: dict[str, Result] = {}
    top = core
    if wrapped:
        stem = core.meaning.subject.replace(" ", "_")
        if cte:
            name = ctx.aliases.name(f"{stem}_{'summary' if core.grain != 'rows' else 'selected'}")
            ctes = (ir.Cte(name, ir.Query(core.select)),)
            env[name] = run_query(ctx.store, ir.Query(core.select), None, None, {})
            src: ir.Source = ir.CteRef(name, ctx.aliases.take(name))
            keep_keys = derived
            top = outer_level(ctx, core, src, env, top_n, outer_totals, keep_keys)
            top.meaning.steps.insert(0, f"the CTE {name} {_inner_words(core)}")
        if derived:
            inner = top
            alias = ctx.aliases.name("sub")
            src = ir.Derived(ir.Query(inner.select), alias)
            outer_top_n = top_n and not cte
            top = outer_level(ctx, inner, src, env, outer_top_n, outer_totals and not cte, False)
            if not cte:
                top.meaning.steps.insert(0, f"a derived table {_inner_words(core)}")
    if ctx.wants(F.DISTINCT) and F.DISTINCT not in tree_facts(ir.Query(top.select, ctes)).features:
        # The plan's DISTINCT did not fit inside (e.g. beside a top-k-per-group window).
        if any(f.approx for f in top.fields):
            raise Fragile("DISTINCT over computed floats")
        top.select = replace(top.select, distinct=True)
        top.meaning.distinct = True
    body: ir.Body = top.select
    if ctx.wants(F.SET_OPERATION):
        body, part = make_set_operation(ctx, top, ctes)
        top.meaning.set_op = part
    body = order_and_limit(ctx, top, body, ctes)
    query = ir.Query(body, ctes)
    result = run_query(ctx.store, query, None, None, {})
    if not result.rows:
        raise Fragile("the query returns no rows")
    listed = top.grain != "totals" and top.meaning.limit is None
    if ctx.strict and listed and not 2 <= len(result.rows) <= 20:
        # A list a person asks for has a handful of rows, not one and not a page of them.
        raise Fragile(f"a list of {len(result.rows)} rows")
    if len(result.rows) > MAX_ROWS * 3:
        raise Fragile("the query returns too many rows")
    if ctx.strict and has_empty_branch(ctx.store, query):
        raise Fragile("a branch of the set operation returns no rows")
    if ctx.strict and unwitnessed_condition(ctx.store, query) is not None:
        # A LIMIT, an outer level or another branch hides a condition the question states.
        raise Fragile("a condition leaves the result as it is")
    return query, top.meaning


def _inner_words(core: Level) -> str:
    m = core.meaning
    if core.grain == "groups" and m.per:
        return f"computes the aggregates per {join_words(m.per)}"
    if core.grain == "totals":
        return "computes the totals"
    return f"selects the matching {m.subject}"


def _grain(ctx: Ctx) -> str:
    if ctx.wants(F.GROUP_BY):
        return "groups"
    if ctx.wants(F.AGGREGATE):
        # An order or a limit on one row of totals means nothing: rank groups instead.
        if ctx.wants(F.ORDER_BY) or ctx.wants(F.LIMIT):
            return "groups"
        if ctx.task is TaskType.ANALYTICS and ctx.rng.random() < CHANCES.analytics_groups:
            return "groups"
        return "totals"
    return "rows"


def outer_level(
    ctx: Ctx,
    inner: Level,
    src: ir.Source,
    env: dict[str, Result],
    top_n: bool,
    totals: bool,
    keep_keys: bool,
) -> Level:
    """SELECT … FROM <inner as CTE or derived table> WHERE <one more filter>."""
    alias = src.alias
    rows = run_query(ctx.store, ir.Query(inner.select), None, None, env).rows
    fields = [f.rebased(alias) for f in inner.fields]
    meaning = inner.meaning
    keys = [f for f in fields if f.role == "key"]
    shown = [f for f in fields if f.role != "key" or keep_keys]
    if totals:
        return _totals_over(ctx, inner, src, fields, rows)
    pred: ir.Expr | None = None
    if top_n and inner.window is not None:
        win = inner.window.rebased(alias)
        k = ctx.rng.choice([1, 2, 3])
        pred = ir.Cmp("<=", win.expr, ir.Lit(k))
        meaning.steps.append(f"the outer query keeps rows whose {win.label} is at most {k}")
        # A rank window's label is "rank by <what>": the words say "in the top k by <what>".
        ranked_by = win.label.removeprefix("rank by ")
        op = "rank_top" if ranked_by != win.label else "le"
        meaning.filters.append(
            Cond(op, ranked_by if op == "rank_top" else win.label, (k,), ColumnType.INTEGER)
        )
    else:
        cand = _outer_filter(ctx, inner, fields, rows)
        if cand is not None:
            pred = cand[0]
            (meaning.group_filters if inner.grain != "rows" else meaning.filters).append(cand[1])
            words = condition(cand[1], random.Random(0), Vocabulary(), terse=False)
            meaning.steps.append(f"the outer query keeps those {words}")
    select = ir.Select(
        items=tuple(ir.Item(f.expr, f.name) for f in shown),
        source=src,
        where=pred,
    )
    ties: list[ir.Expr] = [f.expr for f in keys] or [f.expr for f in shown]
    metric = inner.metric.rebased(alias) if inner.metric in inner.fields else None
    window = inner.window.rebased(alias) if inner.window in inner.fields else None
    return Level(select, shown, inner.grain, ties, meaning, fields, rows, metric, window)


def _outer_filter(
    ctx: Ctx, inner: Level, fields: list[Field], rows: list[OutRow]
) -> Candidate | None:
    if not rows:
        raise Fragile("the inner level is empty")
    # Groups are filtered on an aggregate (a filter on the group key would repeat the inner
    # WHERE); rows on a column no inner filter already reads.
    prefer = ("count", "metric") if inner.grain != "rows" else ("measure", "date", "category")
    used = [c.label for c in [*inner.meaning.filters, *inner.meaning.group_filters]]
    options = [
        (i, f)
        for i, f in enumerate(fields)
        if f.role in prefer
        and not f.nullable
        and not any(u.endswith(f.label) or f.label.endswith(u) for u in used)
    ]
    ctx.rng.shuffle(options)
    options.sort(key=lambda o: o[1].filler)  # filler columns last
    for i, f in options:
        row = ctx.rng.choice(rows)
        values = [r[i] for r in rows]
        field = f if f.role not in ("count", "metric") else replace(f, role="measure")
        cands = [c for c in column_filters(field, row[i], values, ctx.rng) if holds(c[0], row[i])]
        if ctx.strict:
            # The outer filter must drop some inner row, or the data does not witness it.
            cands = [c for c in cands if not all(holds(c[0], v) for v in values)]
        cands = [c for c in cands if not (f.approx and c[1].op in ("eq", "ne", "in"))]
        if inner.grain == "rows":
            # A listed column pinned to one value lists the value the question names ("the
            # membership roles of memberships with membership role 'Admin'").
            cands = [c for c in cands if not _pins(c[1])]
        if cands:
            pred, cond = ctx.rng.choice(cands)
            return pred, replace(cond, label=f.label)
    return None


def _pins(cond: Cond) -> bool:
    """The condition keeps one value of its column (`= v`, `IN (v)`, `IS NULL`)."""
    return cond.op in ("eq", "null") or (cond.op == "in" and len(cond.values) == 1)


def _totals_over(
    ctx: Ctx, inner: Level, src: ir.Source, fields: list[Field], rows: list[OutRow]
) -> Level:
    """Aggregate the inner rows: how many, and a total or average of one measure."""
    names = Names()
    meaning = inner.meaning
    noun = meaning.subject
    items = [ir.Item(ir.Agg("COUNT", ir.Star()), names.take("row_count"))]
    out = [Field(items[0].expr, items[0].alias, f"number of {noun}", ColumnType.INTEGER, "count")]
    metrics = [Metric(f"number of {noun}", "count")]
    measures = [
        f
        for f in fields
        if f.role == "measure" and not f.approx and f.table in (None, inner.grain_table)
    ]
    if measures:
        m = ctx.rng.choice(prefer_real(measures))
        func = ctx.rng.choice(["AVG", "MAX"] if m.kind == "percent" else ["SUM", "AVG", "MAX"])
        word = {"SUM": "total", "AVG": "average", "MAX": "highest"}[func]
        expr: ir.Expr = ir.Agg(func, m.expr)
        if func == "AVG":
            expr = ir.Func("ROUND", (expr, ir.Lit(2)))
        f = Field(
            expr,
            names.take(f"{word}_{m.name}"),
            f"{word} {m.label}",
            ColumnType.DECIMAL,
            "metric",
            approx=func != "MAX",
        )
        items.append(ir.Item(f.expr, f.name))
        out.append(f)
        metrics.append(Metric(f.label, word))
    meaning.metrics = metrics
    meaning.kind = "totals"
    meaning.steps.append("the outer query counts and totals those rows")
    select = ir.Select(items=tuple(items), source=src)
    return Level(select, out, "totals", [], meaning, fields, list(rows), out[0])


def order_and_limit(ctx: Ctx, top: Level, body: ir.Body, ctes: tuple[ir.Cte, ...]) -> ir.Body:
    want_order = ctx.wants(F.ORDER_BY) or ctx.wants(F.LIMIT)
    if not want_order:
        return body
    where = body.where if isinstance(body, ir.Select) else None
    repeated = _repeated_names(ctx, top, body, ctes) if ctx.wants(F.LIMIT) else set()
    sort, desc = _sort_field(ctx, top, pinned_columns(list(ir.predicates_of(where))), repeated)
    meaning = top.meaning
    if isinstance(body, ir.SetOp):
        names = list(body.names)
        first = sort.name if sort is not None and sort.name in names else names[0]
        rest = [n for n in names if n != first]
        order = (ir.Order(ir.Col(None, first), desc), *(ir.Order(ir.Col(None, n)) for n in rest))
        label = next((f.label for f in top.fields if f.name == first), first)
        body = replace(body, order_by=order)
    else:
        assert isinstance(body, ir.Select)
        ties = top.ties
        if body.distinct:
            ties = [i.expr for i in body.items]
        head = [ir.Order(sort.expr, desc)] if sort is not None else []
        order = tuple(head + [ir.Order(t) for t in ties if sort is None or t != sort.expr])
        if not order:
            order = tuple(ir.Order(i.expr) for i in body.items)
        label = sort.label if sort is not None else "id"
        body = replace(body, order_by=order)
    textual = sort is not None and sort.ctype is ColumnType.TEXT
    meaning.order = Ordering(label, desc, textual=textual)
    if ctx.wants(F.LIMIT):
        size = len(run_query(ctx.store, ir.Query(body, ctes), None, None, {}).rows)
        options = [k for k in (1, 3, 5, 10) if k < size] or [max(1, size)]
        k = ctx.rng.choice(options)
        body = replace(body, limit=k)
        meaning.limit = k
        if ctx.informal and desc and sort is not None and not textual:
            # Only "top": "best" or "biggest" mislead when the amount is a cost or a defect
            # count, and nothing vague fits an alphabetical order. The evidence states it.
            meaning.order.vague = "top"
    return body


def _repeated_names(ctx: Ctx, top: Level, body: ir.Body, ctes: tuple[ir.Cte, ...]) -> set[str]:
    """Outputs whose values repeat across the rows a LIMIT would cut: a name shared by
    several join rows ("the first 10 tasting scores by winery name" cuts among one winery's
    scores by an id no one sees)."""
    result = run_query(ctx.store, ir.Query(body, ctes), None, None, {})
    out = set()
    for i, name in enumerate(result.names):
        values = [r[i] for r in result.rows]
        if len(set(values)) < len(values):
            out.add(name)
    return out


def _sort_field(
    ctx: Ctx, top: Level, pinned: set[ir.Expr], repeated: set[str] | None = None
) -> tuple[Field | None, bool]:
    """What the rows are sorted by: the main measure of groups; for rows, never a column a
    filter pins ("the first vet by full name with full name 'X'" sorts one value), and with a
    LIMIT an amount or a date before a name, and a name before a category ("the first
    sponsor by headquarters country" is no ask: the first of many ties), never a name that
    repeats across the rows cut (`repeated`: an alphabetical cut among ties)."""
    metric = top.metric
    if top.grain != "rows" and metric is not None and metric in top.fields and not metric.nullable:
        return metric, ctx.rng.random() < CHANCES.groups_desc
    options = [
        f
        for f in top.fields
        if f.role in ("measure", "date", "label", "name", "category", "count", "rank")
        and not f.nullable
        and not f.approx
        and f.expr not in pinned
    ]
    if ctx.wants(F.LIMIT):
        options = [
            f
            for f in options
            if f.role not in ("label", "name", "category") or f.name not in (repeated or ())
        ]
        for roles in (("measure", "date", "count", "rank"), ("label", "name")):
            if any(f.role in roles for f in options):
                options = [f for f in options if f.role in roles]
                break
    if not options:
        return None, False
    f = ctx.rng.choice(prefer_real(options))
    return f, f.role in ("measure", "date", "count") and ctx.rng.random() < CHANCES.rows_desc


__all__ = ["SetPart", "build_select", "order_and_limit", "outer_level"]
