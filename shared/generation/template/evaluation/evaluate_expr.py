"""Compile expression nodes into Python closures with SQL's NULL logic and the engine-agreement
checks of `eval_types` (computed floats compared within noise, ROUND exactly half-way)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from functools import lru_cache

from shared.generation.template.evaluation.eval_types import (
    EPSILON,
    Approx,
    Env,
    EvalError,
    Fn,
    Fragile,
    Inexact,
    Scope,
    Value,
    aggregate,
    children,
)
from shared.generation.template.instance.rowstore import RowStore
from shared.generation.template.sql import ir


def compile_node(node: ir.Expr, scope: Scope, store: RowStore) -> Fn:
    if isinstance(node, ir.Col):
        return _column(node, scope)
    if isinstance(node, ir.Lit):
        value = node.value
        return lambda _env: value
    if isinstance(node, ir.Star):
        return lambda _env: 1
    if isinstance(node, ir.Cmp):
        return _comparison(
            node.op, compile_node(node.left, scope, store), compile_node(node.right, scope, store)
        )
    if isinstance(node, ir.Between):
        low = _comparison(
            ">=", compile_node(node.expr, scope, store), compile_node(node.low, scope, store)
        )
        high = _comparison(
            "<=", compile_node(node.expr, scope, store), compile_node(node.high, scope, store)
        )
        return _and([low, high])
    if isinstance(node, ir.InList):
        return _in_values(
            compile_node(node.expr, scope, store),
            [compile_node(i, scope, store) for i in node.items],
            node.negate,
        )
    if isinstance(node, ir.IsNull):
        inner = compile_node(node.expr, scope, store)
        negate = node.negate
        return lambda env: (inner(env) is None) != negate
    if isinstance(node, ir.And):
        return _and([compile_node(i, scope, store) for i in node.items])
    if isinstance(node, ir.Or):
        return _or([compile_node(i, scope, store) for i in node.items])
    if isinstance(node, ir.Not):
        inner = compile_node(node.item, scope, store)
        return lambda env: _not(inner(env))
    if isinstance(node, ir.Arith):
        return _arith(
            node.op, compile_node(node.left, scope, store), compile_node(node.right, scope, store)
        )
    if isinstance(node, ir.Case):
        return _case(node, scope, store)
    if isinstance(node, ir.Func):
        return _func(node, scope, store)
    if isinstance(node, ir.Agg):
        return _agg(node, scope, store)
    if isinstance(node, ir.Win):
        win = node
        return lambda env: scope.windows[win][env.unit]
    if isinstance(node, ir.ScalarSub | ir.InSub | ir.Exists):
        return _subquery(node, scope, store)
    raise EvalError(f"cannot evaluate {type(node).__name__}")


def _column(node: ir.Col, scope: Scope) -> Fn:
    depth, at = 0, None
    found: Scope | None = scope
    while found is not None:
        at = found.slots.get((node.qual, node.name))
        if at is None and node.qual is None:
            at = found.outputs.get(node.name)
        if at is not None:
            break
        depth, found = depth + 1, found.parent
    if at is None:
        raise EvalError(f"column {node.qual}.{node.name} does not resolve")
    index: int = at
    if depth == 0:
        return lambda env: env.row[index]

    def outer(env: Env) -> Value:
        for _ in range(depth):
            assert env.outer is not None
            env = env.outer
        return env.row[index]

    return outer


def _close(a: Value, b: Value) -> bool:
    return bool(abs(a - b) <= EPSILON * max(1.0, abs(a), abs(b)))


def _comparison(op: str, left: Fn, right: Fn) -> Fn:
    def compare(env: Env) -> Value:
        a, b = left(env), right(env)
        if a is None or b is None:
            return None
        if (isinstance(a, Inexact) or isinstance(b, Inexact)) and (
            op in ("=", "<>") or _close(a, b)
        ):
            raise Fragile(f"computed value {a!r} {op} {b!r} is within float noise")
        if op == "=":
            return a == b
        if op == "<>":
            return a != b
        if op == "<":
            return a < b
        if op == "<=":
            return a <= b
        if op == ">":
            return a > b
        return a >= b

    return compare


def _in_values(expr: Fn, items: list[Fn], negate: bool) -> Fn:
    def test(env: Env) -> Value:
        value = expr(env)
        if value is None:
            return None
        options = [f(env) for f in items]
        found: Value = True if value in options else (None if None in options else False)
        return _not(found) if negate else found

    return test


def _not(value: Value) -> Value:
    return None if value is None else not value


def _and(items: list[Fn]) -> Fn:
    def conj(env: Env) -> Value:
        unknown = False
        for f in items:
            v = f(env)
            if v is False:
                return False
            unknown = unknown or v is None
        return None if unknown else True

    return conj


def _or(items: list[Fn]) -> Fn:
    def disj(env: Env) -> Value:
        unknown = False
        for f in items:
            v = f(env)
            if v is True:
                return True
            unknown = unknown or v is None
        return None if unknown else False

    return disj


def _arith(op: str, left: Fn, right: Fn) -> Fn:
    def calc(env: Env) -> Value:
        a, b = left(env), right(env)
        if a is None or b is None:
            return None
        out = a + b if op == "+" else (a - b if op == "-" else a * b)
        if isinstance(a, Approx) or isinstance(b, Approx):
            return Approx(out)
        return Inexact(out) if isinstance(out, float) else out

    return calc


def _case(node: ir.Case, scope: Scope, store: RowStore) -> Fn:
    whens = [(compile_node(c, scope, store), compile_node(v, scope, store)) for c, v in node.whens]
    default = compile_node(node.default, scope, store) if node.default is not None else None

    def choose(env: Env) -> Value:
        for cond, value in whens:
            if cond(env) is True:
                return value(env)
        return default(env) if default else None

    return choose


def _func(node: ir.Func, scope: Scope, store: RowStore) -> Fn:
    args = [compile_node(a, scope, store) for a in node.args]
    if node.name == "COALESCE":

        def coalesce(env: Env) -> Value:
            for f in args:
                v = f(env)
                if v is not None:
                    return v
            return None

        return coalesce
    if node.name == "ROUND":

        def round_half_away(env: Env) -> Value:
            value, digits = args[0](env), args[1](env)
            if value is None:
                return None
            scaled = abs(value) * 10**digits
            frac = scaled - math.floor(scaled)
            if isinstance(value, Inexact) and abs(frac - 0.5) < EPSILON:
                raise Fragile("ROUND of a value exactly half-way")
            rounded = math.copysign(math.floor(scaled + 0.5) / 10**digits, value)
            if isinstance(value, Approx):
                return Approx(rounded)
            return Inexact(rounded) if isinstance(value, float) else value

        return round_half_away
    raise EvalError(f"unknown function {node.name}")


def _agg(node: ir.Agg, scope: Scope, store: RowStore) -> Fn:
    func, distinct = node.func, node.distinct
    if isinstance(node.arg, ir.Star):

        def count_rows(env: Env) -> Value:
            if env.group is None:
                raise EvalError("aggregate outside a grouped select")
            return len(env.group)

        return count_rows
    arg = compile_node(node.arg, scope, store)

    def over_group(env: Env) -> Value:
        if env.group is None:
            raise EvalError("aggregate outside a grouped select")
        return aggregate(func, [arg(Env(r, env.outer)) for r in env.group], distinct)

    return over_group


def _subquery(node: ir.ScalarSub | ir.InSub | ir.Exists, scope: Scope, store: RowStore) -> Fn:
    from shared.generation.template.evaluation.evaluate import (
        run_query,  # circular: queries hold exprs
    )

    query = node.query
    free = sorted(free_columns(query), key=str)
    keys = [_column(ir.Col(q, n), scope) for q, n in free]
    memo: dict[tuple[Value, ...], list[Value]] = {}

    def first_column(env: Env) -> list[Value]:
        key = tuple(k(env) for k in keys)
        if key not in memo:
            result = run_query(store, query, scope, env, scope.ctes)
            memo[key] = [r[0] for r in result.rows]
        return memo[key]

    if isinstance(node, ir.Exists):
        negate = node.negate
        return lambda env: (len(first_column(env)) > 0) != negate
    if isinstance(node, ir.ScalarSub):

        def scalar(env: Env) -> Value:
            values = first_column(env)
            if len(values) > 1:
                raise EvalError("scalar subquery returned more than one row")
            return values[0] if values else None

        return scalar
    expr = compile_node(node.expr, scope, store)
    negate = node.negate

    def member(env: Env) -> Value:
        value = expr(env)
        values = first_column(env)
        if value is None:
            return None if values else (bool(negate))
        found: Value = True if value in values else (None if None in values else False)
        return _not(found) if negate else found

    return member


@lru_cache(maxsize=4096)
def free_columns(query: ir.Query) -> frozenset[tuple[str | None, str]]:
    """Columns a query reads from enclosing queries (correlation)."""
    used: set[tuple[str | None, str]] = set()
    defined: set[str] = set()
    for node in _query_nodes(query, defined):
        if isinstance(node, ir.Col) and node.qual is not None:
            used.add((node.qual, node.name))
    return frozenset((q, n) for q, n in used if q not in defined)


def _query_nodes(query: ir.Query, defined: set[str]) -> Iterator[ir.Expr]:
    for cte in query.ctes:
        defined.add(cte.name)
        yield from _query_nodes(cte.query, defined)
    yield from _body_nodes(query.body, defined)


def _body_nodes(body: ir.Body, defined: set[str]) -> Iterator[ir.Expr]:
    if isinstance(body, ir.SetOp):
        yield from _body_nodes(body.left, defined)
        yield from _body_nodes(body.right, defined)
        return
    for src in [body.source, *(j.source for j in body.joins)]:
        defined.add(src.alias)
        if isinstance(src, ir.Derived):
            yield from _query_nodes(src.query, defined)
    exprs = [i.expr for i in body.items] + [o.expr for o in body.order_by] + list(body.group_by)
    exprs += [e for e in (body.where, body.having) if e is not None]
    exprs += [j.on for j in body.joins if j.on is not None]
    for e in exprs:
        yield from _expr_nodes(e, defined)


def _expr_nodes(node: ir.Expr, defined: set[str]) -> Iterator[ir.Expr]:
    yield node
    if isinstance(node, ir.ScalarSub | ir.InSub | ir.Exists):
        yield from _query_nodes(node.query, defined)
    for child in children(node):
        yield from _expr_nodes(child, defined)
