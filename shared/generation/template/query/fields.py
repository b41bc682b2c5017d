"""Fields: the typed, labelled columns a query level produces or reads, and name allocation.

A Field carries what the builder needs to use a column again one level up (its type, whether
it can be NULL, whether it is a computed float) and what the question writer needs to name it
(its label and the table it describes).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

from shared.generation.template.instance.rowstore import column_role
from shared.generation.template.schema.ddl import RESERVED_WORDS
from shared.generation.template.schema.schema_model import Column, ColumnType, Table
from shared.generation.template.sql import ir


@dataclass(frozen=True)
class Field:
    expr: ir.Expr
    name: str
    label: str
    ctype: ColumnType
    # key, label, category, measure, date, name, other, fk (columns); metric, count, rank,
    # bucket, share (computed values).
    role: str
    table: str | None = None
    nullable: bool = False
    # A SUM/AVG over decimals: never compared for equality, deduplicated or set-combined.
    approx: bool = False
    # The column's ValueKind value ("money", "date", ...), for words like "pricey" or "recent".
    kind: str = ""
    # Read from a filler column (`Column.filler`): chosen last by every picker.
    filler: bool = False

    def rebased(self, alias: str) -> Field:
        """The same field read from a CTE or derived table named `alias`."""
        return replace(self, expr=ir.Col(alias, self.name))

    @property
    def numeric(self) -> bool:
        return self.ctype in (ColumnType.INTEGER, ColumnType.DECIMAL)


FieldT = TypeVar("FieldT", bound=Field)


def column_field(table: Table, column: Column, alias: str, name: str | None = None) -> Field:
    return Field(
        expr=ir.Col(alias, column.name),
        name=name or column.name,
        label=column.label,
        ctype=column.type,
        role=column_role(table, column),
        table=table.name,
        nullable=column.nullable,
        kind=column.kind.value,
        filler=column.filler,
    )


def prefer_real(fields: Sequence[FieldT]) -> list[FieldT]:
    """The fields that are not filler, or all of them when only filler qualifies: a
    bookkeeping column is read only when the table offers nothing else of the kind."""
    real = [f for f in fields if not f.filler]
    return real or list(fields)


def real_first(fields: Sequence[FieldT]) -> list[FieldT]:
    """The fields in their order, filler ones moved to the end (stable), for pickers that
    take the first candidates that work."""
    return sorted(fields, key=lambda f: f.filler)


def owned_label(table: Table, label: str) -> str:
    """'city' of customers reads 'customer city'; 'supplier name' stays as it is."""
    noun_words = set(table.noun.lower().split())
    if noun_words & set(label.lower().split()):
        return label
    return f"{table.noun} {label}"


def snake(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "value"


class Names:
    """Unique, unreserved output names within one SELECT."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def take(self, *preferred: str) -> str:
        for raw in preferred:
            name = snake(raw)[:40]
            if name not in self.used and name.upper() not in RESERVED_WORDS and name[0].isalpha():
                self.used.add(name)
                return name
        base = snake(preferred[0])[:36] if preferred else "col"
        if not base[0].isalpha() or base.upper() in RESERVED_WORDS:
            base = f"v_{base}"
        n = 2
        while f"{base}_{n}" in self.used:
            n += 1
        self.used.add(f"{base}_{n}")
        return f"{base}_{n}"


class Aliases:
    """Unique table aliases across a whole statement (subqueries included), so correlation is
    never ambiguous: initials of the table name ('order_items' is 'oi')."""

    def __init__(self, taken: set[str] | None = None) -> None:
        # Lower-cased: SQL names are case-insensitive, so alias `c` would clash with a seed
        # table called `C`.
        self.used: set[str] = {t.lower() for t in taken or ()}

    def take(self, table: str) -> str:
        parts = [p for p in table.lower().split("_") if p]
        base = "".join(p[0] for p in parts if p[0].isascii() and p[0].isalnum()) or "t"
        if not base[0].isalpha():
            base = f"t{base}"
        tail = next((c for c in (parts or ["t"])[-1][1:] if c.isascii() and c.isalnum()), "x")
        candidates = [base, base + tail]
        for cand in candidates:
            if cand not in self.used and cand.upper() not in RESERVED_WORDS:
                self.used.add(cand)
                return cand
        n = 2
        while f"{base}{n}" in self.used:
            n += 1
        self.used.add(f"{base}{n}")
        return f"{base}{n}"

    def name(self, preferred: str) -> str:
        """A CTE or derived-table name."""
        name = snake(preferred)
        if name in self.used or name.upper() in RESERVED_WORDS:
            n = 2
            while f"{name}_{n}" in self.used:
                n += 1
            name = f"{name}_{n}"
        self.used.add(name)
        return name
