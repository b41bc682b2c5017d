"""Render an inferred schema as CREATE TABLE statements that run on SQLite, PostgreSQL, MySQL."""

from __future__ import annotations

import re
from collections.abc import Iterable

import sqlglot
from sqlglot.errors import SqlglotError

from shared.ingest.schema_model import InferredSchema, TableInfo

# One spelling each engine accepts; lengths because MySQL wants them on VARCHAR.
PORTABLE_TYPES = {
    "INTEGER": "INTEGER",
    "DECIMAL": "DECIMAL(18, 4)",
    "VARCHAR": "VARCHAR(255)",
    "DATE": "DATE",
    "TIMESTAMP": "TIMESTAMP",
    "BOOLEAN": "BOOLEAN",
}
_SIMPLE = re.compile(r"^[a-z_][a-z0-9_]*$")
# Words that cannot be bare identifiers on at least one of the three engines.
_RESERVED = frozenset(
    [
        "all",
        "and",
        "as",
        "asc",
        "between",
        "by",
        "case",
        "check",
        "column",
        "constraint",
        "create",
        "cross",
        "default",
        "delete",
        "desc",
        "distinct",
        "drop",
        "else",
        "end",
        "exists",
        "false",
        "for",
        "foreign",
        "from",
        "full",
        "grant",
        "group",
        "having",
        "in",
        "index",
        "inner",
        "insert",
        "interval",
        "into",
        "is",
        "join",
        "key",
        "left",
        "like",
        "limit",
        "not",
        "null",
        "on",
        "or",
        "order",
        "outer",
        "primary",
        "references",
        "right",
        "select",
        "set",
        "table",
        "then",
        "to",
        "true",
        "union",
        "unique",
        "update",
        "user",
        "using",
        "values",
        "when",
        "where",
        "with",
    ]
)


def quote(name: str) -> str:
    """Bare when safe everywhere, else double quotes (ANSI; MySQL needs ANSI_QUOTES or a
    transpile to backticks, which `render_ddl(dialect="mysql")` does)."""
    if _SIMPLE.match(name) and name not in _RESERVED:
        return name
    return '"' + name.replace('"', '""') + '"'


def ordered_tables(schema: InferredSchema, wanted: Iterable[str] | None) -> list[str]:
    """Referenced tables before the tables that reference them; cycles keep input order."""
    keys = list(schema.tables) if wanted is None else [w.lower() for w in wanted]
    selected: list[str] = []
    pending = [k for k in keys if k in schema.tables or k in schema.declared]
    seen: set[str] = set()
    while pending:
        key = pending.pop(0)
        if key in seen:
            continue
        seen.add(key)
        selected.append(key)
        table = schema.tables.get(key)
        if table is not None:
            pending.extend(parent.lower() for parent, _ in table.foreign_keys.values())
    order: list[str] = []
    visiting: set[str] = set()

    def visit(key: str) -> None:
        if key in order or key in visiting:
            return
        visiting.add(key)
        table = schema.tables.get(key)
        for parent, _ in table.foreign_keys.values() if table else ():
            if parent.lower() in seen:
                visit(parent.lower())
        visiting.discard(key)
        order.append(key)

    for key in selected:
        visit(key)
    return order


def render_table(schema: InferredSchema, table: TableInfo, rendered: set[str]) -> str:
    parts = []
    foreign = []
    for key, column in table.columns.items():
        kind = column.type
        reference = table.foreign_keys.get(key)
        if reference is not None:
            parent = schema.tables.get(reference[0].lower())
            parent_col = parent.columns.get(reference[1].lower()) if parent else None
            # A foreign key needs a created parent whose primary key it points at.
            if (
                parent is not None
                and parent_col is not None
                and parent.name.lower() in rendered
                and parent.primary_key == reference[1].lower()
                and parent.name.lower() not in schema.declared
            ):
                kind = parent_col.type
                foreign.append(
                    f"  FOREIGN KEY ({quote(column.name)}) REFERENCES "
                    f"{quote(parent.name)} ({quote(parent_col.name)})"
                )
        parts.append(f"  {quote(column.name)} {PORTABLE_TYPES[kind]}")
    if table.primary_key and table.primary_key in table.columns:
        parts.append(f"  PRIMARY KEY ({quote(table.columns[table.primary_key].name)})")
    if not parts:
        # A table seen only as `SELECT * FROM t` or `COUNT(*)`: give it a key to exist.
        parts.append("  id INTEGER PRIMARY KEY")
    return f"CREATE TABLE {quote(table.name)} (\n" + ",\n".join(parts + foreign) + "\n);"


def render_ddl(
    schema: InferredSchema, dialect: str | None = None, tables: Iterable[str] | None = None
) -> str:
    statements = []
    rendered: set[str] = set()
    for key in ordered_tables(schema, tables):
        if key in schema.declared:
            statements.append(schema.declared[key].rstrip(";") + ";")
        else:
            statements.append(render_table(schema, schema.tables[key], rendered))
        rendered.add(key)
    text = "\n".join(statements)
    if dialect is None or not text:
        return text
    try:
        return ";\n".join(sqlglot.transpile(text, read="postgres", write=dialect)) + ";"
    except SqlglotError:
        return text
