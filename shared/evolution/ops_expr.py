"""Expression operators: functional wrapping (Eq. 3) and operator mutation (Eq. 4).

Functional wrapping puts a column inside a function: another aggregate in an aggregate query,
a RANK() window in a row query. Operator mutation moves a comparison into a richer operator:
`= a` becomes `IN (a, b)`, a range becomes BETWEEN, a column becomes a CASE WHEN band.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from sqlglot import exp

from shared.evolution.build import (
    column,
    literal,
    sources_of,
    thresholds,
    where_columns,
    where_conjuncts,
)
from shared.evolution.context import EvolveContext, Kind, QueryView, view_query, words
from shared.evolution.model import Change, ChangeKind, Evolution, Operator

# Aggregates whose result does not grow with duplicated rows come first: a join before the
# aggregate then cannot inflate them (the sense check `fan_out_aggregate`).
METRICS: tuple[tuple[str, str], ...] = (("MAX", "highest"), ("MIN", "lowest"), ("AVG", "average"))
# How often a grouped query's window over its groups (a rank by, or the overall total of, a
# measure it has) is tried before another aggregate. Session 9's round 2 had fewer functions
# per query than the first generation (1.24 against 1.31): another MAX/MIN on a long grouped
# question stayed within the question cosine of its parent, and a row query had one rank per
# non-null number to offer. The template's own group windows (query/outputs.group_window)
# read differently and add a window as well (EvolSQL appendix G.3: "window functions").
GROUP_WINDOW_FIRST = 0.5


def feasible_func(view: QueryView, ctx: EvolveContext) -> float:
    numbers = sources_of(view, ctx, Kind.NUMBER)
    if view.select is None or not numbers:
        return 0.0
    if view.aggregated:
        aggregated = {
            c.name.lower()
            for a in view.select.find_all(exp.AggFunc)
            for c in a.find_all(exp.Column)
        }
        return 0.9 if any(col not in aggregated for _, _, col in numbers) else 0.3
    has_window = view.select.find(exp.Window) is not None
    return 0.3 if has_window or view.select.args.get("distinct") else 0.8


def pinned_columns(select: exp.Select) -> set[tuple[str, str]]:
    """(alias, column) of the WHERE's top-level `col = literal` and `col IS NULL` conjuncts:
    one value in every row, so a rank or a MIN/MAX of it says nothing (every rank 1: "rank by
    year of enrollment of students with year of enrollment 2020", seen reading 30 evolved
    records)."""
    pinned: set[tuple[str, str]] = set()
    for part in where_conjuncts(select):
        if isinstance(part, exp.Is) and isinstance(part.expression, exp.Null):
            # NULL in every row: a MAX of it is NULL ("highest delay of runs with no delay",
            # seen reading session 8's evolved records).
            if isinstance(part.this, exp.Column):
                pinned.add((part.this.table, part.this.name.lower()))
        elif isinstance(part, exp.EQ):
            sides = (part.this, part.expression)
            for col, lit in (sides, sides[::-1]):
                if isinstance(col, exp.Column) and isinstance(lit, exp.Literal):
                    pinned.add((col.table, col.name.lower()))
    return pinned


def propose_func(view: QueryView, ctx: EvolveContext, rng: random.Random) -> Iterator[Evolution]:
    if view.select is None:
        return
    pinned = pinned_columns(view.select)
    numbers = [
        s
        for s in sources_of(view, ctx, Kind.NUMBER)
        if (s[0], s[2]) not in pinned and ("", s[2]) not in pinned
    ]
    rng.shuffle(numbers)
    if view.aggregated:
        taken = {
            c.name.lower()
            for a in view.select.find_all(exp.AggFunc)
            for c in a.find_all(exp.Column)
        }
        group_windows = list(_group_windows(view, rng))
        if group_windows and rng.random() < GROUP_WINDOW_FIRST:
            yield from group_windows
            group_windows = []
        for alias, table, name in sorted(numbers, key=lambda s: s[2] in taken):
            for fn, word in rng.sample(METRICS, len(METRICS)):
                tree = view.tree.copy()
                call: exp.Expr = exp.func(fn, column(alias, name))
                if fn == "AVG":  # as the template writes it: engines round AVG differently
                    call = exp.func("ROUND", call, exp.Literal.number(2))
                tree.select(exp.alias_(call, f"{word}_{name}"), copy=False)
                change = Change(ChangeKind.ADD_METRIC, label=view.label(table, name), word=word)
                yield Evolution(tree.sql(dialect="sqlite"), Operator.FUNC, change)
        yield from group_windows
        return
    if view.select.args.get("distinct") or view.select.args.get("limit"):
        # A rank computed before a LIMIT keeps one or a few rows: "the rank by price within
        # each segment of the first customer" (session 10's reading).
        return
    outer = _outer_joined(view.select)
    for alias, table, name in numbers:
        if not ctx.info.is_not_null(table, name) or alias in outer:
            # A NULL ranks first on SQLite and MySQL, last on PostgreSQL: the engines would
            # disagree (session 9's 3-engine run: 3 of 5 rejected evolutions).
            continue
        tree = view.tree.copy()
        window = exp.Window(
            this=exp.func("RANK"),
            order=exp.Order(expressions=[exp.Ordered(this=column(alias, name), desc=True)]),
        )
        tree.select(exp.alias_(window, f"{name}_rank"), copy=False)
        change = Change(ChangeKind.ADD_RANK, label=view.label(table, name))
        yield Evolution(tree.sql(dialect="sqlite"), Operator.FUNC, change)
        yield from _partitioned(view, ctx, rng, (alias, table, name), pinned)


def _outer_joined(select: exp.Select) -> set[str]:
    """Aliases on the optional side of a LEFT JOIN (their columns are NULL where unmatched)."""
    return {
        join.alias_or_name
        for join in select.args.get("joins") or []
        if join.side.upper() in {"LEFT", "FULL"}
    }


def _text_equalities(view: QueryView, ctx: EvolveContext) -> list[tuple[exp.EQ, str, str]]:
    """`alias.col = 'text'` conjuncts of the WHERE on a categorical column: (node, table, col)."""
    where = view.select.args.get("where") if view.select is not None else None
    found: list[tuple[exp.EQ, str, str]] = []
    for node in where.find_all(exp.EQ) if where is not None else []:
        left, right = node.this, node.expression
        if not (isinstance(left, exp.Column) and isinstance(right, exp.Literal)):
            continue
        table = view.sources.get(left.table)
        if table and right.is_string and ctx.kind(table, left.name.lower()) is Kind.TEXT:
            found.append((node, table, left.name.lower()))
    return found


def feasible_op(view: QueryView, ctx: EvolveContext) -> float:
    if view.select is None:
        return 0.0
    if _text_equalities(view, ctx):
        return 1.0
    free = [
        s
        for s in sources_of(view, ctx, Kind.NUMBER, Kind.DATE)
        if s[2] not in where_columns(view.select)
    ]
    return 0.7 if free else 0.0


def propose_op(view: QueryView, ctx: EvolveContext, rng: random.Random) -> Iterator[Evolution]:
    if view.select is None:
        return
    yield from _widen(view, ctx, rng)
    used = where_columns(view.select)
    ranged = [s for s in sources_of(view, ctx, Kind.NUMBER, Kind.DATE) if s[2] not in used]
    rng.shuffle(ranged)
    for alias, table, name in ranged:
        kind = ctx.kind(table, name)
        if not view.aggregated and rng.random() < 0.5:
            yield from _band(view, ctx, rng, alias, table, name)
        values = ctx.values(table, name)
        lows = list(thresholds(values[: len(values) // 2 + 1], rng))
        highs = list(thresholds(values[len(values) // 2 :], rng))
        for low, high in zip(lows, highs, strict=False):
            tree = view.tree.copy()
            between = exp.Between(this=column(alias, name), low=literal(low), high=literal(high))
            tree.where(between, copy=False)
            change = Change(
                ChangeKind.ADD_BETWEEN,
                label=view.label(table, name),
                noun=words(table),
                op="between",
                values=(low, high),
                is_date=kind is Kind.DATE,
            )
            yield Evolution(tree.sql(dialect="sqlite"), Operator.OP, change)
        if not view.aggregated:
            yield from _band(view, ctx, rng, alias, table, name)


def _widen(view: QueryView, ctx: EvolveContext, rng: random.Random) -> Iterator[Evolution]:
    for index, (node, table, name) in enumerate(_text_equalities(view, ctx)):
        current = node.expression.name
        others = [v for v in ctx.values(table, name) if v != current]
        rng.shuffle(others)
        for other in others[:3]:
            tree = view.tree.copy()
            target = list(_text_equalities(view_of(tree), ctx))[index][0]
            target.replace(
                exp.In(this=target.this.copy(), expressions=[literal(current), literal(other)])
            )
            change = Change(
                ChangeKind.WIDEN_IN,
                label=words(name),
                op="in",
                values=(current, other),
                replaces=current,
                is_text=True,
            )
            yield Evolution(tree.sql(dialect="sqlite"), Operator.OP, change)


def _band(
    view: QueryView, ctx: EvolveContext, rng: random.Random, alias: str, table: str, name: str
) -> Iterator[Evolution]:
    is_date = ctx.kind(table, name) is Kind.DATE
    high, low = ("Recent", "Earlier") if is_date else ("High", "Low")
    if view.select is not None and any(
        p.alias_or_name == f"{name}_band" for p in view.select.expressions
    ):
        return  # a second band of the same column under the same name (session 10's reading)
    # An unmatched row of a LEFT JOIN (or a NULL) is neither 'Recent' nor 'Earlier': an ELSE
    # would put it in the lower band (session 10's reading).
    blank = not ctx.info.is_not_null(table, name) or (
        view.select is not None and alias in _outer_joined(view.select)
    )
    for cut in list(thresholds(ctx.values(table, name), rng))[:2]:
        tree = view.tree.copy()
        ifs = [
            exp.If(
                this=exp.GTE(this=column(alias, name), expression=literal(cut)),
                true=exp.Literal.string(high),
            )
        ]
        lower = exp.Literal.string(low)
        if blank:
            ifs.append(
                exp.If(this=exp.LT(this=column(alias, name), expression=literal(cut)), true=lower)
            )
        case = exp.Case(ifs=ifs, default=None if blank else lower)
        tree.select(exp.alias_(case, f"{name}_band"), copy=False)
        change = Change(
            ChangeKind.ADD_BAND,
            label=view.label(table, name),
            values=(cut, high, low),
            is_date=is_date,
            blank=blank,
        )
        yield Evolution(tree.sql(dialect="sqlite"), Operator.OP, change)


def view_of(tree: exp.Expr) -> QueryView:
    view = view_query(tree)
    assert view is not None, "a copy of a SELECT is a SELECT"
    return view


def _counted_label(view: QueryView, agg: exp.Expr) -> str | None:
    """A COUNT or an integer SUM of the SELECT list in words, or None (an average, a distinct
    count or a decimal total: its overall sum would be approximate or meaningless)."""
    if isinstance(agg, exp.Count) and not isinstance(agg.this, exp.Distinct):
        arg = agg.this
        alias = arg.table if isinstance(arg, exp.Column) else ""
        table = view.sources.get(alias) if alias else (view.main[1] if view.main else None)
        return f"number of {words(table)}" if table else None
    return None


def _group_windows(view: QueryView, rng: random.Random) -> Iterator[Evolution]:
    """On a grouped query: the overall total of a count it shows, or a rank by it."""
    if view.select is None or not view.select.args.get("group"):
        return
    if view.select.find(exp.Window) is not None:
        return
    counts = [
        (bare, label)
        for projection in view.select.expressions
        if isinstance(bare := projection.unalias(), exp.Count)
        and (label := _counted_label(view, bare)) is not None
    ]
    rng.shuffle(counts)
    for agg, label in counts:
        kinds = [True, False]
        rng.shuffle(kinds)
        for overall in kinds:
            tree = view.tree.copy()
            if overall:
                window = exp.Window(this=exp.func("SUM", agg.copy()))
                name, change = "overall", Change(ChangeKind.ADD_METRIC, label=label, word="overall")
            else:
                order = exp.Order(expressions=[exp.Ordered(this=agg.copy(), desc=True)])
                window = exp.Window(this=exp.func("RANK"), order=order)
                name, change = "rank", Change(ChangeKind.ADD_RANK, label=label)
            alias = f"{label.replace(' ', '_')}_{name}"
            tree.select(exp.alias_(window, alias), copy=False)
            yield Evolution(tree.sql(dialect="sqlite"), Operator.FUNC, change)


def _partitioned(
    view: QueryView,
    ctx: EvolveContext,
    rng: random.Random,
    source: tuple[str, str, str],
    pinned: set[tuple[str, str]],
) -> Iterator[Evolution]:
    """A row query's number ranked, or totalled, within each value of a categorical text column
    of the query (the template's "rank by price within each course", "total price within each
    course")."""
    if view.select is None:
        return
    alias, table, name = source
    parts = [
        (a, t, c)
        for a, t, c in sources_of(view, ctx, Kind.TEXT)
        if (a, c) not in pinned and ("", c) not in pinned and ctx.categorical(t, c)
    ]
    if not parts:
        return
    part_alias, part_table, part = rng.choice(parts)
    within = view.label(part_table, part)
    partition = [column(part_alias, part)]
    tree = view.tree.copy()
    # A total of a decimal column is summed in floating point by SQLite and exactly by
    # PostgreSQL: only whole numbers are totalled.
    whole = "INT" in ctx.info.type_of(table, name).upper()
    if not whole or rng.random() < 0.5:
        order = exp.Order(expressions=[exp.Ordered(this=column(alias, name), desc=True)])
        window = exp.Window(this=exp.func("RANK"), partition_by=partition, order=order)
        tree.select(exp.alias_(window, f"{name}_rank_in_{part}"), copy=False)
        change = Change(ChangeKind.ADD_RANK, label=view.label(table, name), within=within)
    else:
        window = exp.Window(this=exp.func("SUM", column(alias, name)), partition_by=partition)
        tree.select(exp.alias_(window, f"{part}_total_{name}"), copy=False)
        change = Change(
            ChangeKind.ADD_METRIC, label=view.label(table, name), word="total", within=within
        )
    yield Evolution(tree.sql(dialect="sqlite"), Operator.FUNC, change)
