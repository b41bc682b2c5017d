"""Compute a query tree's result in Python with SQL semantics, refusing engine-dependent ones.

The builder asks this module for the rows of partial queries (to pick HAVING thresholds or set
operation branches) and for the final result (to prove it is non-empty before any engine sees
it). `Fragile` is raised where SQLite, PostgreSQL and MariaDB could disagree: ties under ORDER BY
or inside ROW_NUMBER/LAG windows, NULLs whose sort position matters, computed SUM/AVG compared
within float noise, ROUND exactly half-way, deduplication over computed floats (see
`eval_types`), and for DML, key or foreign-key violations (see `evaluate_dml`).
"""

from __future__ import annotations

from collections.abc import Callable

from proto.common import JoinKind
from shared.generation.template.evaluation.eval_types import (
    Env,
    EvalError,
    Fragile,
    OutRow,
    Result,
    Scope,
    Value,
    aggregate,
    has_aggregate,
    refuse_approx,
    sort_positions,
    windows_in,
)
from shared.generation.template.evaluation.evaluate_expr import compile_node
from shared.generation.template.instance.rowstore import Row, RowStore
from shared.generation.template.sql import ir

# Joins beyond this many rows make evaluation slow and results unreadable: pick other tables.
MAX_JOINED = 1500

__all__ = [
    "EvalError",
    "Fragile",
    "Result",
    "combine_rows",
    "filter_rows",
    "joined_rows",
    "run_query",
    "run_statement",
]


def run_statement(store: RowStore, statement: ir.Statement) -> Result:
    """The result of a query, or for DML a one-row result holding the affected row count."""
    if isinstance(statement, ir.Query):
        return run_query(store, statement, None, None, {})
    from shared.generation.template.evaluation.evaluate_dml import run_dml  # DML reuses this module

    return run_dml(store, statement)


def run_query(
    store: RowStore,
    query: ir.Query,
    parent: Scope | None,
    outer: Env | None,
    ctes: dict[str, Result],
) -> Result:
    local = dict(ctes)
    for cte in query.ctes:
        local[cte.name] = run_query(store, cte.query, None, None, local)
    return _body(store, query.body, parent, outer, local)


def _body(
    store: RowStore, body: ir.Body, parent: Scope | None, outer: Env | None, ctes: dict[str, Result]
) -> Result:
    if isinstance(body, ir.Select):
        return _select(store, body, parent, outer, ctes)
    left = _body(store, body.left, parent, outer, ctes)
    right = _select(store, body.right, parent, outer, ctes)
    rows = combine_rows(body.op, left.rows, right.rows)
    names = left.names
    if body.order_by:
        at = [names.index(_output_name(o.expr)) for o in body.order_by]
        keys = [tuple(r[i] for i in at) for r in rows]
        perm = sort_positions(keys, [o.desc for o in body.order_by], rows)
        rows = [rows[i] for i in perm]
    if body.limit is not None:
        rows = rows[: body.limit]
    return Result(names, rows, ordered=bool(body.order_by))


def combine_rows(op: str, left: list[OutRow], right: list[OutRow]) -> list[OutRow]:
    """UNION [ALL], INTERSECT or EXCEPT of two branches' rows (order: first appearance)."""
    if op == "UNION ALL":
        return left + right
    refuse_approx(left + right, op)
    if op == "UNION":
        return list(dict.fromkeys(left + right))
    if op == "INTERSECT":
        keep = set(right)
        return [r for r in dict.fromkeys(left) if r in keep]
    drop = set(right)
    return [r for r in dict.fromkeys(left) if r not in drop]


def _output_name(node: ir.Expr) -> str:
    if not isinstance(node, ir.Col) or node.qual is not None:
        raise EvalError("ORDER BY after a set operation must name an output column")
    return node.name


def _source(
    store: RowStore, src: ir.Source, ctes: dict[str, Result]
) -> tuple[str, tuple[str, ...], list[Row]]:
    if isinstance(src, ir.TableRef):
        return src.alias, store.columns(src.table), list(store.rows(src.table))
    if isinstance(src, ir.CteRef):
        if src.name not in ctes:
            raise EvalError(f"unknown CTE {src.name}")
        return src.alias, ctes[src.name].names, ctes[src.name].rows
    res = run_query(store, src.query, None, None, ctes)
    return src.alias, res.names, res.rows


def _from(
    store: RowStore,
    sel: ir.Select,
    parent: Scope | None,
    outer: Env | None,
    ctes: dict[str, Result],
) -> tuple[Scope, list[Row]]:
    plain = isinstance(sel.source, ir.TableRef) and all(
        isinstance(j.source, ir.TableRef) for j in sel.joins
    )
    key = (sel.source, sel.joins)
    if plain and key in store.joins_memo:
        memo: tuple[dict[tuple[str | None, str], int], list[Row]]
        memo = store.joins_memo[key]  # type: ignore[assignment]
        return Scope(dict(memo[0]), parent, ctes), memo[1]
    scope, rows = _join_all(store, sel, parent, outer, ctes)
    if plain:
        if len(rows) > MAX_JOINED:
            raise Fragile(f"the joins produce {len(rows)} rows")
        if len(store.joins_memo) > 256:
            store.joins_memo.clear()
        store.joins_memo[key] = (dict(scope.slots), rows)
    return scope, rows


def _join_all(
    store: RowStore,
    sel: ir.Select,
    parent: Scope | None,
    outer: Env | None,
    ctes: dict[str, Result],
) -> tuple[Scope, list[Row]]:
    alias, names, rows = _source(store, sel.source, ctes)
    slots: dict[tuple[str | None, str], int] = {(alias, n): i for i, n in enumerate(names)}
    scope = Scope(slots, parent, ctes)
    width = len(names)
    for join in sel.joins:
        j_alias, j_names, j_rows = _source(store, join.source, ctes)
        for i, n in enumerate(j_names):
            slots[(j_alias, n)] = width + i
        left_width, width = width, width + len(j_names)
        if join.kind is JoinKind.CROSS or join.on is None:
            if len(rows) * len(j_rows) > MAX_JOINED:
                raise Fragile(f"the cross join makes {len(rows) * len(j_rows)} rows")
            rows = [r + s for r in rows for s in j_rows]
            continue
        rows = _join_rows(rows, j_rows, join, scope, store, outer, (left_width, len(j_names)))
    return scope, rows


def _join_rows(
    rows: list[Row],
    right: list[Row],
    join: ir.Join,
    scope: Scope,
    store: RowStore,
    outer: Env | None,
    widths: tuple[int, int],
) -> list[Row]:
    assert join.on is not None
    pad = (None,) * widths[1]
    right_alias = join.source.alias
    on = join.on
    # Foreign-key joins (one equality between a left and a right column) use a hash index.
    if (
        isinstance(on, ir.Cmp)
        and on.op == "="
        and isinstance(on.left, ir.Col)
        and isinstance(on.right, ir.Col)
        and (on.left.qual == right_alias) != (on.right.qual == right_alias)
    ):
        inner, other = (on.left, on.right) if on.left.qual == right_alias else (on.right, on.left)
        at = scope.slots[(inner.qual, inner.name)] - widths[0]
        index: dict[Value, list[Row]] = {}
        for s in right:
            if s[at] is not None:
                index.setdefault(s[at], []).append(s)
        key = compile_node(other, scope, store)
        joined: list[Row] = []
        for r in rows:
            matches = index.get(key(Env(r, outer)), [])
            joined.extend(r + s for s in matches)
            if not matches and join.kind is JoinKind.LEFT:
                joined.append(r + pad)
            if len(joined) > MAX_JOINED:
                raise Fragile(f"the joins produce more than {MAX_JOINED} rows")
        return joined
    test = compile_node(on, scope, store)
    joined = []
    for r in rows:
        matched = False
        for s in right:
            combined = r + s
            if test(Env(combined, outer)) is True:
                joined.append(combined)
                matched = True
        if not matched and join.kind is JoinKind.LEFT:
            joined.append(r + pad)
    return joined


def _select(
    store: RowStore,
    sel: ir.Select,
    parent: Scope | None,
    outer: Env | None,
    ctes: dict[str, Result],
) -> Result:
    scope, rows = _from(store, sel, parent, outer, ctes)
    if sel.where is not None:
        where = compile_node(sel.where, scope, store)
        rows = [r for r in rows if where(Env(r, outer)) is True]
    scope.outputs = {item.alias: i for i, item in enumerate(sel.items)}
    units = _units(store, sel, scope, rows, outer)
    _compute_windows(store, sel, scope, units)
    item_fns = [compile_node(item.expr, scope, store) for item in sel.items]
    out = [tuple(f(u) for f in item_fns) for u in units]
    if sel.distinct:
        refuse_approx(out, "DISTINCT")
    if sel.order_by:
        order_fns = [_order_fn(o.expr, scope, store) for o in sel.order_by]
        keys = [tuple(f(u, row) for f in order_fns) for u, row in zip(units, out, strict=True)]
        perm = sort_positions(keys, [o.desc for o in sel.order_by], out)
        out = [out[i] for i in perm]
    if sel.distinct:
        out = list(dict.fromkeys(out))
    if sel.limit is not None:
        out = out[: sel.limit]
    return Result(sel.names, out, ordered=bool(sel.order_by))


def _units(
    store: RowStore, sel: ir.Select, scope: Scope, rows: list[Row], outer: Env | None
) -> list[Env]:
    exprs = [i.expr for i in sel.items] + [o.expr for o in sel.order_by]
    exprs += [sel.having] if sel.having is not None else []
    if not sel.group_by and not any(has_aggregate(e) for e in exprs):
        units = [Env(r, outer) for r in rows]
    else:
        keys = [compile_node(g, scope, store) for g in sel.group_by]
        groups: dict[tuple[Value, ...], list[Row]] = {}
        for r in rows:
            env = Env(r, outer)
            groups.setdefault(tuple(k(env) for k in keys), []).append(r)
        if not sel.group_by and not groups:
            groups[()] = []
        blank = (None,) * len(scope.slots)
        units = [Env(g[0] if g else blank, outer, g) for g in groups.values()]
        if sel.having is not None:
            having = compile_node(sel.having, scope, store)
            units = [u for u in units if having(u) is True]
    for i, u in enumerate(units):
        u.unit = i
    return units


def _order_fn(node: ir.Expr, scope: Scope, store: RowStore) -> Callable[[Env, Row], Value]:
    if isinstance(node, ir.Col) and node.qual is None and node.name in scope.outputs:
        at = scope.outputs[node.name]
        return lambda _u, row: row[at]
    fn = compile_node(node, scope, store)
    return lambda u, _row: fn(u)


def _compute_windows(store: RowStore, sel: ir.Select, scope: Scope, units: list[Env]) -> None:
    exprs = [i.expr for i in sel.items] + [o.expr for o in sel.order_by]
    for win in dict.fromkeys(w for e in exprs for w in windows_in(e)):
        part_fns = [compile_node(p, scope, store) for p in win.partition]
        order_fns = [compile_node(o.expr, scope, store) for o in win.order]
        arg_fn = compile_node(win.arg, scope, store) if win.arg is not None else None
        values: list[Value] = [None] * len(units)
        parts: dict[tuple[Value, ...], list[int]] = {}
        for i, u in enumerate(units):
            parts.setdefault(tuple(f(u) for f in part_fns), []).append(i)
        # ROW_NUMBER, LAG and LEAD depend on the order of peers: ties there are fragile.
        ties = win.func not in ("ROW_NUMBER", "LAG", "LEAD")
        for members in parts.values():
            keys = [tuple(f(units[i]) for f in order_fns) for i in members]
            perm = sort_positions(keys, [o.desc for o in win.order], None, ties=ties)
            ordered = [members[p] for p in perm]
            okeys = [keys[p] for p in perm]
            args = [arg_fn(units[i]) if arg_fn else None for i in ordered]
            _fill_window(win, ordered, okeys, args, values)
        scope.windows[win] = values


def _fill_window(
    win: ir.Win,
    ordered: list[int],
    keys: list[tuple[Value, ...]],
    args: list[Value],
    values: list[Value],
) -> None:
    n = len(ordered)
    if win.func in ("LAG", "LEAD"):
        step = -1 if win.func == "LAG" else 1
        for pos, i in enumerate(ordered):
            other = pos + step
            values[i] = args[other] if 0 <= other < n else None
        return
    rank = dense = 0
    for pos, i in enumerate(ordered):
        if pos == 0 or keys[pos] != keys[pos - 1]:
            rank, dense = pos + 1, dense + 1
        if win.func == "ROW_NUMBER":
            values[i] = pos + 1
        elif win.func == "RANK":
            values[i] = rank
        elif win.func == "DENSE_RANK":
            values[i] = dense
        else:
            # With ORDER BY the default frame (RANGE) runs to the last peer of the current row.
            last = n - 1
            if win.order:
                last = pos
                while last + 1 < n and keys[last + 1] == keys[pos]:
                    last += 1
            values[i] = aggregate(win.func, args[: last + 1], distinct=False)


def joined_rows(
    store: RowStore, source: ir.Source, joins: tuple[ir.Join, ...]
) -> tuple[dict[tuple[str | None, str], int], list[Row]]:
    """The rows of FROM … JOIN … alone, with each (alias, column)'s position in them."""
    probe = ir.Select(items=(), source=source, joins=joins)
    scope, rows = _from(store, probe, None, None, {})
    return scope.slots, rows


def filter_rows(
    store: RowStore,
    slots: dict[tuple[str | None, str], int],
    rows: list[Row],
    preds: list[ir.Expr],
) -> list[Row]:
    """The rows every (uncorrelated) predicate keeps."""
    scope = Scope(dict(slots))
    tests = [compile_node(p, scope, store) for p in preds]
    return [r for r in rows if all(t(Env(r)) is True for t in tests)]
