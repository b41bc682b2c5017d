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
from shared.generation.template.instance.seed_fakes import fit_examples, infer_fake, shape_of
from shared.generation.template.schema.schema_model import ColumnType, FakeKind, ValueKind
from shared.generation.template.schema.seed_words import (
    category_values,
    is_company_table,
    is_person_table,
    word_set,
    words,
)
from shared.generation.template.seed.seed_dates import (
    TIMESTAMP_FORMAT,
    date_format_of,
    looks_like_date,
    year_span,
)
from shared.generation.template.seed.seed_keys import BOOL, DATE, DEC, INT, TEXT, UUID
from shared.generation.template.seed.seed_markup import flag_values, markup_kind
from shared.generation.template.seed.seed_numbers import (
    CODE_WORDS,
    MONEY_WORDS,
    YEAR_WORDS,
    number_text_pattern,
    shape_numeric,
)
from shared.generation.template.seed.seed_parse import RawColumn

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
# A person's role as the column's last word: `latin_commander`, `team_captain`, `host`.
_PERSON_ROLES = word_set(
    """commander captain leader president chairman host judge referee author director
    manager coach composer conductor founder"""
)
_COMPANY_COLUMNS = word_set(
    "company manufacturer supplier vendor publisher airline employer sponsor carrier"
)
_NAMES = word_set("name title label headline caption")


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
    if parts and (parts[-1] == "id" or parts[-1] in YEAR_WORDS or parts[-1] in ("count", "qty")):
        return INT
    if parts and parts[-1] in MONEY_WORDS:
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
    bare: bool = False,
) -> Shape:
    """The type, kind and value hints of a plain (non-key, non-link) column; `timed` for a
    column declared TIMESTAMP/DATETIME (its values carry a time), `bare` for a NUMERIC without
    precision (Spider's `number`)."""
    parts = words(name) or ["value"]
    numbers = [float(v) for v in seen if isinstance(v, int | float)]
    texts = [v for v in seen if isinstance(v, str)]
    if cls == BOOL:
        return Shape(ColumnType.INTEGER, ValueKind.RATING, low=0, high=1)
    if cls in (INT, DEC):
        found = shape_numeric(parts, cls == INT, numbers, bare=bare)
        return Shape(found.type, found.kind, low=found.low, high=found.high)
    if cls == DATE or (cls == TEXT and looks_like_date(parts, texts)):
        # A declared DATE holds ISO dates, a TIMESTAMP a time too; a text date its own format.
        written = (TIMESTAMP_FORMAT if timed else "") if cls == DATE else date_format_of(texts)
        return _date(parts, texts, written)
    return _text(parts, table_noun, texts or list(enum_values), bool(enum_values))


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
    formed = _formed_text(parts, texts)
    if formed is not None:
        return formed
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
    if words_set & CODE_WORDS or last in _CODED_TEXT or (parts[0] == "link" and len(parts) > 1):
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
        or (last in _PERSON_ROLES and len(parts) <= 2)
        or (parts[0] == "head" and len(parts) > 1)  # HeadOfState, head_coach
        or (last == "by" and len(parts) == 2)  # Written_by, Directed_by
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


def _formed_text(parts: list[str], texts: list[str]) -> Shape | None:
    """A yes/no flag ('Y'/'N'), a tag list or XML fragment, or a number kept as text: values of
    that form, the examples first (Faker completes one or none, never two or more)."""
    flags = flag_values(parts, texts)
    if flags is not None:
        return Shape(ColumnType.TEXT, ValueKind.CATEGORY, values=flags)
    found = tuple(dict.fromkeys(texts))
    markup = markup_kind(texts)
    number = number_text_pattern(parts, texts)
    if markup is not None:
        fake, extra = markup
    elif number is not None:
        fake, extra = FakeKind.NUMBER, number
    else:
        return None
    if len(found) >= 2:
        return Shape(ColumnType.TEXT, ValueKind.CATEGORY, values=found)
    return Shape(ColumnType.TEXT, ValueKind.CATEGORY, values=found, pattern=extra, fake=fake)


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
