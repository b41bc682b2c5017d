"""Predicates that filter nothing or everything: contradictions and tautologies."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlglot import exp

from shared.sense.roles import is_non_negative_name
from shared.sense.scopes import SelectScope, conjuncts, having_of, owner, where_of

if TYPE_CHECKING:
    from shared.sense.record import ParsedRecord, SchemaInfo

Value = float | str


def literal_value(node: exp.Expr) -> Value | None:
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal):
        value = literal_value(node.this)
        return -value if isinstance(value, float) else None
    if not isinstance(node, exp.Literal):
        return None
    if node.is_string:
        return str(node.this)
    try:
        return float(node.this)
    except ValueError:
        return None


@dataclass
class _Bounds:
    equals: set[Value] = field(default_factory=set)
    not_equals: set[Value] = field(default_factory=set)
    in_sets: list[set[Value]] = field(default_factory=list)
    not_in: set[Value] = field(default_factory=set)
    low: tuple[Value, bool] | None = None  # (value, inclusive)
    high: tuple[Value, bool] | None = None

    def raise_low(self, value: Value, inclusive: bool) -> None:
        if self.low is None or _gt(value, self.low[0]) or (value == self.low[0] and not inclusive):
            self.low = (value, inclusive)

    def lower_high(self, value: Value, inclusive: bool) -> None:
        if (
            self.high is None
            or _gt(self.high[0], value)
            or (value == self.high[0] and not inclusive)
        ):
            self.high = (value, inclusive)


def _gt(a: Value, b: Value) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a > b
    if isinstance(a, str) and isinstance(b, str):
        return a > b
    return False


def _comparable(a: Value, b: Value) -> bool:
    return isinstance(a, float) == isinstance(b, float)


_FLIP = {exp.GT: exp.LT, exp.GTE: exp.LTE, exp.LT: exp.GT, exp.LTE: exp.GTE}


def _column_key(column: exp.Column, scope: SelectScope, schema: SchemaInfo) -> str:
    source = owner(column, scope, schema)
    return f"{source.alias if source else column.table.lower()}.{column.name.lower()}"


def _collect(parts: list[exp.Expr], scope: SelectScope, schema: SchemaInfo) -> dict[str, _Bounds]:
    bounds: dict[str, _Bounds] = {}
    for part in parts:
        negated = isinstance(part, exp.Not)
        inner = part.this if negated else part
        if isinstance(inner, exp.In) and isinstance(inner.this, exp.Column):
            values = [literal_value(v) for v in inner.expressions]
            if not values or any(v is None for v in values) or inner.args.get("query"):
                continue
            entry = bounds.setdefault(_column_key(inner.this, scope, schema), _Bounds())
            kept = {v for v in values if v is not None}
            if negated:
                entry.not_in |= kept
            else:
                entry.in_sets.append(kept)
            continue
        if negated:
            continue
        if isinstance(inner, exp.Between) and isinstance(inner.this, exp.Column):
            low, high = literal_value(inner.args["low"]), literal_value(inner.args["high"])
            if low is None or high is None:
                continue
            entry = bounds.setdefault(_column_key(inner.this, scope, schema), _Bounds())
            entry.raise_low(low, True)
            entry.lower_high(high, True)
            continue
        kind = type(inner)
        if kind not in (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE):
            continue
        left, right = inner.this, inner.expression
        if isinstance(right, exp.Column) and not isinstance(left, exp.Column):
            left, right = right, left
            kind = _FLIP.get(kind, kind)
        value = literal_value(right)
        if not isinstance(left, exp.Column) or value is None:
            continue
        entry = bounds.setdefault(_column_key(left, scope, schema), _Bounds())
        if kind is exp.EQ:
            entry.equals.add(value)
        elif kind is exp.NEQ:
            entry.not_equals.add(value)
        elif kind in (exp.GT, exp.GTE):
            entry.raise_low(value, kind is exp.GTE)
        else:
            entry.lower_high(value, kind is exp.LTE)
    return bounds


def _empty(entry: _Bounds) -> str | None:
    """Why no value satisfies every predicate on one column, or None."""
    if len(entry.equals) > 1:
        return "equals " + " and ".join(_show(v) for v in sorted(entry.equals, key=str))
    allowed: set[Value] | None = set(entry.equals) if entry.equals else None
    for values in entry.in_sets:
        allowed = set(values) if allowed is None else allowed & values
    if allowed is not None:
        allowed -= entry.not_in | entry.not_equals
        allowed = {v for v in allowed if _within(v, entry)}
        if not allowed:
            return "admits no value (its equality/IN lists exclude each other or the range)"
    if entry.low is not None and entry.high is not None:
        (low, low_inc), (high, high_inc) = entry.low, entry.high
        if _comparable(low, high) and (
            _gt(low, high) or (low == high and not (low_inc and high_inc))
        ):
            return f"has an empty range (from {_show(low)} to {_show(high)})"
    return None


def _within(value: Value, entry: _Bounds) -> bool:
    if entry.low is not None and _comparable(value, entry.low[0]):
        low, inclusive = entry.low
        if _gt(low, value) or (value == low and not inclusive):
            return False
    if entry.high is not None and _comparable(value, entry.high[0]):
        high, inclusive = entry.high
        if _gt(value, high) or (value == high and not inclusive):
            return False
    return True


def _show(value: Value) -> str:
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    return repr(value)


def find_contradictions(scope: SelectScope, schema: SchemaInfo) -> Iterator[str]:
    for clause, condition in (
        ("WHERE", where_of(scope.select)),
        ("HAVING", having_of(scope.select)),
    ):
        for key, entry in _collect(conjuncts(condition), scope, schema).items():
            reason = _empty(entry)
            if reason is not None:
                column = key.split(".", 1)[1]
                yield (
                    f"the {clause} on {column} {reason}: no row can match; keep the predicate "
                    "the question asks for and drop the other"
                )


def _is_count_star(node: exp.Expr) -> bool:
    return isinstance(node, exp.Count) and (isinstance(node.this, exp.Star | exp.Literal))


def _counts_rows(column: exp.Column, scope: SelectScope, schema: SchemaInfo) -> bool:
    """A derived table's column that is COUNT(*) of a grouped SELECT."""
    source = owner(column, scope, schema)
    if source is None or not isinstance(source.query, exp.Select):
        return False
    if not source.query.args.get("group"):
        return False
    for projection in source.query.expressions:
        if projection.alias_or_name.lower() == column.name.lower():
            inner = projection.this if isinstance(projection, exp.Alias) else projection
            return _is_count_star(inner)
    return False


def _at_least_one(node: exp.Expr) -> exp.Expr | None:
    """The counted side of `x >= 1` / `x > 0` (either way round), else None."""
    if isinstance(node, exp.GTE | exp.GT):
        threshold = literal_value(node.expression)
        if threshold == (1.0 if isinstance(node, exp.GTE) else 0.0):
            counted: exp.Expr = node.this
            return counted
    if isinstance(node, exp.LTE | exp.LT):
        threshold = literal_value(node.this)
        if threshold == (1.0 if isinstance(node, exp.LTE) else 0.0):
            other: exp.Expr = node.expression
            return other
    return None


def find_tautologies(scope: SelectScope, schema: SchemaInfo, parsed: ParsedRecord) -> Iterator[str]:
    select = scope.select
    if select.args.get("group"):
        for part in conjuncts(having_of(select)):
            counted = _at_least_one(part)
            if counted is not None and _is_count_star(counted):
                yield (
                    f"HAVING {part.sql()} holds for every group (a group has at least one row): "
                    "drop it, or use the threshold the question states"
                )
    for part in conjuncts(where_of(select)):
        counted = _at_least_one(part)
        if isinstance(counted, exp.Column) and _counts_rows(counted, scope, schema):
            yield (
                f"{part.sql()} holds for every row: {counted.name} counts the rows of a group, "
                "which is at least one; drop it or use the threshold the question states"
            )
            continue
        message = _column_tautology(part, scope, schema, parsed)
        if message:
            yield message


def _column_tautology(
    part: exp.Expr, scope: SelectScope, schema: SchemaInfo, parsed: ParsedRecord
) -> str | None:
    if isinstance(part, exp.Not) and isinstance(part.this, exp.Is):
        column = part.this.this
        if isinstance(column, exp.Column) and isinstance(part.this.expression, exp.Null):
            source = owner(column, scope, schema)
            if source and source.table and schema.is_not_null(source.table, column.name.lower()):
                return (
                    f"{column.sql()} IS NOT NULL on a NOT NULL column holds for every row: drop it"
                )
        return None
    if isinstance(part, exp.EQ) and part.this == part.expression:
        return f"{part.sql()} holds for every row: drop it"
    if (
        isinstance(part, exp.GTE)
        and isinstance(part.this, exp.Column)
        and literal_value(part.expression) == 0.0
        and _non_negative(part.this, scope, schema, parsed)
    ):
        return (
            f"{part.sql()} on a column that is never negative holds for every row: drop it, "
            "or use the threshold the question states"
        )
    return None


def _non_negative(
    column: exp.Column, scope: SelectScope, schema: SchemaInfo, parsed: ParsedRecord
) -> bool:
    source = owner(column, scope, schema)
    name = column.name.lower()
    if source is None or source.table is None:
        return is_non_negative_name(name)
    values = parsed.column_values(source.table, name)
    if values is not None:
        numbers = [v for v in values if isinstance(v, int | float)]
        return bool(numbers) and min(numbers) >= 0 and len(numbers) == len(values)
    return is_non_negative_name(name)
