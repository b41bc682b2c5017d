"""Numeric seed columns: their kind and range from the column's name and the seeds' literals, and
text columns that hold numbers.

A seed column without example values used to be drawn in its kind's default range, so Spider's
`course_arrange.Grade` reached 961 and a `Highschooler.grade >= 800` filter read like a real
question. The range now comes, in this order, from two or more example values (the seeds'
literals, BIRD's metadata span, the user's rows) widened a little, since a literal is a query's
threshold and the column's values lie on both sides of it; else from what the name says
(`grade` 1-12, `horsepower` 60-300, a `rank` 1-20); else the kind's default, stretched past a
lone literal (`grade >= 800` says grades reach past 800). Spider's bare `number` columns whose
name says whole numbers (`FlightNo`, `Weekly_Rank`, `grade`, `age`) hold integers: the declared
NUMERIC is kept (`seed_types.py`), only its values stop being 569.94. A flight, train or
route number identifies and is never called "large" (kind ID). A text column whose name says a
number (Spider's `cars_data.Horsepower`, `TV_series.Rating`) gets digits (`FakeKind.NUMBER`),
not Faker words.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.generation.template.schema.schema_model import ColumnType, ValueKind
from shared.generation.template.schema.seed_words import word_set

__all__ = [
    "CODE_WORDS",
    "MONEY_WORDS",
    "YEAR_WORDS",
    "NumericShape",
    "number_text_pattern",
    "shape_numeric",
]

MONEY_WORDS = word_set(
    """price cost amount salary revenue fee fees budget income payment balance fare wage wages
    spend spending funding donation investment profit expense expenses earnings tax sales
    tuition rent premium debt loan compensation bonus capital valuation turnover gdp charge
    charges deposit bill subtotal prize grant cash dollars usd eur"""
)
_PERCENT = word_set(
    "percent percentage pct rate ratio share proportion probability efficiency accuracy"
)
_RATING = word_set("rating ratings stars star")
YEAR_WORDS = word_set("year yr")
_ORDINAL = word_set("number num no nr position order rank floor seat")
_RANKS = word_set("rank ranking position place")
_COUNTING = word_set("num number count total")
# What a number of identifies: `FlightNo`, `train_number` name a thing, they measure nothing.
_NUMBERED_THINGS = word_set("flight train bus route invoice ticket account serial voyage")
CODE_WORDS = word_set(
    """code sku isbn plate serial iata icao abbreviation abbr symbol ticker zip zipcode postcode
    postal phone telephone mobile fax license licence registration vin tracking barcode guid
    hash uuid"""
)
_LIMIT = 1_000_000_000
_COORDINATES = {
    "latitude": (-90.0, 90.0),
    "lat": (-90.0, 90.0),
    "longitude": (-180.0, 180.0),
    "lng": (-180.0, 180.0),
    "lon": (-180.0, 180.0),
}
# Ranges a column's last word says, where nothing else does: (low, high, whole numbers).
_NAMED: dict[str, tuple[float, float, bool]] = {
    "grade": (1.0, 12.0, True),  # school grades; letter grades are text
    "horsepower": (60.0, 300.0, True),
    "hp": (60.0, 300.0, True),
    "mpg": (10.0, 45.0, False),
    "cylinders": (3.0, 8.0, True),
    "population": (1_000.0, 5_000_000.0, True),
    "capacity": (100.0, 80_000.0, True),
    "age": (18.0, 80.0, True),
    "episode": (1.0, 24.0, True),
    "attendance": (100.0, 60_000.0, True),
    "viewers": (0.5, 20.0, False),  # millions
    "accelerate": (8.0, 25.0, False),  # seconds from 0 to 60 mph
    "acceleration": (8.0, 25.0, False),
    "season": (1.0, 12.0, True),
}
# Words after which a bare NUMERIC holds whole numbers (Spider's `number` is integers and
# decimals alike): counts, positions, identifiers, ages, years.
_WHOLE = word_set(
    """id count qty quantity num number no nr total rank ranking position floor seat year age
    attendance killed injured wounded deaths casualties visitors staff employees members"""
)
# A literal is a threshold: the column's values lie beyond it by this share of their spread.
_MARGIN = 0.1


@dataclass(frozen=True)
class NumericShape:
    type: ColumnType
    kind: ValueKind
    low: float
    high: float


def shape_numeric(
    parts: list[str], integer: bool, numbers: list[float], *, bare: bool = False
) -> NumericShape:
    """Type, kind and range of a numeric column from its name's words, whether it is declared
    an integer, its example values, and whether it is a bare NUMERIC (whole numbers where the
    name says so and the examples agree)."""
    last, words_set = parts[-1], set(parts)
    whole = all(float(n).is_integer() for n in numbers)
    if bare and whole and (words_set & _WHOLE or (last in _NAMED and _NAMED[last][2])):
        integer = True
    if last == "id" or (len(parts) == 1 and last.endswith("id")) or words_set & CODE_WORDS:
        kind, default = ValueKind.ID, (1.0, 900.0)
    elif words_set & _NUMBERED_THINGS and last in _ORDINAL:
        kind, default = ValueKind.ID, (1.0, 9_999.0)
    elif words_set & YEAR_WORDS:
        years = [n for n in numbers if 1800 <= n <= 2100]
        low, high = (min(years) - 2, min(max(years) + 1, 2030)) if years else (1990, 2024)
        return NumericShape(ColumnType.INTEGER, ValueKind.YEAR, low, high)
    elif words_set & _RATING:
        kind, default = ValueKind.RATING, (1.0, 5.0)
    elif last in _COORDINATES and not integer:
        # A coordinate without examples lies on the globe, not in 1-1000 ('Longitude < 600').
        kind, default = ValueKind.MEASURE, _COORDINATES[last]
    elif words_set & MONEY_WORDS:
        kind, default = ValueKind.MONEY, (5.0, 500.0)
    elif words_set & _PERCENT:
        kind, default = ValueKind.PERCENT, (0.0, 100.0)
    elif integer and _ordinal(parts):
        # shirt_number, floor_no, display_order, Weekly_Rank: labels and positions.
        kind, default = ValueKind.ORDINAL, (1.0, 20.0)
    elif last in _NAMED:
        low, high, _ = _NAMED[last]
        integer = integer or last == "age"  # ages are whole years
        kind, default = (ValueKind.QUANTITY if integer else ValueKind.MEASURE), (low, high)
    elif integer or last in ("count", "number", "num", "qty", "quantity"):
        kind, default = ValueKind.QUANTITY, (1.0, 100.0)
        integer = True
    else:
        kind, default = ValueKind.MEASURE, (1.0, 1000.0)
    low, high = _range(numbers, default, bounded=kind in (ValueKind.RATING, ValueKind.PERCENT))
    if last in _COORDINATES and kind is ValueKind.MEASURE:
        low, high = max(low, _COORDINATES[last][0]), min(high, _COORDINATES[last][1])
    ctype = ColumnType.INTEGER if integer else ColumnType.DECIMAL
    if kind is ValueKind.RATING and not integer:
        low, high = max(low, 0.0), max(high, low + 1)
    return NumericShape(ctype, kind, low, high)


def _ordinal(parts: list[str]) -> bool:
    """A rank or position (`rank`, `Weekly_Rank`), or a number of something (`shirt_number`,
    `floor_no`) that is not a count (`num_pages`)."""
    last = parts[-1]
    return last in _RANKS or (len(parts) > 1 and parts[0] not in _COUNTING and last in _ORDINAL)


def _range(
    numbers: list[float], default: tuple[float, float], *, bounded: bool
) -> tuple[float, float]:
    if len(numbers) < 2 or min(numbers) == max(numbers):
        low, high = default
        if numbers:  # one literal: a threshold the column's values pass on both sides
            value = numbers[0]
            low = min(low, value * (1 + _MARGIN) if value < 0 else value * (1 - _MARGIN))
            high = max(high, value * (1 - _MARGIN) if value < 0 else value * (1 + 2 * _MARGIN))
    else:
        low, high = min(numbers), max(numbers)
        if not bounded:  # a 1-5 rating or a percentage stays in its scale
            margin = (high - low) * _MARGIN
            low = max(low - margin, 0.0) if low >= 0 else low - margin
            high += margin
    # Both portable types hold 10^9 (DECIMAL(12,2) has ten integer digits, INTEGER is 32-bit).
    low = min(max(low, -float(_LIMIT)), float(_LIMIT) / 2)
    high = max(min(high, float(_LIMIT)), low + 1)
    return round(low, 2), round(high, 2)


# Words of a text column that holds a number as text (Spider's `Horsepower`, `Rating`).
_NUMBER_TEXT = word_set(
    """horsepower hp mpg cylinders weight height rank ranking rating score points age population
    capacity percentage percent share price cost amount salary count total viewers"""
)
# A unit after the number's word: `Viewers_m`, `height_cm`, `weight_kg`.
_UNITS = frozenset({"m", "k", "mm", "cm", "km", "kg", "g", "lb", "lbs", "usd", "eur"})


def number_text_pattern(parts: list[str], texts: list[str]) -> str | None:
    """`low:high:decimals` for a text column whose name says it holds a number and whose
    examples (if any) are numbers; None for any other text column."""
    if len(parts) > 1 and parts[-1] in _UNITS:  # Viewers_m: millions of viewers
        parts = parts[:-1]
    if not parts or parts[-1] not in _NUMBER_TEXT:
        return None
    numbers: list[float] = []
    for text in texts:
        try:
            numbers.append(float(text))
        except ValueError:
            return None
    shape = shape_numeric(parts, False, numbers, bare=True)
    decimals = 0 if shape.type is ColumnType.INTEGER or shape.kind is ValueKind.ORDINAL else 1
    if shape.kind is ValueKind.MONEY:
        decimals = 2
    low, high = shape.low, shape.high
    if decimals == 0:
        low, high = float(round(low)), float(max(round(high), round(low) + 1))
    return f"{low:g}:{high:g}:{decimals}"
