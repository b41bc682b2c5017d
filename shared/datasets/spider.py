"""CREATE TABLE DDL from a Spider-style `tables.json` entry (Spider, BIRD's dev_tables.json).

Spider ships its schemas as column lists with primary and foreign keys, not as DDL. The DDL is
written in SQLite (the engine layer renders it for the others). Two choices keep the schema valid
on PostgreSQL and MySQL where Spider's own metadata would not be: a foreign key is emitted only
when it points at its table's whole primary key with the same column type (both engines demand a
unique, type-compatible target), and only when it does not close a cycle (tables are created in
dependency order and SQLite has no ALTER TABLE ... ADD CONSTRAINT).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlglot.dialects.mysql import MySQL

SIMPLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# PostgreSQL's reserved words (its docs, appendix C) plus MySQL's (as sqlglot lists them).
POSTGRES_RESERVED = frozenset(
    """all analyse analyze and any array as asc asymmetric authorization binary both case cast
    check collate collation column concurrently constraint create cross current_catalog
    current_date current_role current_schema current_time current_timestamp current_user default
    deferrable desc distinct do else end except false fetch for foreign freeze from full grant
    group having ilike in initially inner intersect into is isnull join lateral leading left like
    limit localtime localtimestamp natural not notnull null offset on only or order outer
    overlaps placing primary references returning right select session_user similar some
    symmetric system_user table tablesample then to trailing true union unique user using
    variadic verbose when where window with""".split()  # noqa: SIM905 (a word list reads better as text)
)
RESERVED_WORDS = POSTGRES_RESERVED | frozenset(MySQL.Generator.RESERVED_KEYWORDS)

# MySQL cannot index an unbounded TEXT column, so key columns get a bounded type.
KEY_TEXT_TYPE = "VARCHAR(255)"

# Spider's "time" values are free-form strings in the source SQLite files ("2014", "June 2009"),
# so TEXT keeps comparisons with string literals valid on PostgreSQL.
SPIDER_TYPES: dict[str, str] = {
    "text": "TEXT",
    "number": "NUMERIC",
    "time": "TEXT",
    "boolean": "BOOLEAN",
    "others": "TEXT",
}


@dataclass
class SpiderTable:
    name: str
    columns: list[tuple[str, str]] = field(default_factory=list)
    primary_key: list[str] = field(default_factory=list)
    # (column, referenced table index, referenced column)
    foreign_keys: list[tuple[str, int, str]] = field(default_factory=list)


def quote_identifier(name: str) -> str:
    """Quote only names that need it: a quoted name is case-sensitive once rendered for
    PostgreSQL, while Spider's SQL spells names in any case (SQLite ignores case)."""
    if SIMPLE_NAME.match(name) and name.lower() not in RESERVED_WORDS:
        return name
    return '"' + name.replace('"', '""') + '"'


def read_spider_tables(entry: Mapping[str, Any]) -> list[SpiderTable]:
    """Group a tables.json entry's flat column list into tables with their keys."""
    names = entry.get("table_names_original") or entry["table_names"]
    columns = entry.get("column_names_original") or entry["column_names"]
    types = entry["column_types"]
    tables = [SpiderTable(str(name)) for name in names]
    owner: dict[int, int] = {}
    for index, (table_index, column) in enumerate(columns):
        if table_index < 0:
            continue  # the "*" pseudo-column
        table = tables[table_index]
        if any(column.lower() == seen.lower() for seen, _ in table.columns):
            continue  # a handful of Spider tables list a column twice
        table.columns.append((str(column), SPIDER_TYPES.get(str(types[index]), "TEXT")))
        owner[index] = table_index
    for key in entry.get("primary_keys", []):
        for column_index in key if isinstance(key, list) else [key]:
            if column_index in owner:
                tables[owner[column_index]].primary_key.append(columns[column_index][1])
    for source_index, target_index in entry.get("foreign_keys", []):
        if source_index in owner and target_index in owner:
            tables[owner[source_index]].foreign_keys.append(
                (columns[source_index][1], owner[target_index], columns[target_index][1])
            )
    for table in tables:
        keyed = set(table.primary_key) | {fk[0] for fk in table.foreign_keys}
        table.columns = [
            (name, KEY_TEXT_TYPE if name in keyed and sql_type == "TEXT" else sql_type)
            for name, sql_type in table.columns
        ]
    return tables


def keep_foreign_key(
    tables: list[SpiderTable], table: SpiderTable, fk: tuple[str, int, str]
) -> bool:
    column, target_index, target_column = fk
    target = tables[target_index]
    types = dict(target.columns)
    return target.primary_key == [target_column] and dict(table.columns).get(column) == types.get(
        target_column
    )


def order_tables(tables: list[SpiderTable]) -> tuple[list[int], set[tuple[int, int]]]:
    """Creation order (referenced tables first) and the FK edges that would close a cycle."""
    edges: dict[int, set[int]] = defaultdict(set)
    for index, table in enumerate(tables):
        for fk in table.foreign_keys:
            if fk[1] != index and keep_foreign_key(tables, table, fk):
                edges[index].add(fk[1])
    order: list[int] = []
    state: dict[int, str] = {}
    dropped: set[tuple[int, int]] = set()

    def visit(index: int) -> None:
        state[index] = "open"
        for target in sorted(edges[index]):
            if state.get(target) == "open":
                dropped.add((index, target))
            elif target not in state:
                visit(target)
        state[index] = "done"
        order.append(index)

    for index in range(len(tables)):
        if index not in state:
            visit(index)
    return order, dropped


def render_spider_ddl(entry: Mapping[str, Any]) -> str:
    """SQLite CREATE TABLE statements for one tables.json database, in dependency order."""
    tables = read_spider_tables(entry)
    order, dropped = order_tables(tables)
    statements = []
    for index in order:
        table = tables[index]
        if table.name.lower().startswith("sqlite_"):
            continue  # SQLite's own bookkeeping (sqlite_sequence) leaked into some tables.json
        parts = [f"{quote_identifier(name)} {sql_type}" for name, sql_type in table.columns]
        if table.primary_key:
            keys = ", ".join(quote_identifier(name) for name in table.primary_key)
            parts.append(f"PRIMARY KEY ({keys})")
        for fk in table.foreign_keys:
            column, target_index, target_column = fk
            if (index, target_index) in dropped or not keep_foreign_key(tables, table, fk):
                continue
            parts.append(
                f"FOREIGN KEY ({quote_identifier(column)}) REFERENCES "
                f"{quote_identifier(tables[target_index].name)} ({quote_identifier(target_column)})"
            )
        body = ",\n  ".join(parts)
        statements.append(f"CREATE TABLE {quote_identifier(table.name)} (\n  {body}\n);")
    return "\n".join(statements)
