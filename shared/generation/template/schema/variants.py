"""Schema variants of a catalogue domain: the shape the spec planned, varied per variant.

A catalogue domain is the full vocabulary of a business (every table and column it may have);
a sample's schema is one variant of it, as two companies in one trade never share a schema:
- the spec's schema properties (`SchemaShape`): columns per table (optional columns dropped, or
  generic bookkeeping columns added), rows per table, declared PRIMARY and FOREIGN KEYs;
- per variant: leaf tables left out, the key naming convention (`id` or `<noun>_id`), and the
  column types a designer would pick (SMALLINT for bounded counts, BIGINT keys, VARCHAR lengths
  that fit the values, DECIMAL precision that fits the range).
The same (domain, variant, shape) always gives the same schema; `schema_id` names all three.
"""

from __future__ import annotations

import math
import random
import re
from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace

from proto.sample import Scalar
from shared.generation.template.schema.schema_model import (
    Column,
    ColumnType,
    Domain,
    ForeignKey,
    Table,
    ValueKind,
)

__all__ = [
    "SchemaShape",
    "derive_domain",
    "format_schema_id",
    "largest_component",
    "parse_schema_id",
    "schema_signature",
]

MIN_TABLES = 3
# Share of variants that leave out one or two leaf tables, use BIGINT keys, name keys
# `<noun>_id`, or use SMALLINT for bounded integers.
DROP_SHARE, BIGINT_SHARE, NOUN_KEY_SHARE, SMALLINT_SHARE = 0.6, 0.25, 0.4, 0.5
_SHAPE_ID = re.compile(r"^(?P<variant>\d+)(?:~c(?P<c>\d+)r(?P<r>\d+)k(?P<pk>[01])(?P<fk>[01]))?$")
_PLAIN_TEXT = {
    ValueKind.PERSON_NAME: 100,
    ValueKind.COMPANY_NAME: 150,
    ValueKind.CITY: 80,
    ValueKind.COUNTRY: 60,
    ValueKind.EMAIL: 254,
}
# Bookkeeping columns real tables carry, added when the spec wants more columns than the
# domain's table has; they are typed and valued like any catalogue column, and flagged
# `filler` so the query builder reads them only when nothing else of the kind exists.
_EXTRAS = (
    Column(
        name="created_on",
        type=ColumnType.DATE,
        kind=ValueKind.DATE,
        label="creation date",
        low=2018,
        high=2024,
        filler=True,
    ),
    Column(
        name="record_status",
        type=ColumnType.TEXT,
        kind=ValueKind.CATEGORY,
        label="record status",
        values=("Active", "Inactive", "Archived"),
        default="'Active'",
        filler=True,
    ),
    Column(
        name="updated_on",
        type=ColumnType.DATE,
        kind=ValueKind.DATE,
        label="last update date",
        after="created_on",
        low=1,
        high=400,
        nullable=True,
        filler=True,
    ),
    Column(
        name="external_ref",
        type=ColumnType.TEXT,
        kind=ValueKind.CODE,
        label="external reference",
        pattern="EXT-######",
        filler=True,
    ),
)


@dataclass(frozen=True)
class SchemaShape:
    """The spec's schema properties for one sample (None: the catalogue's own)."""

    columns_per_table: int | None = None
    rows_per_table: int | None = None
    primary_keys: bool = True
    foreign_keys: bool = True

    @classmethod
    def from_properties(cls, properties: Mapping[str, Scalar]) -> SchemaShape:
        columns = properties.get("columns_per_table")
        rows = properties.get("rows_per_table")
        return cls(
            columns_per_table=_positive(columns),
            rows_per_table=_positive(rows),
            primary_keys=bool(properties.get("declares_primary_keys", True)),
            foreign_keys=bool(properties.get("declares_foreign_keys", True)),
        )

    @property
    def is_default(self) -> bool:
        return self == SchemaShape()


def _positive(value: Scalar) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return max(1, round(value))


def format_schema_id(domain: str, variant: int, shape: SchemaShape) -> str:
    """`retail#3` for the catalogue shape, `retail#3~c6r12k10` with the spec's."""
    if shape.is_default:
        return f"{domain}#{variant}"
    c, r = shape.columns_per_table or 0, shape.rows_per_table or 0
    return f"{domain}#{variant}~c{c}r{r}k{int(shape.primary_keys)}{int(shape.foreign_keys)}"


def parse_schema_id(schema_id: str) -> tuple[str, int, SchemaShape] | None:
    """(domain, variant, shape) of a catalogue schema id, or None when it is not one."""
    name, _, rest = schema_id.partition("#")
    found = _SHAPE_ID.match(rest)
    if not name or found is None:
        return None
    shape = SchemaShape()
    if found["c"] is not None:
        shape = SchemaShape(
            columns_per_table=int(found["c"]) or None,
            rows_per_table=int(found["r"]) or None,
            primary_keys=found["pk"] == "1",
            foreign_keys=found["fk"] == "1",
        )
    return name, int(found["variant"]), shape


def derive_domain(domain: Domain, variant: int, shape: SchemaShape) -> Domain:
    """The domain's schema for (variant, shape); variant 0 with the default shape keeps every
    table and column (only types are refined)."""
    rng = random.Random(f"{domain.name}~{variant}")
    style = _Style(
        key_type="BIGINT" if variant and rng.random() < BIGINT_SHARE else "INTEGER",
        noun_keys=bool(variant) and rng.random() < NOUN_KEY_SHARE,
        small_ints=rng.random() < SMALLINT_SHARE,
    )
    tables = list(domain.tables)
    if variant and rng.random() < DROP_SHARE:
        tables = _drop_leaves(tables, rng.choice((1, 1, 2)), rng)
    keys = {t.name: _key_name(t, style) for t in tables}
    built = tuple(_shape_table(t, shape.columns_per_table, keys, style, rng) for t in tables)
    return replace(
        domain,
        tables=built,
        declares_primary_keys=shape.primary_keys,
        declares_foreign_keys=shape.foreign_keys,
    )


def largest_component(domain: Domain, containing: Collection[str] = ()) -> int:
    """Tables in the biggest FK-connected group (holding every `containing` table, else 0):
    the most tables one query can join."""
    parent = {t.name: t.name for t in domain.tables}

    def find(name: str) -> str:
        while parent[name] != name:
            name = parent[name]
        return name

    for table in domain.tables:
        for fk in table.foreign_keys:
            if fk.ref_table in parent:
                parent[find(table.name)] = find(fk.ref_table)
    sizes = Counter(find(name) for name in parent)
    if any(name not in parent for name in containing):
        return 0
    roots = {find(name) for name in containing}
    if len(roots) > 1:
        return 0
    if roots:
        return sizes[roots.pop()]
    return max(sizes.values(), default=0)


def schema_signature(domain: Domain) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """What makes two schemas different (issue 17's definition): the tables, their column names
    (case-folded) and column types without lengths."""
    return tuple(
        sorted(
            (
                t.name.lower(),
                tuple(sorted((c.name.lower(), _type_name(c)) for c in t.columns)),
            )
            for t in domain.tables
        )
    )


def _type_name(column: Column) -> str:
    return column.ddl_type.split("(")[0].upper()


@dataclass(frozen=True)
class _Style:
    key_type: str
    noun_keys: bool
    small_ints: bool


def _drop_leaves(tables: list[Table], count: int, rng: random.Random) -> list[Table]:
    """Leave out up to `count` tables nothing references, keeping at least MIN_TABLES."""
    kept = list(tables)
    for _ in range(count):
        referenced = {fk.ref_table for t in kept for fk in t.foreign_keys if fk.ref_table != t.name}
        # A leaf linking two parents (a junction) is what connects them: it stays.
        leaves = [
            t
            for t in kept
            if t.name not in referenced and len({fk.ref_table for fk in t.foreign_keys}) <= 1
        ]
        if len(kept) <= MIN_TABLES or not leaves:
            break
        kept.remove(rng.choice(leaves))
    return kept


def _key_name(table: Table, style: _Style) -> str:
    noun_key = f"{table.noun.replace(' ', '_')}_id"
    taken = {c.name for c in table.columns}
    if style.noun_keys and noun_key.isidentifier() and noun_key.isascii() and noun_key not in taken:
        return noun_key
    return table.primary_key


def _shape_table(
    table: Table, target: int | None, keys: dict[str, str], style: _Style, rng: random.Random
) -> Table:
    columns = _choose_columns(table, target, rng)
    key = keys[table.name]
    typed = []
    for column in columns:
        new = replace(column, sql_type=_sql_type(column, style))
        if column.name == table.primary_key:
            new = replace(new, name=key)
        typed.append(new)
    foreign = tuple(
        ForeignKey(fk.column, fk.ref_table, keys.get(fk.ref_table, fk.ref_column))
        for fk in table.foreign_keys
    )
    return replace(table, columns=tuple(typed), primary_key=key, foreign_keys=foreign)


def _choose_columns(table: Table, target: int | None, rng: random.Random) -> list[Column]:
    """The table's columns cut or extended to `target` (within what the table can be)."""
    columns = list(table.columns)
    if target is None:
        return columns
    required = {table.primary_key, table.label_column, *table.unique_together}
    required |= {fk.column for fk in table.foreign_keys}
    optional = [c.name for c in columns if c.name not in required]
    rng.shuffle(optional)
    for name in optional:
        # A date that others fall `after` leaves together with them, if the target allows.
        group = {name} | {c.name for c in columns if c.after == name}
        present = [c for c in columns if c.name in group]
        if present and len(columns) - len(present) >= target:
            columns = [c for c in columns if c.name not in group]
    names = {c.name for c in columns}
    for extra in _EXTRAS:
        if len(columns) >= target:
            break
        if extra.name not in names and (extra.after is None or extra.after in names):
            columns.append(_anchored(extra, columns))
            names.add(extra.name)
    return columns


def _anchored(extra: Column, columns: list[Column]) -> Column:
    """A record's creation date follows the business date it records (a loan's row is
    created when the loan is made, not years before)."""
    if extra.name != "created_on":
        return extra
    # A business event of the data's years, not a birth date.
    first = next(
        (
            c
            for c in columns
            if c.kind is ValueKind.DATE
            and not c.nullable
            and "birth" not in c.name
            and (c.high is None or c.high >= 2015)
        ),
        None,
    )
    if first is None:
        return extra
    return replace(extra, after=first.name, low=0, high=3)


def _sql_type(column: Column, style: _Style) -> str:
    if column.kind in (ValueKind.ID, ValueKind.FOREIGN_KEY):
        return style.key_type
    if column.type is ColumnType.INTEGER:
        high = column.high if column.high is not None else 100
        return "SMALLINT" if style.small_ints and high < 10_000 else "INTEGER"
    if column.type is ColumnType.DECIMAL:
        high = column.high if column.high is not None else 1000
        # Integer digits of the largest value, plus room for updates that raise it tenfold.
        digits = len(str(int(abs(high)))) + 1
        precision = next(p for p in (5, 6, 8, 10, 12) if p - 2 >= digits or p == 12)
        return f"DECIMAL({precision},2)"
    if column.type is ColumnType.TEXT:
        return f"VARCHAR({_text_length(column)})"
    return column.type.value


def _text_length(column: Column) -> int:
    if column.kind in _PLAIN_TEXT:
        return _PLAIN_TEXT[column.kind]
    if column.kind is ValueKind.CODE and column.pattern:
        return max(8, len(column.pattern) + 4)
    longest = max((len(v) for v in column.values), default=40)
    # Room for values a person would add later: 1.5 times the longest, in steps of ten.
    return max(20, int(math.ceil(longest * 1.5 / 10) * 10))
