"""The seed's own column type in the fixture's DDL, wherever it holds the same values on all three
engines; the portable type otherwise.

A declared type is kept verbatim when it is of the column's portable class and every engine
stores and compares the generated values alike: integer types for integers, TEXT (not in a
UNIQUE list: MySQL cannot index TEXT without a length), VARCHAR/CHAR long enough for every value
the column can get, DATE, TIMESTAMP/DATETIME (values 'YYYY-MM-DD HH:MM:SS', which SQLite stores
as text and PostgreSQL/MySQL return as datetimes the result digest prints the same way), a text
column the converter reads as dates (its values keep the seed's own format, compared as text on
every engine), DECIMAL/NUMERIC with an explicit precision wide enough for the column's range, a
bare NUMERIC (Spider's `number`: SQLite's NUMERIC affinity keeps integers and decimals as given,
PostgreSQL's unconstrained NUMERIC too; MySQL's would be DECIMAL(10,0), so the engine layer
renders it DECIMAL(38,10) there — `shared/engines/render.py`), and the floating types REAL,
FLOAT, DOUBLE (IEEE doubles on every engine once sqlglot renders them; the values are generated
with two decimals).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

from proto.sample import Scalar
from shared.generation.template.instance.seed_fakes import FAKE_LENGTH
from shared.generation.template.schema.schema_model import Column, ColumnType, Table, ValueKind
from shared.generation.template.seed.seed_dates import TIMESTAMP_FORMAT

# Declared types (sqlglot's type names) whose values carry a time of day.
TIMESTAMP_TYPES = frozenset({"DATETIME", "TIMESTAMP"})
# sqlglot prints an unconstrained NUMERIC/DECIMAL (any dialect) as this in PostgreSQL's spelling.
_BARE_NUMERIC = "DECIMAL"

_INTEGERS = frozenset({"INT", "INTEGER", "BIGINT", "SMALLINT"})
_SIZED_TEXT = re.compile(r"^(?:VAR)?CHAR(?:ACTER)?(?: VARYING)?\((\d+)\)$")
_FLOATS = frozenset({"REAL", "FLOAT", "DOUBLE", "DOUBLE PRECISION"})
_DECIMAL = re.compile(r"^(?:DECIMAL|NUMERIC)\((\d+),\s*(\d+)\)$")
# Longest value a generated column of these kinds can get (Faker names, e-mails, cities).
_GENERATED_LENGTH = {
    ValueKind.PERSON_NAME: 60,
    ValueKind.COMPANY_NAME: 80,
    ValueKind.EMAIL: 100,
    ValueKind.CITY: 40,
    ValueKind.COUNTRY: 40,
}


def seed_sql_type(declared: str, column: Column, *, unique: bool, dtype: str = "") -> str:
    """`declared` when the fixture can keep it, else "" (the portable type). `dtype` is
    sqlglot's type name of the declaration (DATETIME and TIMESTAMP both print TIMESTAMP)."""
    text = declared.strip().upper()
    if not text:
        return ""
    if column.type is ColumnType.INTEGER and text in _INTEGERS:
        return text
    if text == _BARE_NUMERIC and column.type in (ColumnType.INTEGER, ColumnType.DECIMAL):
        return "NUMERIC"
    if column.type is ColumnType.DATE:
        return _date_type(text, column, unique=unique, dtype=dtype.upper())
    if column.type is ColumnType.TEXT:
        if text == "TEXT":
            return "" if unique else text
        sized = _SIZED_TEXT.match(text)
        longest = _longest(column)
        # A margin for the suffix a label column adds when its rows outnumber its values.
        if sized and longest is not None and longest + 8 <= int(sized.group(1)):
            return text
        return ""
    if column.type is ColumnType.DECIMAL:
        if text in _FLOATS:
            # IEEE doubles on all three: sqlglot writes REAL/FLOAT as DOUBLE PRECISION for
            # PostgreSQL (never its 4-byte REAL) and DOUBLE for MySQL, ROUND(AVG(x), 2) gets a
            # cast to DECIMAL on PostgreSQL, and results are compared to 4 decimals. Written as
            # the fixture's SQLite spells an 8-byte float (the declared type arrives printed by
            # sqlglot, which reads REAL and FLOAT alike as DOUBLE).
            return "REAL"
        found = _DECIMAL.match(text)
        if found:
            precision, scale = int(found.group(1)), int(found.group(2))
            high = max(abs(column.low or 0.0), abs(column.high or 0.0))
            if scale >= 2 and high < 10 ** (precision - scale):
                return text
    return ""


def _date_type(text: str, column: Column, *, unique: bool, dtype: str) -> str:
    written = column.date_format
    if text == "DATE" and not written:
        return text
    if dtype in TIMESTAMP_TYPES and written == TIMESTAMP_FORMAT:
        return dtype
    if text == "TEXT":
        return "" if unique else text
    sized = _SIZED_TEXT.match(text)
    # strftime's output is as long as its format once each %-directive is expanded.
    longest = len(date(2000, 1, 1).strftime(written or "%Y-%m-%d"))
    return text if sized and longest <= int(sized.group(1)) else ""


def _longest(column: Column) -> int | None:
    if column.fake is not None:
        return max([FAKE_LENGTH[column.fake], *(len(v) for v in column.values)])
    if column.values:
        return max(len(v) for v in column.values)
    if column.pattern:
        return len(column.pattern)
    return _GENERATED_LENGTH.get(column.kind)


def keep_numeric_keys(tables: list[Table], declared: dict[tuple[str, str], str]) -> list[Table]:
    """Keys and links declared as a bare NUMERIC (Spider's `number` keys) keep it. A key keeps
    it only when every link to it does too, and a link only when its key does: PostgreSQL
    refuses a foreign key between NUMERIC and INTEGER (no shared btree operator family).
    `declared` holds the seed's types by (table, column), lower-cased."""

    def bare(table: str, column: str) -> bool:
        return declared.get((table.lower(), column.lower()), "").upper() == _BARE_NUMERIC

    keys = {t.name for t in tables if bare(t.name, t.primary_key)}
    for table in tables:
        for fk in table.foreign_keys:
            if fk.ref_table in keys and not bare(table.name, fk.column):
                keys.discard(fk.ref_table)
    links = {
        (t.name, fk.column)
        for t in tables
        for fk in t.foreign_keys
        if fk.ref_table in keys and bare(t.name, fk.column)
    }
    out: list[Table] = []
    for table in tables:
        columns = tuple(
            replace(c, sql_type="NUMERIC")
            if (c.name == table.primary_key and table.name in keys) or (table.name, c.name) in links
            else c
            for c in table.columns
        )
        out.append(replace(table, columns=columns))
    return out


_TEXT_DECLARED = re.compile(r"^(?:TEXT|(?:VAR)?CHAR(?:ACTER)?(?: VARYING)?(?:\(\d+\))?)$")


def keep_text_keys(
    tables: list[Table], declared: dict[tuple[str, str], str], text_keyed: frozenset[str]
) -> list[Table]:
    """Text keys (Spider's breed_code, AirportCode, country.Code) keep their declared type, with
    code values (`rows.py`), where every link to them is declared text too: a numbered key
    under a text link would compare text with integers, which PostgreSQL refuses. `declared`
    holds the seed's types by (table, column), lower-cased."""

    def text(table: str, column: str) -> str:
        found = declared.get((table.lower(), column.lower()), "").upper()
        return found if _TEXT_DECLARED.match(found) else ""

    keys = {t.name for t in tables if t.name in text_keyed and text(t.name, t.primary_key)}
    for table in tables:
        for fk in table.foreign_keys:
            if fk.ref_table in keys and not text(table.name, fk.column):
                keys.discard(fk.ref_table)
    out: list[Table] = []
    for table in tables:
        links = {fk.column for fk in table.foreign_keys if fk.ref_table in keys}
        columns = tuple(
            replace(c, type=ColumnType.TEXT, sql_type=text(table.name, c.name))
            if (c.name == table.primary_key and table.name in keys) or c.name in links
            else c
            for c in table.columns
        )
        out.append(replace(table, columns=columns))
    return out


def real_key_codes(tables: list[Table], values: dict[tuple[str, str], list[Scalar]]) -> list[Table]:
    """Text keys take the real codes found for them (the user's database rows, the seed's rows
    and literals: 'BUL', 'ABW'), in that order, before generated ones ('BRE07'); `rows.py`
    deals them to the first rows and their links carry them."""
    out: list[Table] = []
    for table in tables:
        key = table.column(table.primary_key)
        found = values.get((table.name.lower(), key.name.lower()), [])
        codes = tuple(dict.fromkeys(v for v in found if isinstance(v, str) and v.strip()))
        if key.type is ColumnType.TEXT and codes:
            columns = tuple(
                replace(c, values=codes) if c.name == key.name else c for c in table.columns
            )
            table = replace(table, columns=columns)
        out.append(table)
    return out
