"""The inferred schema as data: tables, columns with their type votes, keys; and the portable
types a column can get (a guess from its name when no statement says more).

shared.ingest.schema_infer gathers the evidence into these; shared.ingest.schema_render turns
them into CREATE TABLE statements.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

INTEGER, DECIMAL, VARCHAR, DATE, TIMESTAMP, BOOLEAN = (
    "INTEGER",
    "DECIMAL",
    "VARCHAR",
    "DATE",
    "TIMESTAMP",
    "BOOLEAN",
)
_CAMEL_ID = re.compile(r"[a-z](?:Id|ID)$")
# Split names into words at underscores and lower→upper case changes.
_WORDS = re.compile(r"[_\W]+|(?<=[a-z])(?=[A-Z])")


@dataclass
class ColumnInfo:
    name: str
    votes: Counter[str] = field(default_factory=Counter)

    @property
    def type(self) -> str:
        if not self.votes:
            return type_from_name(self.name) or VARCHAR
        return self.votes.most_common(1)[0][0]


@dataclass
class TableInfo:
    name: str
    columns: dict[str, ColumnInfo] = field(default_factory=dict)
    primary_key: str | None = None
    # column → (referenced table, referenced column)
    foreign_keys: dict[str, tuple[str, str]] = field(default_factory=dict)
    statements: int = 0

    def column(self, name: str) -> ColumnInfo:
        key = name.lower()
        if key not in self.columns:
            self.columns[key] = ColumnInfo(name)
        return self.columns[key]


@dataclass
class InferredSchema:
    tables: dict[str, TableInfo] = field(default_factory=dict)
    # CREATE TABLE text seen in the input, by lower-cased table name.
    declared: dict[str, str] = field(default_factory=dict)
    # Join equalities whose direction could not be told: (table, column, table, column).
    joins: list[tuple[str, str, str, str]] = field(default_factory=list)
    # Unqualified columns of multi-table scopes: (candidate tables, column), settled at the end.
    ambiguous: list[tuple[tuple[str, ...], str]] = field(default_factory=list)
    parsed: int = 0
    unparsed: int = 0

    def settle_ambiguous(self) -> None:
        """A column some candidate already has needs nothing; else it joins the first table."""
        for candidates, column in self.ambiguous:
            if not any(column.lower() in self.table(name).columns for name in candidates):
                self.table(candidates[0]).column(column)
        self.ambiguous.clear()

    def table(self, name: str) -> TableInfo:
        key = name.lower()
        if key not in self.tables:
            self.tables[key] = TableInfo(name)
        return self.tables[key]


def type_from_name(name: str) -> str | None:
    """A guess from the column's name alone, by its words (`created_at`, `totalAmount`)."""
    words = [w.lower() for w in _WORDS.split(name) if w]
    if not words:
        return None
    last = words[-1]
    if last == "id" or _CAMEL_ID.search(name):
        return INTEGER
    if last in ("count", "quantity", "qty", "number", "num") or words[0] in ("num", "n"):
        return INTEGER
    if last == "at" or last in ("created", "modified", "updated", "timestamp", "time"):
        return TIMESTAMP
    if "date" in words or last.endswith("date") or last in ("day", "birthday"):
        return DATE
    if words[0] in ("is", "has") or name.lower() in ("active", "enabled", "deleted"):
        return BOOLEAN
    if set(words) & {"amount", "price", "cost", "total", "balance", "salary", "fee", "revenue"}:
        return DECIMAL
    return None
