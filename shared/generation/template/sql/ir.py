"""The query tree the template engine builds: a small, typed subset of SQL.

Every node is a frozen dataclass, so trees are hashable and `dataclasses.replace` makes
variants. The subset is exactly what runs unchanged on SQLite, PostgreSQL and MariaDB/MySQL;
`render.py` turns a tree into a sqlglot tree and SQL text, `evaluate.py` computes its result in
Python (which is how the builder proves a query returns rows before any engine sees it).
"""

from __future__ import annotations

from dataclasses import dataclass

from proto.common import JoinKind
from proto.sample import Scalar

# Comparison operators the tree may hold; all behave alike on the three engines.
COMPARISONS = ("=", "<>", "<", "<=", ">", ">=")
# Aggregates; AVG is always wrapped in ROUND(…, 2) by the builder (engines differ in precision).
AGGREGATES = ("COUNT", "SUM", "AVG", "MIN", "MAX")
# Window functions; ranking ones take no argument.
RANKING = ("ROW_NUMBER", "RANK", "DENSE_RANK")
WINDOW_FUNCS = (*RANKING, "SUM", "COUNT", "MIN", "MAX", "LAG", "LEAD")
SET_OPS = ("UNION", "UNION ALL", "INTERSECT", "EXCEPT")


class Expr:
    """Base of expression nodes."""

    __slots__ = ()


@dataclass(frozen=True)
class Col(Expr):
    """A column: `qual` is a table alias, a CTE/derived alias, a DML target table, or None for
    an output name (ORDER BY of a set operation)."""

    qual: str | None
    name: str


@dataclass(frozen=True)
class Lit(Expr):
    value: Scalar


@dataclass(frozen=True)
class Star(Expr):
    """`*` inside COUNT(*)."""


@dataclass(frozen=True)
class Cmp(Expr):
    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Between(Expr):
    expr: Expr
    low: Expr
    high: Expr


@dataclass(frozen=True)
class InList(Expr):
    expr: Expr
    items: tuple[Expr, ...]
    negate: bool = False


@dataclass(frozen=True)
class IsNull(Expr):
    expr: Expr
    negate: bool = False


@dataclass(frozen=True)
class And(Expr):
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Or(Expr):
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Not(Expr):
    item: Expr


@dataclass(frozen=True)
class Arith(Expr):
    op: str  # + - *
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Case(Expr):
    whens: tuple[tuple[Expr, Expr], ...]
    default: Expr | None = None


@dataclass(frozen=True)
class Func(Expr):
    """A portable scalar function: ROUND(x, n) or COALESCE(x, y)."""

    name: str
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Agg(Expr):
    func: str
    arg: Expr  # Star() for COUNT(*)
    distinct: bool = False


@dataclass(frozen=True)
class Order:
    expr: Expr
    desc: bool = False


@dataclass(frozen=True)
class Win(Expr):
    func: str
    arg: Expr | None = None
    partition: tuple[Expr, ...] = ()
    order: tuple[Order, ...] = ()


@dataclass(frozen=True)
class ScalarSub(Expr):
    query: Query


@dataclass(frozen=True)
class InSub(Expr):
    expr: Expr
    query: Query
    negate: bool = False


@dataclass(frozen=True)
class Exists(Expr):
    query: Query
    negate: bool = False


# ---- sources -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TableRef:
    table: str
    alias: str


@dataclass(frozen=True)
class CteRef:
    name: str
    alias: str


@dataclass(frozen=True)
class Derived:
    query: Query
    alias: str


Source = TableRef | CteRef | Derived


@dataclass(frozen=True)
class Join:
    source: Source
    kind: JoinKind
    on: Expr | None = None


# ---- queries -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    expr: Expr
    alias: str


@dataclass(frozen=True)
class Select:
    items: tuple[Item, ...]
    source: Source
    joins: tuple[Join, ...] = ()
    where: Expr | None = None
    group_by: tuple[Expr, ...] = ()
    having: Expr | None = None
    order_by: tuple[Order, ...] = ()
    limit: int | None = None
    distinct: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(item.alias for item in self.items)


@dataclass(frozen=True)
class SetOp:
    op: str
    left: Select | SetOp
    right: Select
    # Output names only (Col(None, name)): SQLite and PostgreSQL require it after a set op.
    order_by: tuple[Order, ...] = ()
    limit: int | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return self.left.names


Body = Select | SetOp


@dataclass(frozen=True)
class Cte:
    name: str
    query: Query


@dataclass(frozen=True)
class Query:
    body: Body
    ctes: tuple[Cte, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return self.body.names


@dataclass(frozen=True)
class Update:
    table: str
    sets: tuple[tuple[str, Expr], ...]
    where: Expr | None = None


@dataclass(frozen=True)
class Delete:
    table: str
    where: Expr | None = None


@dataclass(frozen=True)
class Insert:
    """INSERT … SELECT `query`, or, with `query` None, INSERT … VALUES (`values`): one row."""

    table: str
    columns: tuple[str, ...]
    query: Query | None
    values: tuple[Expr, ...] = ()


Statement = Query | Update | Delete | Insert


def conjoin(preds: list[Expr] | tuple[Expr, ...]) -> Expr | None:
    """AND of the predicates (None when there are none, the predicate itself when one)."""
    items = tuple(preds)
    if not items:
        return None
    return items[0] if len(items) == 1 else And(items)


def predicates_of(where: Expr | None) -> tuple[Expr, ...]:
    """The conjuncts of a WHERE/HAVING clause."""
    if where is None:
        return ()
    return where.items if isinstance(where, And) else (where,)
