"""A digest of a result set that compares equal across engines when the results are equal.

Values are normalised first, so each engine's own types meet: numbers (int, float, Decimal)
round to 4 decimal places with -0 → 0 and integral values as integers; bool → int; date and
time → ISO text (a datetime with a space, as SQL prints it; aware values in UTC); bytes → hex;
None → null. The digest also commits to the column count, spelled `c<count>:<sha256 prefix>`.

Order: rows are a multiset unless the top-level query has ORDER BY. Engines may order ties
differently, so an ordered digest compares *groups*: consecutive rows that share the values
of the ORDER BY terms that are projected columns form one group, each group is compared as a
multiset and the groups in order. ORDER BY terms that are not projected (an expression, a
hidden column, the CASE that sqlglot adds to emulate NULLS FIRST) are skipped; if none is
projected, the digest is a plain multiset, because without the key the engines' tie order is
indistinguishable from a different order.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation, localcontext
from itertools import groupby
from typing import Any

from sqlglot import exp

DECIMALS = 4
_QUANTUM = Decimal(1).scaleb(-DECIMALS)
# Beyond this magnitude a float carries no decimals worth rounding: compare 15 digits.
_FLOAT_DIGITS_LIMIT = Decimal(10) ** 15

OrderKey = int | str | None


@dataclass(frozen=True)
class OrderPlan:
    """The top-level ORDER BY terms as output positions (0-based) or output names."""

    ordered: bool = False
    keys: tuple[OrderKey, ...] = ()


def plan_order(expression: exp.Expr | None) -> OrderPlan:
    """Map each top-level ORDER BY term to a projected column, where one matches."""
    if not isinstance(expression, exp.Query):
        return OrderPlan()
    order = expression.args.get("order")
    if not isinstance(order, exp.Order) or not order.expressions:
        return OrderPlan()
    projections = list(expression.selects)
    keys = tuple(_map_order_key(term.this, projections) for term in order.expressions)
    return OrderPlan(True, keys)


def _map_order_key(term: exp.Expr, projections: list[exp.Expr]) -> OrderKey:
    if isinstance(term, exp.Literal) and not term.is_string and term.name.isdigit():
        position = int(term.name) - 1
        return position if 0 <= position < len(projections) else None
    for position, projection in enumerate(projections):
        if projection.unalias() == term:
            return position
    if isinstance(term, exp.Column) and not isinstance(term.this, exp.Star):
        if not term.table:
            for position, projection in enumerate(projections):
                if projection.alias_or_name.lower() == term.name.lower():
                    return position
        # SELECT * or a qualified column: resolve against the result's column names later.
        return term.name
    return None


def resolve_keys(plan: OrderPlan, columns: Sequence[str]) -> tuple[int, ...] | None:
    """Positions of the projected ORDER BY terms; None means compare as a multiset."""
    if not plan.ordered:
        return None
    lowered = [c.lower() for c in columns]
    positions: list[int] = []
    for key in plan.keys:
        if isinstance(key, int) and key < len(columns):
            positions.append(key)
        elif isinstance(key, str) and lowered.count(key.lower()) == 1:
            positions.append(lowered.index(key.lower()))
    return tuple(positions) or None


def normalise_value(value: Any) -> str:
    """One value as a typed token: n:<number>, s:<text>, x:<hex>, N for null."""
    if value is None:
        return "N"
    if isinstance(value, bool):
        return f"n:{int(value)}"
    if isinstance(value, int):
        return f"n:{value}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return f"n:{value}"
        return f"n:{_format_number(Decimal(repr(value)))}"
    if isinstance(value, Decimal):
        return f"n:{_format_number(value)}" if value.is_finite() else f"n:{float(value)}"
    if isinstance(value, str):
        return f"s:{value}"
    if isinstance(value, bytes | bytearray | memoryview):
        return f"x:{bytes(value).hex()}"
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return f"s:{value.isoformat(sep=' ')}"
    if isinstance(value, dt.date | dt.time):
        return f"s:{value.isoformat()}"
    if isinstance(value, dt.timedelta):
        return f"n:{_format_number(Decimal(str(value.total_seconds())))}"
    if isinstance(value, uuid.UUID):
        return f"s:{value}"
    if isinstance(value, list | tuple):
        return "a:" + json.dumps([normalise_value(v) for v in value])
    if isinstance(value, dict):
        return "s:" + json.dumps(value, sort_keys=True, default=str)
    return f"s:{value}"


def _format_number(value: Decimal) -> str:
    with localcontext() as ctx:
        ctx.prec = 60
        if abs(value) >= _FLOAT_DIGITS_LIMIT:
            return format(float(value), ".15g")
        try:
            rounded = value.quantize(_QUANTUM, rounding=ROUND_HALF_EVEN)
        except InvalidOperation:
            return format(float(value), ".15g")
        if rounded == rounded.to_integral_value():
            return str(int(rounded))  # also turns -0.0000 into 0
        return format(rounded.normalize(), "f")


def normalise_row(row: Iterable[Any]) -> list[str]:
    return [normalise_value(v) for v in row]


def digest_rows(
    rows: Sequence[Sequence[Any]], column_count: int, key_positions: Sequence[int] | None = None
) -> str:
    """Multiset digest, or group-ordered digest when key positions are given (see module)."""
    encoded = [(normalise_row(r), r) for r in rows]
    lines: list[str] = []
    if key_positions is None:
        lines = sorted(json.dumps(n, ensure_ascii=False) for n, _ in encoded)
    else:
        keyed = ((tuple(n[p] for p in key_positions), n) for n, _ in encoded)
        for _, group in groupby(keyed, key=lambda item: item[0]):
            lines.append("--group")
            lines.extend(sorted(json.dumps(n, ensure_ascii=False) for _, n in group))
    sha = hashlib.sha256(f"ordered={key_positions is not None}\n".encode())
    for line in lines:
        sha.update(line.encode())
        sha.update(b"\n")
    return f"c{column_count}:{sha.hexdigest()[:32]}"


def digest_tables(tables: Sequence[tuple[str, int, Sequence[Sequence[Any]]]]) -> str:
    """Digest of table contents after a write: each table a multiset, tables by name."""
    parts = [
        f"{name.lower().strip(chr(34) + '`')}={digest_rows(rows, columns)}"
        for name, columns, rows in tables
    ]
    sha = hashlib.sha256("\n".join(sorted(parts)).encode())
    return f"t{len(tables)}:{sha.hexdigest()[:32]}"
