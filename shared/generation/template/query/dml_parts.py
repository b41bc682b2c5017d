"""Pieces of data-manipulation statements: the changed column, HAVING on group sizes, and the
INSERT … SELECT shell (key offsets, CTE/derived wrappers, set operations, ORDER BY/LIMIT)."""

from __future__ import annotations

from dataclasses import replace

from proto.common import SqlFeature
from proto.sample import Scalar
from shared.generation.template.evaluation.eval_types import Fragile
from shared.generation.template.evaluation.evaluate import run_statement
from shared.generation.template.instance.rowstore import column_role
from shared.generation.template.query.chances import CHANCES
from shared.generation.template.query.context import Ctx
from shared.generation.template.query.fields import column_field
from shared.generation.template.query.predicates import column_filters, fmt, holds
from shared.generation.template.schema.schema_model import Column, ColumnType, Table
from shared.generation.template.schema.schema_model import ValueKind as ColumnKind
from shared.generation.template.sql import ir
from shared.generation.template.words.freeze import freeze_cond
from shared.generation.template.words.intent import Change, ChangeKind, ValueKind
from shared.generation.template.words.meaning import Cond, Meaning, SetPart

F = SqlFeature

# What people change for a set of rows at once (issue 13: "reprice a category by a percentage,
# close overdue orders"): a price, a fee or a wage is repriced; a stock or a capacity raised; a
# status, tier or stage moved on; an end, return or resolution date recorded. A recorded fact
# (an amount paid, a weight, minutes watched, a country, a date of birth) is corrected row by
# row, not raised by 20% for every row a condition picks: it is changed only when the table
# has nothing a person would change in bulk. Read from the column's label words.
REPRICED = frozenset(
    {"price", "fee", "rate", "wage", "salary", "premium", "rent", "budget", "limit"}
    | {"commission", "fare", "deductible", "compensation", "payroll", "allowance", "standing"}
)
RECORDED = frozenset(
    {"paid", "revenue", "total", "billed", "claimed", "settled", "estimated", "amount"}
    | {"charged", "spent", "used", "covered", "dispute", "loss", "balance", "tip"}
)
STOCKED = frozenset(
    {"stock", "hand", "capacity", "seats", "available", "limit", "reorder", "occupancy"}
    | {"spaces", "streams", "beds", "refills", "credits", "term", "length"}
)
STAGED = frozenset(
    {"status", "state", "stage", "phase", "priority", "tier", "level", "grade", "severity"}
    | {"visibility", "decision", "outcome", "result", "segment", "availability"}
)
CLOSING = frozenset(
    {"end", "closing", "completion", "cancellation", "deactivation", "discharge", "due"}
    | {"resolution", "return", "check-out", "withdrawal", "remediation", "restoration"}
    | {"delivery", "ship", "shipping", "refund", "last", "planned", "scheduled", "expiry"}
)


def changed_in_bulk(col: Column) -> bool:
    """Whether a person would change this column for every row a condition picks."""
    words = set(col.label.lower().split())
    if col.type is ColumnType.DECIMAL:
        return col.kind is ColumnKind.MONEY and bool(words & REPRICED) and not words & RECORDED
    if col.type is ColumnType.INTEGER:
        return bool(words & STOCKED)
    if col.type is ColumnType.DATE:
        return bool(words & CLOSING)
    return bool(words & STAGED)


def has_bulk_change(ctx: Ctx, table: str) -> bool:
    """Whether an UPDATE of `table` can make a change a person would make in bulk."""
    t = ctx.store.table(table)
    return any(
        changed_in_bulk(c)
        for c in t.columns
        if not c.filler and column_role(t, c) in ("measure", "category", "date")
    )


def change_column(
    ctx: Ctx,
    table: str,
    qual: str,
    current: dict[str, Scalar],
    dates: bool = True,
    held: dict[str, set[Scalar]] | None = None,
    filtered: frozenset[str] = frozenset(),
) -> tuple[str, ir.Expr, str, Change]:
    """(column, new value expression, words, typed change) for a column of `table` read as
    `qual`; the current (witness) row's value always changes, so the statement really writes.
    `held` gives, per column, the values the rows to change hold now: a value is never set
    that some of them already have ("set the segment to 'Residential' for tariffs whose
    segment is 'Residential' or 'Industrial'"). A column in `filtered` (a condition picks the
    rows by it) is never set to a value: "set the sex to 'Male' for the participants with sex
    other than 'Male'" sets it for everyone (a raise by a percentage stays: "raise the price
    by 20% for products under 50")."""
    held = held or {}
    t = ctx.store.table(table)
    options: list[tuple[str, ir.Expr, str, Change]] = []
    # A filler column (record status, creation date) is changed only when nothing else can be.
    real = [c for c in t.columns if not c.filler]
    for col in real + [c for c in t.columns if c.filler]:
        role = column_role(t, col)
        if role in ("key", "fk") or current.get(col.name) is None:
            continue
        ref = ir.Col(qual, col.name)
        value = current[col.name]
        if col.type is ColumnType.DECIMAL and role == "measure" and value:
            # 20% steps: cents x 1.2 (or 0.8, 1.4, 0.6) never end in a half cent, so ROUND
            # cannot tie (SQLite's binary floats round ties differently).
            pct = ctx.rng.choice([20, 40])
            up = ctx.rng.random() < CHANCES.price_up
            factor = round(1 + pct / 100 if up else 1 - pct / 100, 2)
            scaled = ir.Arith("*", ref, ir.Lit(factor))
            # A seed's floating column (REAL) stays unrounded: PostgreSQL has no
            # ROUND(double precision, int), and the engines' results are compared to 4 decimals.
            floating = col.sql_type == "REAL"
            expr = scaled if floating else ir.Func("ROUND", (scaled, ir.Lit(2)))
            verb = "raise" if up else "cut"
            kind = ChangeKind.RAISE_PCT if up else ChangeKind.CUT_PCT
            typed = Change(kind, t.noun, t.plural, col.label, amount=pct)
            options.append((col.name, expr, f"{verb} the {col.label} by {pct}%", typed))
        elif col.type is ColumnType.INTEGER and role == "measure":
            step = ctx.rng.choice([1, 5, 10])
            typed = Change(ChangeKind.ADD, t.noun, t.plural, col.label, amount=step)
            words = f"increase the {col.label} by {step}"
            options.append((col.name, ir.Arith("+", ref, ir.Lit(step)), words, typed))
        elif col.name in filtered:
            continue
        elif col.type is ColumnType.TEXT and role == "category":
            taken = held.get(col.name, set())
            others = [v for v in ctx.store.values(table, col.name) if v != value]
            others = [v for v in others if v not in taken]
            if others:
                new = ctx.rng.choice(others)
                typed = Change(ChangeKind.SET, t.noun, t.plural, col.label, new, ValueKind.TEXT)
                options.append((col.name, ir.Lit(new), f"set the {col.label} to '{new}'", typed))
        elif col.type is ColumnType.DATE and not col.after and dates:
            taken = held.get(col.name, set())
            others = [v for v in ctx.store.values(table, col.name) if v != value]
            others = [v for v in others if v not in taken]
            # The earlier date of a pair (opened before closed) stays on or before its later
            # date in every row changed: "set the activation date to 2025-03-09" of lines
            # deactivated in 2021 would end them before they start.
            bound = _later_bound(t, col.name, current, held)
            if bound is not None:
                others = [v for v in others if str(v) <= bound]
            if others:
                new = max(str(v) for v in others)
                typed = Change(ChangeKind.SET, t.noun, t.plural, col.label, new, ValueKind.DATE)
                options.append((col.name, ir.Lit(new), f"set the {col.label} to {new}", typed))
    if not options:
        raise Fragile(f"no column of {table} to change")
    fill = {c.name for c in t.columns if c.filler}
    options = [o for o in options if o[0] not in fill] or options
    bulk = {c.name for c in t.columns if changed_in_bulk(c)}
    options = [o for o in options if o[0] in bulk] or options
    column, change, words, typed = ctx.rng.choice(options)
    if ctx.wants(F.CASE):
        change, words, only = _case_change(
            ctx, table, qual, current, column, change, words, filtered
        )
        typed = replace(typed, only_if=freeze_cond(only, t.plural))
    return column, change, words, typed


def _later_bound(
    t: Table, column: str, current: dict[str, Scalar], held: dict[str, set[Scalar]]
) -> str | None:
    """The earliest value of the dates declared `after` this one, over the rows changed
    (`held`, else the current row): a new value must not pass it."""
    values: list[str] = []
    for c in t.columns:
        if c.after == column:
            rows = held.get(c.name) or {current.get(c.name)}
            values += [str(v) for v in rows if v is not None]
    return min(values) if values else None


def _case_change(
    ctx: Ctx,
    table: str,
    qual: str,
    current: dict[str, Scalar],
    column: str,
    expr: ir.Expr,
    words: str,
    filtered: frozenset[str] = frozenset(),
) -> tuple[ir.Expr, str, Cond]:
    """CASE WHEN <a condition the current row meets> THEN <new> ELSE <unchanged> END, on a
    column the rows are not picked by where one has such a condition ("only those with
    publication year above 1990" of books picked by publication year above 1990 leaves none
    unchanged)."""
    t = ctx.store.table(table)
    shuffled = ctx.rng.sample(list(t.columns), len(t.columns))
    # Filler columns last, and the columns the rows are picked by only when nothing else has
    # a condition the current row meets.
    for col in sorted(shuffled, key=lambda c: (c.name in filtered, c.filler)):
        f = column_field(t, col, qual)
        if f.role not in ("category", "measure", "date") or col.name == column:
            continue
        value = current.get(col.name)
        cands = [
            c
            for c in column_filters(f, value, ctx.store.values(table, col.name), ctx.rng)
            if holds(c[0], value) and c[1].op in ("eq", "gt", "ge", "lt", "in")
        ]
        if cands:
            pred, cond = ctx.rng.choice(cands)
            case = ir.Case(((pred, expr),), ir.Col(qual, column))
            shown = fmt(cond.values[0]) if cond.values else ""
            if cond.ctype is ColumnType.TEXT:
                shown = f"'{shown}'"
            where = f"where the {cond.label} {_op_words(cond.op)} {shown}"
            return case, f"{words} {where} (leaving the others unchanged)", cond
    raise Fragile("no condition for a CASE change")


def _op_words(op: str) -> str:
    return {
        "eq": "is",
        "gt": "is above",
        "ge": "is at least",
        "lt": "is below",
        "in": "is one of",
    }.get(op, op)


def having_count(
    ctx: Ctx, select: ir.Select, key_value: Scalar, counted: str = ""
) -> tuple[ir.Select, Cond | None]:
    """HAVING COUNT(*) >= k, with k one of the actual group sizes (so a group passes);
    `counted` is the plural noun of the joined rows counted ("with at least 2 such
    products"): "with at least 2 matching rows" names nothing a person counts."""
    probe = replace(select, items=(ir.Item(ir.Agg("COUNT", ir.Star()), "n"),), distinct=False)
    sizes = sorted({r[0] for r in run_statement(ctx.store, ir.Query(probe)).rows})
    if not sizes:
        raise Fragile("no groups")
    # k above the smallest size, so the HAVING leaves some rows out (a witnessed predicate).
    if len(sizes) < 2 and ctx.strict:
        raise Fragile("every group has the same size: HAVING would keep them all")
    k = ctx.rng.choice(sizes[1:] or sizes)
    having = ir.Cmp(">=", ir.Agg("COUNT", ir.Star()), ir.Lit(k))
    del key_value
    if k <= sizes[0]:
        # Every group passes (a lenient attempt with one group size): nothing to say.
        return replace(select, having=having), None
    label = f"number of such {counted}" if counted else "number of matching rows"
    return replace(select, having=having), Cond("ge", label, (k,), ColumnType.INTEGER)


def insert_wrappers(
    ctx: Ctx,
    target: str,
    core: ir.Select,
    columns: tuple[str, ...],
    offset: int,
    current: dict[str, Scalar],
    meaning: Meaning,
) -> tuple[ir.Insert, str]:
    """Shape INSERT INTO target (columns) SELECT … over `core` (which outputs the target's
    columns as they are): new keys, one changed column, and the planned wrappers."""
    t = ctx.store.table(target)
    pk = t.primary_key
    ctes: tuple[ir.Cte, ...] = ()
    source_select = core
    cte, derived = ctx.wants(F.CTE), ctx.wants(F.DERIVED_TABLE)
    if cte or derived:
        if cte:
            name = ctx.aliases.name(f"{t.plural.replace(' ', '_')}_to_copy")
            ctes = (ir.Cte(name, ir.Query(core)),)
            src: ir.Source = ir.CteRef(name, ctx.aliases.take(name))
            meaning.steps.append(f"a CTE named {name} selects the {t.plural} to copy")
            if derived:
                passthrough = ir.Select(
                    items=tuple(ir.Item(ir.Col(src.alias, c), c) for c in columns), source=src
                )
                src = ir.Derived(ir.Query(passthrough), ctx.aliases.name("picked"))
        else:
            src = ir.Derived(ir.Query(core), ctx.aliases.name("picked"))
        qual = src.alias
        source_select = ir.Select(
            items=tuple(ir.Item(ir.Col(qual, c), c) for c in columns), source=src
        )
    else:
        qual = _qual(core)
    window = ctx.wants(F.WINDOW)
    # No date literal in an INSERT's SELECT: under UNION, DISTINCT or GROUP BY PostgreSQL
    # types it as text, which a DATE column then refuses.
    column, value, change, typed = change_column(ctx, target, qual or target, current, dates=False)
    meaning.change = replace(typed, renumbered=True)

    def branch(select: ir.Select, shift: int) -> ir.Select:
        key = ir.Col(qual, pk)
        new_key: ir.Expr = ir.Arith("+", key, ir.Lit(shift))
        if window:
            number = ir.Win("ROW_NUMBER", None, (), (ir.Order(key),))
            new_key = ir.Arith("+", number, ir.Lit(shift))
        items = []
        for item in select.items:
            if item.alias == pk:
                items.append(ir.Item(new_key, pk))
            elif item.alias == column:
                items.append(ir.Item(value, column))
            else:
                items.append(item)
        return replace(select, items=tuple(items))

    body: ir.Body = branch(source_select, offset)
    if window:
        change = f"{change}, and number the new ids from {offset + 1} in id order"
    else:
        change = f"{change}, and shift their ids by {offset}"
    if ctx.wants(F.SET_OPERATION):
        body, part = _insert_set_op(ctx, source_select, branch, offset, window, ctes, target)
        meaning.set_op = part
    if ctx.wants(F.ORDER_BY) or ctx.wants(F.LIMIT):
        body = _order_limit(ctx, body, pk, ctes, meaning)
    return ir.Insert(target, columns, ir.Query(body, ctes)), change


def _insert_set_op(
    ctx: Ctx,
    select: ir.Select,
    branch: object,
    offset: int,
    window: bool,
    ctes: tuple[ir.Cte, ...],
    target: str,
) -> tuple[ir.SetOp, SetPart]:
    assert callable(branch)
    rows = run_statement(ctx.store, ir.Query(select, ctes)).rows
    if not rows:
        raise Fragile("nothing to copy")
    names = [i.alias for i in select.items]
    t = ctx.store.table(target)
    fields = [column_field(t, t.column(n), _qual(select)) for n in names]
    ops = ["UNION"] if window else ctx.rng.sample(["UNION", "INTERSECT", "EXCEPT"], 3)
    for op in ops:
        for _ in range(8):
            i = ctx.rng.randrange(len(fields))
            f = fields[i]
            if f.role not in ("category", "measure", "date", "name", "label"):
                continue
            row = ctx.rng.choice(rows)
            cands = [
                c
                for c in column_filters(f, row[i], [r[i] for r in rows], ctx.rng)
                if holds(c[0], row[i])
            ]
            if not cands:
                continue
            pred, cond = ctx.rng.choice(cands)
            left = branch(select, offset)
            right_src = replace(select, where=ir.conjoin([*ir.predicates_of(select.where), pred]))
            right = branch(right_src, offset * 2 if window else offset)
            node = ir.SetOp(op, left, right)
            result = run_statement(ctx.store, ir.Query(node, ctes)).rows
            left_rows = run_statement(ctx.store, ir.Query(left, ctes)).rows
            if result and (op == "UNION" or len(result) != len(left_rows)):
                return node, SetPart(op, [], [cond])
    raise Fragile("no set operation for the copy")


def _qual(select: ir.Select) -> str:
    for item in select.items:
        if isinstance(item.expr, ir.Col) and item.expr.qual:
            return item.expr.qual
    raise Fragile("no column to qualify")


def _order_limit(
    ctx: Ctx, body: ir.Body, pk: str, ctes: tuple[ir.Cte, ...], meaning: Meaning
) -> ir.Body:
    from shared.generation.template.words.meaning import Ordering

    if isinstance(body, ir.SetOp):
        body = replace(body, order_by=(ir.Order(ir.Col(None, pk)),))
    else:
        # Order by the source key (MariaDB rejects some window expressions in ORDER BY);
        # under DISTINCT the ORDER BY must name a selected expression instead.
        key = next(i.expr for i in body.items if i.alias == pk)
        if not body.distinct:
            key = ir.Col(_qual(body), pk)
        body = replace(body, order_by=(ir.Order(key),))
    meaning.order = Ordering("new id", False)
    if ctx.wants(F.LIMIT):
        size = len(run_statement(ctx.store, ir.Query(body, ctes)).rows)
        options = [k for k in (1, 2, 3, 5) if k < size] or [max(1, size)]
        k = ctx.rng.choice(options)
        body = replace(body, limit=k)
        meaning.limit = k
    return body
