"""The role of a column, decided from the schema first (keys, NOT NULL, types), then its name."""

from __future__ import annotations

import re

from shared.sense.record import SchemaInfo

# Names that say "this identifies or labels a row": summing or averaging them means nothing.
_IDENTIFIER_NAME = re.compile(
    r"(^id$|_id$|[a-z]id$|^.*ID$|_code$|code$|_no$|^zip|postal|phone|_number$|display_order$|"
    r"sort_order$|_rank$|^rank$|shirt|jersey|isbn|ssn|_key$)"
)
_LABEL_NUMBER = re.compile(r"(shirt|jersey|squad|seat_number|room_number|display_order|sort_order)")
_TEXT_TYPES = ("CHAR", "TEXT", "STRING", "CLOB")
# Quantities that cannot be negative, so `>= 0` on them filters nothing.
_NON_NEGATIVE = re.compile(
    r"(count|quantity|qty|amount|price|cost|fee|age|population|capacity|size|total|number|"
    r"num_|acres|area|streams|duration|minutes|hours|days|weight|height|length|distance|"
    r"salary|budget|revenue|sales|points|score|goals|seats|rooms|runways|year)"
)


def is_identifier(schema: SchemaInfo, table: str | None, column: str, raw: str) -> bool:
    """Keys (primary or foreign), codes and numbers that label rows."""
    if table is not None:
        if schema.is_primary_key(table, column) or schema.foreign_key(table, column):
            return True
        type_name = schema.type_of(table, column)
        if column.endswith("_number") and any(t in type_name for t in _TEXT_TYPES):
            return True
    if _LABEL_NUMBER.search(column):
        return True  # a number that labels: shirt/jersey numbers, display or sort order
    if column.endswith("_number") or column == "number":
        return False  # "floor_number", "number_of_x": a quantity unless typed as text
    return bool(_IDENTIFIER_NAME.search(raw) or _IDENTIFIER_NAME.search(column))


def is_non_negative_name(column: str) -> bool:
    return bool(_NON_NEGATIVE.search(column))
