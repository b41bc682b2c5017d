"""The structural pattern of a query: its shape with identifiers and literals abstracted.

Turing counts "unique SQL patterns": parse, keep the clauses, recurse into subqueries, and
replace column names, table names and values with placeholders. Here that means (docs/features.md
has the full list): columns become `c`, tables and CTE names `t`, literals `?`, aliases go,
join keywords are normalised, runs of identical items in a list collapse to one, and the tree is
printed in sqlglot's dialect-neutral SQL, so the three dialect spellings of a query meet.

The feature walker calls `abstract_node` on every node during its single pass; the functions at
the bottom are the standalone entry points.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

from sqlglot import exp
from sqlglot.errors import ErrorLevel

from shared.sql.feature_roles import is_helper, join_condition, join_kind

COLUMN = "c"
TABLE = "t"

# (node type, arg) whose list items collapse when consecutive ones are identical once abstracted:
# SELECT a, b FROM x and SELECT a, b, c FROM x share a shape; IN (1, 2, 3) is IN (?).
_COLLAPSIBLE: dict[type[exp.Expr], str] = {
    exp.Select: "expressions",
    exp.Group: "expressions",
    exp.Order: "expressions",
    exp.In: "expressions",
    exp.Tuple: "expressions",
    exp.Values: "expressions",
    exp.Schema: "expressions",
    exp.Update: "expressions",
    exp.Distinct: "expressions",
    exp.Window: "partition_by",
}
_VALUES: tuple[type[exp.Expr], ...] = (exp.Literal, exp.Boolean, exp.Placeholder, exp.Parameter)
_PRUNE: tuple[exp.Expr, ...] = ()

_DType = exp.DataType.Type
_TYPE_FAMILIES: dict[object, object] = {
    **dict.fromkeys(exp.DataType.INTEGER_TYPES, _DType.INT),
    **dict.fromkeys(exp.DataType.REAL_TYPES, _DType.DOUBLE),
    **dict.fromkeys(exp.DataType.TEXT_TYPES, _DType.TEXT),
    **dict.fromkeys(exp.DataType.TEMPORAL_TYPES, _DType.TIMESTAMP),
    _DType.DATE: _DType.DATE,
    _DType.DATE32: _DType.DATE,
    _DType.TIME: _DType.TIME,
    _DType.TIMETZ: _DType.TIME,
}

ListOwner = tuple[exp.Expr, str]


def abstract_node(node: exp.Expr, owners: list[ListOwner]) -> Sequence[exp.Expr] | None:
    """Abstract one node in place (its parent is already done).

    Returns the children still to visit when they differ from the node's own (an empty tuple
    prunes), or None to visit its children as usual. Lists to collapse are appended to
    `owners` in visiting order, parents before children.
    """
    cls = type(node)
    try:
        handler = _HANDLERS[cls]
    except KeyError:
        handler = _HANDLERS[cls] = _pick_handler(cls)
    children = None if handler is None else handler(node)
    key = _COLLAPSIBLE.get(cls)
    if key is not None:
        owners.append((node, key))
    return children


_Handler = Callable[[Any], Sequence[exp.Expr] | None]
# Handler per node class, filled on first sight (most classes have none).
_HANDLERS: dict[type[exp.Expr], _Handler | None] = {}


def _pick_handler(cls: type[exp.Expr]) -> _Handler | None:
    if issubclass(cls, _VALUES):
        return _to_placeholder
    if issubclass(cls, exp.Func) and (cls is exp.Cast or cls.__name__.startswith("TsOrDs")):
        return _unwrap_helper
    exact: dict[type[exp.Expr], _Handler] = {
        exp.Column: _abstract_column,
        exp.Table: _abstract_table,
        exp.Identifier: _abstract_identifier,
        exp.Alias: _unwrap,
        exp.TableAlias: _abstract_table_alias,
        exp.DataType: _abstract_type,
        exp.Neg: _abstract_negative,
        exp.Div: _drop_safe_flag,
        exp.DPipe: _drop_safe_flag,
        exp.Join: _normalise_join,
        exp.Anonymous: _upper_function_name,
        exp.Ordered: _drop_null_ordering,
    }
    return exact.get(cls)


def _to_placeholder(node: exp.Expr) -> Sequence[exp.Expr]:
    node.replace(exp.Placeholder())
    return _PRUNE


def _abstract_negative(node: exp.Expr) -> Sequence[exp.Expr] | None:
    return _to_placeholder(node) if isinstance(node.this, exp.Literal) else None


def _abstract_identifier(node: exp.Expr) -> Sequence[exp.Expr]:
    node.set("this", COLUMN)
    node.set("quoted", False)
    return _PRUNE


def _unwrap(node: exp.Expr) -> Sequence[exp.Expr]:
    """Replace the node by what it wraps (an alias is a name, a helper is sqlglot's)."""
    inner = node.this
    while is_helper(inner):
        inner = inner.this
    node.replace(inner)
    return (inner,)


def _unwrap_helper(node: exp.Expr) -> Sequence[exp.Expr] | None:
    return _unwrap(node) if is_helper(node) else None


def _drop_null_ordering(node: exp.Expr) -> None:
    """sqlglot stores each dialect's default NULLS FIRST/LAST as if written (PostgreSQL sorts
    nulls first in DESC, SQLite and MySQL last) and cannot tell it from an explicit one; set
    the neutral dialect's default so the pattern never prints a null ordering."""
    node.set("nulls_first", not node.args.get("desc"))


def _upper_function_name(node: exp.Expr) -> None:
    """Unknown functions print as written; julianday(x) and JULIANDAY(x) are one shape."""
    node.set("this", str(node.this).upper())


def _abstract_table_alias(node: exp.Expr) -> Sequence[exp.Expr]:
    if isinstance(node.parent, exp.CTE):
        node.set("this", exp.to_identifier(TABLE))
        node.set("columns", None)
    else:
        node.pop()
    return _PRUNE


def _drop_safe_flag(node: exp.Expr) -> None:
    """sqlglot flags SQLite/MySQL division as "safe" and prints NULLIF(y, 0) around the divisor;
    that is a dialect reading, not something the author wrote."""
    node.set("safe", None)
    node.set("typed", None)


def _abstract_column(node: exp.Expr) -> Sequence[exp.Expr]:
    if not isinstance(node.this, exp.Star):
        node.set("this", exp.to_identifier(COLUMN))
    for part in ("table", "db", "catalog"):
        if node.args.get(part) is not None:
            node.set(part, None)
    return _PRUNE


def _abstract_table(node: exp.Expr) -> Sequence[exp.Expr] | None:
    if not isinstance(node.this, exp.Identifier):
        return None  # a table function: its call shape is structure
    node.set("this", exp.to_identifier(TABLE))
    for part in ("db", "catalog", "alias"):
        if node.args.get(part) is not None:
            node.set(part, None)
    return tuple(child for child in node.iter_expressions() if child.arg_key != "this")


def _abstract_type(node: exp.Expr) -> Sequence[exp.Expr]:
    """Collapse a type to its family: dialects spell the same cast differently (REAL, FLOAT,
    DOUBLE PRECISION; VARCHAR(30), TEXT), and the length is a value, not structure."""
    family = _TYPE_FAMILIES.get(node.this)
    if family is not None:
        node.set("this", family)
    if node.args.get("expressions"):
        node.set("expressions", None)
    return _PRUNE


def _normalise_join(node: exp.Expr) -> None:
    """Spell each join kind one way: JOIN, LEFT JOIN, ..., CROSS JOIN (a comma join is one)."""
    assert isinstance(node, exp.Join)
    kind = join_kind(node)
    side = kind.value.upper() if kind.value in ("left", "right", "full") else None
    node.set("side", side)
    node.set("kind", "CROSS" if kind.value == "cross" else None)
    if kind.value == "cross":
        node.set("method", None)
        if node.args.get("on") is not None and join_condition(node) is None:
            node.set("on", None)  # ON TRUE: see join_condition


def collapse_lists(owners: list[ListOwner]) -> None:
    """Collapse runs of identical items; children first, so items compare in final form."""
    for owner, key in reversed(owners):
        items = owner.args.get(key)
        if not isinstance(items, list) or len(items) < 2:
            continue
        kept = [items[0]]
        for item in items[1:]:
            if item != kept[-1]:
                kept.append(item)
        if len(kept) < len(items):
            owner.set(key, kept)


def render_pattern(statements: Sequence[exp.Expr]) -> str:
    """Print abstracted statements in sqlglot's dialect-neutral SQL, one line, no comments."""
    return "; ".join(
        statement.sql(copy=False, comments=False, unsupported_level=ErrorLevel.IGNORE)
        for statement in statements
    )


def pattern_hash(pattern: str) -> str:
    """A short stable identifier of a pattern (16 hex digits of BLAKE2b)."""
    return hashlib.blake2b(pattern.encode("utf-8"), digest_size=8).hexdigest()
