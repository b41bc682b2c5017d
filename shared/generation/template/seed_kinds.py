"""What a seed column holds: its portable type and value kind, from its declared type, its name
and the example values found for it; and which column names a table's rows.

The portable type never widens the seed's: an integer stays INTEGER (a DECIMAL literal could
not be stored back), a text column stays text (PostgreSQL will not compare text with numbers).
It may narrow: a DECIMAL `year` holds integers, a TEXT `order_date` with ISO values holds dates.
Booleans become INTEGER 0/1 (a rating-like category); timestamps are DATE columns whose
values carry a time, and text dates keep their seed's format (`Shape.date_format`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from proto.sample import Scalar
from shared.generation.template.schema_model import ColumnType, FakeKind, ValueKind
from shared.generation.template.seed_dates import (
    TIMESTAMP_FORMAT,
    date_format_of,
    looks_like_date,
    year_span,
)
from shared.generation.template.seed_fakes import fit_examples, infer_fake, shape_of
from shared.generation.template.seed_keys import BOOL, DATE, DEC, INT, TEXT, UUID
from shared.generation.template.seed_parse import RawColumn
from shared.generation.template.seed_words import (
    category_values,
    is_company_table,
    is_person_table,
    word_set,
    words,
)

_INT_TYPES = word_set(
    "TINYINT SMALLINT MEDIUMINT INT INTEGER BIGINT INT128 INT256 UTINYINT USMALLINT "
    "UMEDIUMINT UINT UBIGINT UINT128 UINT256 SERIAL SMALLSERIAL BIGSERIAL YEAR"
)
_DEC_TYPES = word_set(
    "DECIMAL DECIMAL32 DECIMAL64 DECIMAL128 DECIMAL256 UDECIMAL BIGDECIMAL DOUBLE FLOAT "
    "UDOUBLE MONEY SMALLMONEY NUMERIC REAL"
)
_TEXT_TYPES = word_set(
    "CHAR NCHAR VARCHAR NVARCHAR TEXT MEDIUMTEXT LONGTEXT TINYTEXT BPCHAR NAME CITEXT "
    "STRING ENUM ENUM8 ENUM16 CLOB"
)
_DATE_TYPES = word_set(
    "DATE DATE32 DATETIME DATETIME2 DATETIME64 SMALLDATETIME TIMESTAMP TIMESTAMPTZ "
    "TIMESTAMPLTZ TIMESTAMPNTZ TIMESTAMP_S TIMESTAMP_MS TIMESTAMP_NS"
)
_MONEY = word_set(
    """price cost amount salary revenue fee fees budget income payment balance fare wage wages
    spend spending funding donation investment profit expense expenses earnings tax sales
    tuition rent premium debt loan compensation bonus capital valuation turnover gdp charge
    charges deposit bill subtotal prize grant cash dollars usd eur"""
)
_PERCENT = word_set(
    "percent percentage pct rate ratio share proportion probability efficiency accuracy"
)
_RATING = word_set("rating ratings stars star")
_YEAR = word_set("year yr")
_ORDINAL = word_set("number num no nr position order rank floor seat")
_COUNTING = word_set("num number count total")
_CODE = word_set(
    """code sku isbn plate serial iata icao abbreviation abbr symbol ticker zip zipcode postcode
    postal phone telephone mobile fax license licence registration vin tracking barcode guid
    hash uuid"""
)
_CODE_PATTERNS = {
    "phone": "555-###-####",
    "telephone": "555-###-####",
    "mobile": "555-###-####",
    "fax": "555-###-####",
    "zip": "#####",
    "zipcode": "#####",
    "postcode": "#####",
    "postal": "#####",
    "isbn": "978-#-##-######-#",
    "vin": "?????##########",
    "id": "ID-######",
    # Clock times and lap durations kept as text: shaped like the real ones ('14:25:00',
    # '23.227'), never 'Time A'.
    "time": "1#:2#:00",
    "duration": "2#.###",
    "url": "https://www.example.org/p/######",
    "link": "https://www.example.org/p/######",
    "website": "https://www.example-####.org",
}
_CODED_TEXT = frozenset(
    {"no", "number", "id", "ids", "url", "urls", "link", "website", "time", "duration"}
)
_UUID = "########-####-####-####-############"
_PERSON_COLUMNS = word_set(
    "author manager owner driver coach director customer employee student patient"
)
_COMPANY_COLUMNS = word_set(
    "company manufacturer supplier vendor publisher airline employer sponsor carrier"
)
_NAMES = word_set("name title label headline caption")
_LIMIT = 1_000_000_000
_COORDINATES = {
    "latitude": (-90.0, 90.0),
    "lat": (-90.0, 90.0),
    "longitude": (-180.0, 180.0),
    "lng": (-180.0, 180.0),
    "lon": (-180.0, 180.0),
}


@dataclass(frozen=True)
class Shape:
    """What a column becomes in the domain."""

    type: ColumnType
    kind: ValueKind
    values: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    # CODE: the code's pattern; a Faker SHAPE: its numerify pattern; PLACE_NAME: the noun.
    pattern: str | None = None
    fake: FakeKind | None = None
    # DATE: the strftime format of the values ("" = ISO date), see Column.date_format.
    date_format: str = ""


def type_class(column: RawColumn, seen: list[Scalar]) -> str | None:
    """int, dec, text, date, bool, uuid; None for what the engine cannot use (JSON, BLOB,
    TIME, arrays, ...)."""
    dtype = column.dtype
    if dtype == "BOOLEAN" or (dtype in ("TINYINT", "BIT") and column.width == 1):
        return BOOL
    if dtype in _INT_TYPES | {""} and _flag_name(column.name):
        return BOOL
    if dtype in _INT_TYPES:
        return INT
    if dtype in _DEC_TYPES:
        return DEC
    if dtype in _TEXT_TYPES:
        return TEXT
    if dtype in _DATE_TYPES:
        return DATE
    if dtype == "UUID":
        return UUID
    if dtype == "USERDEFINED":
        return TEXT if column.enum_values else None
    if dtype:
        return None
    # No declared type (SQLite): what the values are, else what the name says.
    numbers = [v for v in seen if isinstance(v, int | float)]
    if seen and len(numbers) == len(seen):
        return INT if all(isinstance(v, int) for v in numbers) else DEC
    parts = words(column.name)
    if parts and (parts[-1] == "id" or parts[-1] in _YEAR or parts[-1] in ("count", "qty")):
        return INT
    if parts and parts[-1] in _MONEY:
        return DEC
    return DATE if parts and ("date" in parts or parts[-1] in ("at", "on")) else TEXT


def _flag_name(name: str) -> bool:
    """`is_active`, `hasParking`, `enabled`: a yes/no column stored as an integer."""
    parts = words(name)
    return bool(parts) and (
        (parts[0] in ("is", "has", "can", "was", "uses") and len(parts) > 1)
        or parts[-1] in ("flag", "active", "enabled", "deleted", "verified", "approved")
    )


def shape_column(
    name: str,
    cls: str,
    table_noun: str,
    seen: list[Scalar],
    enum_values: tuple[str, ...],
    *,
    timed: bool = False,
) -> Shape:
    """The type, kind and value hints of a plain (non-key, non-link) column; `timed` for a
    column declared TIMESTAMP/DATETIME (its values carry a time)."""
    parts = words(name) or ["value"]
    numbers = [float(v) for v in seen if isinstance(v, int | float)]
    texts = [v for v in seen if isinstance(v, str)]
    if cls == BOOL:
        return Shape(ColumnType.INTEGER, ValueKind.RATING, low=0, high=1)
    if cls in (INT, DEC):
        return _numeric(parts, cls, numbers)
    if cls == DATE or (cls == TEXT and looks_like_date(parts, texts)):
        # A declared DATE holds ISO dates, a TIMESTAMP a time too; a text date its own format.
        written = (TIMESTAMP_FORMAT if timed else "") if cls == DATE else date_format_of(texts)
        return _date(parts, texts, written)
    return _text(parts, table_noun, texts or list(enum_values), bool(enum_values))


def _numeric(parts: list[str], cls: str, numbers: list[float]) -> Shape:
    last, words_set = parts[-1], set(parts)
    integer = cls == INT
    if last == "id" or (len(parts) == 1 and last.endswith("id")) or words_set & _CODE:
        kind, default = ValueKind.ID, (1.0, 900.0)
    elif words_set & _YEAR:
        years = [n for n in numbers if 1800 <= n <= 2100]
        low, high = (min(years) - 2, min(max(years) + 1, 2030)) if years else (1990, 2024)
        return Shape(ColumnType.INTEGER, ValueKind.YEAR, low=low, high=high)
    elif words_set & _RATING:
        kind, default = ValueKind.RATING, (1.0, 5.0)
    elif last in _COORDINATES and not integer:
        # A coordinate without examples lies on the globe, not in 1-1000 ('Longitude < 600').
        kind, default = ValueKind.MEASURE, _COORDINATES[last]
    elif words_set & _MONEY:
        kind, default = ValueKind.MONEY, (5.0, 500.0)
    elif words_set & _PERCENT:
        kind, default = ValueKind.PERCENT, (0.0, 100.0)
    elif integer and len(parts) > 1 and parts[0] not in _COUNTING and last in _ORDINAL:
        # shirt_number, floor_no, display_order: labels and positions, not amounts.
        kind, default = ValueKind.ORDINAL, (1.0, 20.0)
    elif last == "age":
        kind, default = ValueKind.QUANTITY, (18.0, 80.0)
        integer = True
    elif integer or last in ("count", "number", "num", "qty", "quantity"):
        kind, default = ValueKind.QUANTITY, (1.0, 100.0)
        integer = True
    else:
        kind, default = ValueKind.MEASURE, (1.0, 1000.0)
    low, high = _range(numbers, default)
    ctype = ColumnType.INTEGER if integer else ColumnType.DECIMAL
    if kind is ValueKind.RATING and not integer:
        low, high = max(low, 0.0), max(high, low + 1)
    return Shape(ctype, kind, low=low, high=high)


def _range(numbers: list[float], default: tuple[float, float]) -> tuple[float, float]:
    if len(numbers) < 2 or min(numbers) == max(numbers):
        low, high = default
        if numbers:  # one example: a range around it
            low, high = min(low, numbers[0]), max(high, numbers[0])
    else:
        low, high = min(numbers), max(numbers)
    # Both portable types hold 10^9 (DECIMAL(12,2) has ten integer digits, INTEGER is 32-bit).
    low = min(max(low, -float(_LIMIT)), float(_LIMIT) / 2)
    high = max(min(high, float(_LIMIT)), low + 1)
    return round(low, 2), round(high, 2)


def _date(parts: list[str], texts: list[str], written: str) -> Shape:
    low, high = year_span(parts, texts)
    return Shape(ColumnType.DATE, ValueKind.DATE, low=low, high=high, date_format=written)


def _text(parts: list[str], noun: str, texts: list[str], closed: bool) -> Shape:
    shape = _text_shape(parts, noun, texts, closed)
    if shape.fake is None:
        return shape
    fake, extra = fit_examples(shape.fake, shape.pattern, list(shape.values))
    return replace(shape, fake=fake, pattern=extra)


def _text_shape(parts: list[str], noun: str, texts: list[str], closed: bool) -> Shape:
    if closed:  # an ENUM: exactly its values
        return Shape(ColumnType.TEXT, ValueKind.CATEGORY, values=tuple(texts))
    # 'AdmFName1', 'AdmEmail2': numbered copies of a column read as the column.
    parts = [re.sub(r"\d+$", "", p) or p for p in parts]
    last, words_set = parts[-1], set(parts)
    if words_set & {"email", "mail"}:
        return Shape(ColumnType.TEXT, ValueKind.EMAIL)
    # Places with real example values keep them ('CZE', not a made-up 'Brazil').
    if last in ("city", "town") and len(texts) < 2:
        return Shape(ColumnType.TEXT, ValueKind.CITY, values=tuple(texts), fake=FakeKind.CITY)
    if last in ("country", "nation", "nationality") and len(texts) < 2:
        values = tuple(texts)
        return Shape(ColumnType.TEXT, ValueKind.COUNTRY, values=values, fake=FakeKind.COUNTRY)
    if words_set & {"uuid", "guid"}:
        return Shape(ColumnType.TEXT, ValueKind.CODE, pattern=_UUID, fake=FakeKind.UUID)
    if last in ("time", "duration"):
        # Clock times and lap durations shaped like the real ones, with minutes under 60.
        shape = next((found for t in texts if (found := shape_of(t))), None)
        fake = FakeKind.SHAPE if shape else FakeKind.TIME
        values = tuple(dict.fromkeys(texts))
        return Shape(
            ColumnType.TEXT, ValueKind.CODE, values, pattern=shape or "##:##:##", fake=fake
        )
    # A text key or link without example values gets codes, not 'Id A' / 'Url A'.
    # BIRD's `link_to_member` holds the member's text key ('rec...').
    if words_set & _CODE or last in _CODED_TEXT or (parts[0] == "link" and len(parts) > 1):
        return Shape(ColumnType.TEXT, ValueKind.CODE, pattern=_pattern(last, texts))
    name_like = bool(words_set & _NAMES)
    given = words_set & {"first", "given", "fname", "firstname"} or parts[-2:] == ["f", "name"]
    family = words_set & {"last", "family", "surname", "lname", "lastname"} or (
        parts[-2:] == ["l", "name"]
    )
    if (given and name_like) or family:
        fake = FakeKind.FIRST_NAME if given and name_like else FakeKind.LAST_NAME
        return Shape(ColumnType.TEXT, ValueKind.TITLE, values=tuple(texts), fake=fake)
    if (
        (name_like and is_person_table(noun) and last == "name")
        or (parts[0] in _PERSON_COLUMNS and (len(parts) == 1 or last == "name"))
        or parts == ["full", "name"]
    ):
        return Shape(ColumnType.TEXT, ValueKind.PERSON_NAME)
    if (name_like and is_company_table(noun) and last == "name") or (
        parts[0] in _COMPANY_COLUMNS and (len(parts) == 1 or last == "name")
    ):
        return Shape(ColumnType.TEXT, ValueKind.COMPANY_NAME)
    if name_like:
        fake, extra = infer_fake(parts, noun, name_like=True)
        values = tuple(dict.fromkeys(texts))
        if len(values) >= 2 and fake in GENERIC_FAKES:
            # Real names repeat rather than mix with Faker words ('Become Work' Grand Prix).
            return Shape(ColumnType.TEXT, ValueKind.TITLE, values=values)
        return Shape(ColumnType.TEXT, ValueKind.TITLE, values=values, pattern=extra, fake=fake)
    return _category(parts, noun, texts)


def _category(parts: list[str], noun: str, texts: list[str]) -> Shape:
    found = tuple(dict.fromkeys(texts))[:12]
    fake, extra = infer_fake(parts, noun, name_like=False)
    # Two real values make a category; padding them would dilute the real ones.
    if len(found) >= 2:
        kind = ValueKind.FREE_TEXT if _sentences(found, fake) else ValueKind.CATEGORY
        return Shape(ColumnType.TEXT, kind, values=found)
    if fake is FakeKind.TEXT:
        return Shape(ColumnType.TEXT, ValueKind.FREE_TEXT, values=found, fake=fake)
    if fake is FakeKind.WORD:
        generic = category_values(parts)
        if generic:  # the column's own word names a closed set ('status', 'gender')
            if found and all(t == t.lower() for t in found):
                generic = tuple(g.lower() for g in generic)
            values = tuple(dict.fromkeys([*found, *generic]))
            return Shape(ColumnType.TEXT, ValueKind.CATEGORY, values=values)
        shape = shape_of(found[0]) if found else None
        if shape is not None:
            fake, extra = FakeKind.SHAPE, shape
    return Shape(ColumnType.TEXT, ValueKind.CATEGORY, values=found, pattern=extra, fake=fake)


def _sentences(values: tuple[str, ...], fake: FakeKind | None) -> bool:
    """Real values that are free text: prose of several words where the column's name says
    free text (a `Text`, `Body`, `comment`), or long prose whatever the name."""
    mean = sum(len(v.split()) for v in values) / len(values)
    return mean >= FREE_TEXT_WORDS or (fake is FakeKind.TEXT and mean >= 3)


# Mean words per value from which real values read as prose, whatever the column's name.
FREE_TEXT_WORDS = 8


def _pattern(last: str, texts: list[str]) -> str:
    """A CODE pattern: the shape of an example value (digits '#', letters '?'), else a
    default for the column's word."""
    for text in texts:
        shape = re.sub(r"[0-9]", "#", text)
        shape = re.sub(r"[A-Za-z]", "?", shape)
        if shape.count("#") + shape.count("?") >= 3 and len(shape) <= 24:
            return shape
    # 'purchaseUrls', 'links': the plural's pattern is the singular's ('URL-9132' read badly).
    found = _CODE_PATTERNS.get(last) or _CODE_PATTERNS.get(last.removesuffix("s"))
    return found or f"{last[:3].upper() or 'C'}-####"


def title_label(shape: Shape, name: str, noun: str) -> Shape:
    """A column promoted to name rows: unique values, so its real values are followed by
    Faker's of the kind its name says (a lone Faker word reads badly as a name: two)."""
    if shape.kind not in (ValueKind.CATEGORY, ValueKind.TITLE):
        return shape
    fake, extra = shape.fake, shape.pattern
    if fake is None:
        parts = [re.sub(r"\d+$", "", p) or p for p in words(name)] or ["name"]
        fake, extra = infer_fake(parts, noun, name_like=True)
    if fake is FakeKind.WORD:
        fake, extra = FakeKind.NAME, None
    if fake in GENERIC_FAKES and len(set(shape.values)) >= REAL_LABEL_VALUES:
        # Enough real names: the table gets no more rows than they name (rows.py caps it).
        return Shape(ColumnType.TEXT, ValueKind.TITLE, values=shape.values)
    fake, extra = fit_examples(fake, extra, list(shape.values))
    return Shape(ColumnType.TEXT, ValueKind.TITLE, values=shape.values, pattern=extra, fake=fake)


# Faker kinds that know nothing of the column but its being a name or a word: real values are
# never mixed with them when there are a few (`_text_shape`, `title_label`).
GENERIC_FAKES = frozenset({FakeKind.NAME, FakeKind.WORD, FakeKind.TITLE, FakeKind.TEXT})
REAL_LABEL_VALUES = 8


def padded_with_words(shape: Shape) -> bool:
    """A label whose few real values Faker's generic words would have to complete (three
    account frequencies padded with 'Western Possible'): the key names such rows better."""
    return shape.fake in (FakeKind.NAME, FakeKind.WORD) and len(set(shape.values)) >= 2


# The order in which a column is preferred as the one that names a row.
LABEL_RANK = {
    ValueKind.PERSON_NAME: 0,
    ValueKind.COMPANY_NAME: 0,
    ValueKind.TITLE: 1,
    ValueKind.CODE: 2,
    ValueKind.EMAIL: 3,
}
