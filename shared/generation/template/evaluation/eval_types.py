"""Shared pieces of the Python evaluator: values, environments, sorting and aggregation with
the checks that keep results identical on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from shared.generation.template.instance.rowstore import Row
from shared.generation.template.sql import ir

Value = Any
# Two computed numbers closer than this may compare differently on different engines.
EPSILON = 1e-6


class Fragile(Exception):
    """The query is valid but its result could differ between engines."""


class EvalError(Exception):
    """The tree is malformed (a builder bug), e.g. a column that does not resolve."""


class Inexact(float):
    """A float computed by arithmetic: SQLite's binary floats and PostgreSQL's exact numerics
    may fall on different sides of a nearby threshold."""


class Approx(Inexact):
    """A float computed by SUM or AVG: engines may also differ in its last bits between two
    rows that hold the same values (summation order), so it must not be deduplicated."""


# A result row: scalars, or the float subclasses above.
OutRow = tuple[Value, ...]


@dataclass(frozen=True)
class Result:
    names: tuple[str, ...]
    rows: list[OutRow]
    ordered: bool = False


@dataclass
class Env:
    """One evaluation unit: a row (the first row of a group when grouped), its outer row for
    correlated subqueries, the group's rows, and its position (for window values)."""

    row: Row
    outer: Env | None = None
    group: list[Row] | None = None
    unit: int = 0


@dataclass
class Scope:
    slots: dict[tuple[str | None, str], int]
    parent: Scope | None = None
    ctes: dict[str, Result] = field(default_factory=dict)
    windows: dict[ir.Win, list[Value]] = field(default_factory=dict)
    outputs: dict[str, int] = field(default_factory=dict)


Fn = Callable[[Env], Value]


def refuse_approx(rows: Iterable[Row], what: str) -> None:
    """Deduplication (DISTINCT, UNION, INTERSECT, EXCEPT) over computed floats is fragile when
    two rows could meet: SQLite may see two sums as different where PostgreSQL sees them
    equal. Rows that differ in an exact column never meet, whatever their floats."""
    seen: set[tuple[Value, ...]] = set()
    for r in rows:
        if not any(isinstance(v, Approx) for v in r):
            continue
        key = tuple(round(v, 6) if isinstance(v, Approx) else v for v in r)
        if key in seen:
            raise Fragile(f"{what} compares computed floats")
        seen.add(key)


def aggregate(func: str, values: list[Value], distinct: bool) -> Value:
    present = [v for v in values if v is not None]
    if distinct:
        present = list(dict.fromkeys(present))
    if func == "COUNT":
        return len(present)
    if not present:
        return None
    if func == "MIN":
        return min(present)
    if func == "MAX":
        return max(present)
    total = sum(present)
    if func == "SUM":
        return Approx(total) if isinstance(total, float) else total
    return Approx(total / len(present))


def _compare(a: Value, b: Value, nulls_small: bool) -> int:
    if a is None or b is None:
        if a is None and b is None:
            return 0
        return (-1 if a is None else 1) if nulls_small else (1 if a is None else -1)
    return -1 if a < b else (1 if a > b else 0)


def _sorted(keys: list[tuple[Value, ...]], descs: list[bool], nulls_small: bool) -> list[int]:
    def cmp(i: int, j: int) -> int:
        for a, b, desc in zip(keys[i], keys[j], descs, strict=True):
            c = _compare(a, b, nulls_small)
            if c:
                return -c if desc else c
        return 0

    return sorted(range(len(keys)), key=functools.cmp_to_key(cmp))


def sort_positions(
    keys: list[tuple[Value, ...]], descs: list[bool], rows: list[Row] | None, *, ties: bool = False
) -> list[int]:
    """Positions in ORDER BY order. Fragile when NULL placement decides the order, or when two
    positions tie (unless `ties`, or unless their `rows` are identical, so order is moot)."""
    perm = _sorted(keys, descs, nulls_small=True)
    if any(v is None for k in keys for v in k) and perm != _sorted(keys, descs, False):
        raise Fragile("NULLs decide the sort order (engines place them differently)")
    folded = [tuple(v.casefold() if isinstance(v, str) else v for v in k) for k in keys]
    if folded != keys and _sorted(folded, descs, nulls_small=True) != perm:
        # MariaDB's default collation ignores case; SQLite and PostgreSQL (C) do not:
        # "macOS 14" sorts after "Windows 11" on two engines and before it on the third.
        raise Fragile("letter case decides the text order (collations differ)")
    if not ties:
        for a, b in itertools.pairwise(perm):
            if keys[a] == keys[b] and (rows is None or rows[a] != rows[b]):
                raise Fragile("rows tie under ORDER BY")
    return perm


def walk(exprs: Iterable[ir.Expr]) -> Iterator[ir.Expr]:
    """Every node of the expressions, depth first (not descending into subqueries)."""
    stack = list(exprs)
    while stack:
        node = stack.pop()
        yield node
        stack.extend(children(node))


def children(node: ir.Expr) -> list[ir.Expr]:
    """Direct sub-expressions (not descending into subqueries)."""
    if isinstance(node, ir.Cmp | ir.Arith):
        return [node.left, node.right]
    if isinstance(node, ir.Between):
        return [node.expr, node.low, node.high]
    if isinstance(node, ir.InList):
        return [node.expr, *node.items]
    if isinstance(node, ir.IsNull | ir.InSub):
        return [node.expr]
    if isinstance(node, ir.And | ir.Or):
        return list(node.items)
    if isinstance(node, ir.Not):
        return [node.item]
    if isinstance(node, ir.Case):
        out = [e for pair in node.whens for e in pair]
        return out + ([node.default] if node.default is not None else [])
    if isinstance(node, ir.Func):
        return list(node.args)
    if isinstance(node, ir.Agg):
        return [node.arg]
    if isinstance(node, ir.Win):
        return [*([node.arg] if node.arg else []), *node.partition, *(o.expr for o in node.order)]
    return []


def has_aggregate(node: ir.Expr) -> bool:
    """Whether an aggregate occurs outside windows and subqueries."""
    if isinstance(node, ir.Agg):
        return True
    if isinstance(node, ir.Win):
        return False
    return any(has_aggregate(c) for c in children(node))


def windows_in(node: ir.Expr) -> Iterable[ir.Win]:
    if isinstance(node, ir.Win):
        yield node
        return
    for child in children(node):
        yield from windows_in(child)
