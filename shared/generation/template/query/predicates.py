"""Filters that hold on a witness value, so the query keeps at least the witness row.

Each candidate is a (predicate, Cond) pair: the SQL and its meaning. Thresholds are round
numbers and month or year boundaries where that still keeps the witness, so questions read
naturally ("over 40", "since 2024-03-01"). Literals take the column's type: PostgreSQL does not
compare text with numbers.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from proto.sample import Scalar
from shared.generation.template.query.chances import CHANCES
from shared.generation.template.query.fields import Field
from shared.generation.template.schema.schema_model import ColumnType
from shared.generation.template.sql import ir
from shared.generation.template.words.meaning import Cond

Candidate = tuple[ir.Expr, Cond]

# Informal words for a condition, by (value kind or role, direction).
VAGUE: dict[tuple[str, str], tuple[str, ...]] = {
    ("date", "high"): ("recent", "latest", "newer"),
    ("date", "low"): ("older", "early"),
    ("money", "high"): ("pricey", "expensive", "high-value", "big-ticket"),
    ("money", "low"): ("cheap", "low-cost", "budget"),
    ("quantity", "high"): ("large", "big", "high-volume"),
    ("quantity", "low"): ("small", "low-volume"),
    ("measure", "high"): ("large", "big", "heavy"),
    ("measure", "low"): ("small", "light"),
    ("rating", "high"): ("highly rated", "top-rated", "well rated"),
    ("rating", "low"): ("poorly rated", "low-rated"),
    ("percent", "high"): ("high-percentage",),
    ("metric", "high"): ("busy", "active", "popular", "big"),
    ("count", "high"): ("busy", "active", "popular"),
}


def vague_word(field: Field, high: bool, rng: random.Random) -> str | None:
    key = field.kind if field.kind in ("date", "money", "quantity", "measure", "rating") else ""
    if not key and field.role in ("metric", "count"):
        key = field.role
    if not key and field.role == "date":
        key = "date"
    words = VAGUE.get((key, "high" if high else "low"))
    return rng.choice(words) if words else None


def literal(field: Field, value: float | int | str) -> ir.Lit:
    if field.ctype is ColumnType.INTEGER and isinstance(value, float):
        return ir.Lit(int(value))
    if field.ctype is ColumnType.DECIMAL and isinstance(value, int | float):
        return ir.Lit(round(float(value), 2))
    return ir.Lit(value)


def nice_below(x: float, integer: bool) -> float:
    """A round number <= x (40 for 44.52, 2000 for 2347)."""
    if x <= 0:
        return math.floor(x)
    step = _step(x)
    out = math.floor(x / step) * step
    return float(int(out)) if integer else round(out, 2)


def nice_above(x: float, integer: bool) -> float:
    if x <= 0:
        return math.ceil(x)
    step = _step(x)
    out = math.ceil(x / step) * step
    return float(math.ceil(out)) if integer else round(out, 2)


def _decade_below(x: float, integer: bool) -> float:
    del integer  # a year is whole
    return float(math.floor(x / 10) * 10)


def _decade_above(x: float, integer: bool) -> float:
    del integer
    return float(math.ceil(x / 10) * 10)


def _step(x: float) -> float:
    magnitude = 10.0 ** math.floor(math.log10(x))
    return magnitude / 2 if x / magnitude < 3 else magnitude


def column_filters(
    field: Field, witness: Scalar, values: Sequence[Scalar], rng: random.Random
) -> list[Candidate]:
    """Every kind of filter on `field` that the witness value satisfies."""
    if witness is None:
        if field.nullable:
            return [(ir.IsNull(field.expr), Cond("null", field.label, ctype=field.ctype))]
        return []
    out: list[Candidate] = []
    if field.nullable and rng.random() < CHANCES.not_null_filter:
        out.append(
            (ir.IsNull(field.expr, negate=True), Cond("notnull", field.label, ctype=field.ctype))
        )
    role = field.role
    others = [v for v in values if v is not None and v != witness]
    if role in ("category", "name", "label") and field.ctype is ColumnType.TEXT:
        out.append(_compare(field, "=", witness))
        if others and role == "category":
            pick = rng.choice(others)
            items = (witness, pick) if rng.random() < CHANCES.witness_first else (pick, witness)
            out.append(
                (
                    ir.InList(field.expr, tuple(literal(field, v) for v in items)),
                    Cond("in", field.label, items, field.ctype),
                )
            )
            out.append(_compare(field, "<>", pick))
    elif field.ctype is ColumnType.DATE and isinstance(witness, str):
        out.extend(_date_filters(field, witness, values, rng))
    elif field.numeric and isinstance(witness, int | float) and role != "key" and role != "fk":
        out.extend(_number_filters(field, witness, values, rng))
    return out


def _compare(field: Field, op: str, value: Scalar) -> Candidate:
    names = {"=": "eq", "<>": "ne", ">": "gt", ">=": "ge", "<": "lt", "<=": "le"}
    assert value is not None
    return (
        ir.Cmp(op, field.expr, literal(field, value)),
        Cond(names[op], field.label, (value,), field.ctype),
    )


def _with_vague(cand: Candidate, field: Field, high: bool, rng: random.Random) -> Candidate:
    pred, cond = cand
    word = vague_word(field, high, rng)
    if word is None:
        return cand
    shown = fmt(cond.values[0]) if cond.values else ""
    rel = {"gt": "above", "ge": "at least", "lt": "below", "le": "at most"}.get(cond.op, "")
    if field.ctype is ColumnType.DATE:
        rel = "on or after" if cond.op in ("ge", "gt") else "before"
    note = f"'{word}' is taken to mean a {field.label} {rel} {shown}".replace("  ", " ")
    note = note.replace(" a a", " an a").replace(" a e", " an e").replace(" a o", " an o")
    return pred, Cond(cond.op, cond.label, cond.values, cond.ctype, vague=word, note=note)


def fmt(value: Scalar) -> str:
    """A value as the question prints it: 40 not 40.0, 12.5 not 12.50."""
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def _date_filters(
    field: Field, witness: str, values: Sequence[Scalar], rng: random.Random
) -> list[Candidate]:
    dates = sorted(str(v) for v in values if isinstance(v, str))
    earlier = [d for d in dates if d <= witness]
    later = [d for d in dates if d > witness]
    out: list[Candidate] = []
    # A cutoff in the upper part of the earlier dates: "recent" then means something.
    pool = earlier[len(earlier) // 2 :] or earlier or [witness]
    cutoff = rng.choice(pool)
    month_start = cutoff[:8] + "01"
    out.append(_with_vague(_compare(field, ">=", month_start), field, True, rng))
    if later:
        bound = rng.choice(later)
        upper = bound[:8] + "01" if bound[:8] + "01" > witness else bound
        out.append(_with_vague(_compare(field, "<", upper), field, False, rng))
    year = int(witness[:4])
    # One BETWEEN, not two comparisons: each conjunct of a WHERE must remove rows on its own,
    # and the upper half of a year range rarely does.
    # Dates with a time of day ('2020-12-31 18:05:00') end the year at its last second, in
    # the column's own separator, so December 31 stays in the year on every engine.
    clock = witness[10] + "23:59:59" if len(witness) > 10 else ""
    start, end = f"{year}-01-01", f"{year}-12-31{clock}"
    out.append(
        (
            ir.Between(field.expr, ir.Lit(start), ir.Lit(end)),
            Cond("year", field.label, (year,), field.ctype),
        )
    )
    if earlier and later:
        low, high = rng.choice(earlier), rng.choice(later)
        out.append(
            (
                ir.Between(field.expr, ir.Lit(low), ir.Lit(high)),
                Cond("between", field.label, (low, high), field.ctype),
            )
        )
    return out


def _number_filters(
    field: Field, witness: float, values: Sequence[Scalar], rng: random.Random
) -> list[Candidate]:
    integer = field.ctype is ColumnType.INTEGER
    nums = sorted(float(v) for v in values if isinstance(v, int | float))
    down, up = nice_below, nice_above
    if integer and nums and 1000 <= nums[0] <= nums[-1] <= 2200:
        # Years: "year opened above 1500" (a round number of the thousands) keeps every row
        # and no one asks it; round to the decade instead ("above 1990").
        down, up = _decade_below, _decade_above
    below = [v for v in nums if v < witness]
    above = [v for v in nums if v > witness]
    out: list[Candidate] = []
    if below:
        t = down(rng.choice(below[len(below) // 2 :]), integer)
        if t < witness:
            out.append(_with_vague(_compare(field, ">", t), field, True, rng))
    else:
        t = down(witness, integer)
        out.append(_with_vague(_compare(field, ">=", t), field, True, rng))
    if above:
        t = up(rng.choice(above[: max(1, len(above) // 2)]), integer)
        if t > witness:
            out.append(_with_vague(_compare(field, "<", t), field, False, rng))
    if below and above:
        low = down(rng.choice(below), integer)
        high = up(rng.choice(above), integer)
        if low <= witness <= high:
            out.append(
                (
                    ir.Between(field.expr, literal(field, low), literal(field, high)),
                    Cond(
                        "between",
                        field.label,
                        (_num(low, integer), _num(high, integer)),
                        field.ctype,
                    ),
                )
            )
    if field.role == "category":  # years and ratings
        out.append(_compare(field, "=", witness))
    return out


def _num(value: float, integer: bool) -> Scalar:
    return int(value) if integer else round(value, 2)


def holds(pred: ir.Expr, value: Scalar) -> bool:
    """Whether a single-column predicate built here keeps a row whose column is `value`
    (a cheap pre-check; the evaluator has the final word)."""
    if isinstance(pred, ir.IsNull):
        return (value is None) != pred.negate
    if value is None:
        return False
    if isinstance(pred, ir.Cmp) and isinstance(pred.right, ir.Lit):
        other = pred.right.value
        assert other is not None
        table = {
            "=": value == other,
            "<>": value != other,
            ">": value > other,  # type: ignore[operator]
            ">=": value >= other,  # type: ignore[operator]
            "<": value < other,  # type: ignore[operator]
            "<=": value <= other,  # type: ignore[operator]
        }
        return table[pred.op]
    if isinstance(pred, ir.InList):
        return any(isinstance(i, ir.Lit) and i.value == value for i in pred.items) != pred.negate
    if isinstance(pred, ir.Between):
        low, high = pred.low, pred.high
        assert isinstance(low, ir.Lit) and isinstance(high, ir.Lit)
        return low.value <= value <= high.value  # type: ignore[operator]
    if isinstance(pred, ir.And):
        return all(holds(p, value) for p in pred.items)
    return False
