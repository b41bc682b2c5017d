"""The seed's own column type in the fixture's DDL, wherever it holds the same values on all three
engines; the portable type otherwise.

A declared type is kept verbatim when it is of the column's portable class and every engine
stores and compares the generated values alike: integer types for integers, TEXT (not in a
UNIQUE list: MySQL cannot index TEXT without a length), VARCHAR/CHAR long enough for every value
the column can get, DATE, and DECIMAL/NUMERIC with an explicit precision wide enough for the
column's range, and the floating types REAL, FLOAT, DOUBLE (IEEE doubles on every engine once
sqlglot renders them; the values are generated with two decimals). An unbounded NUMERIC is not
kept (MySQL reads it as DECIMAL(10,0) and integer division differs), nor TIMESTAMP (the engines
print a timestamp and a date differently) nor a TEXT column the converter reads as dates (kept
DATE for date arithmetic).
"""

from __future__ import annotations

import re

from shared.generation.template.schema_model import Column, ColumnType, ValueKind
from shared.generation.template.seed_fakes import FAKE_LENGTH

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


def seed_sql_type(declared: str, column: Column, *, unique: bool) -> str:
    """`declared` when the fixture can keep it, else "" (the portable type)."""
    text = declared.strip().upper()
    if not text:
        return ""
    if column.type is ColumnType.INTEGER and text in _INTEGERS:
        return text
    if column.type is ColumnType.DATE and text == "DATE":
        return text
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


def _longest(column: Column) -> int | None:
    if column.fake is not None:
        return max([FAKE_LENGTH[column.fake], *(len(v) for v in column.values)])
    if column.values:
        return max(len(v) for v in column.values)
    if column.pattern:
        return len(column.pattern)
    return _GENERATED_LENGTH.get(column.kind)
