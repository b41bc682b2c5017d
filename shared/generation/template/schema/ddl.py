"""Portable DDL and INSERT text for a catalogue domain: one spelling that runs unchanged on
SQLite, PostgreSQL and MySQL/MariaDB (unquoted lower-case identifiers, column types every engine
reads alike — INTEGER/SMALLINT/BIGINT, DECIMAL(p,2), VARCHAR(n), DATE —, single-column integer
keys, table-level FOREIGN KEY clauses; keys declared or not as the domain says)."""

from __future__ import annotations

import graphlib
from collections.abc import Collection, Sequence

from sqlglot.dialects.mysql import MySQL

from proto.sample import Scalar, TableRows
from shared.generation.template.schema.schema_model import ColumnType, Domain, Table

# PostgreSQL's reserved key words, including "can be function or type" and "cannot be function
# or type" (PostgreSQL 16 docs, appendix C): safe as column names there, but not as table names.
_POSTGRES_RESERVED = """
ALL ANALYSE ANALYZE AND ANY ARRAY AS ASC ASYMMETRIC AUTHORIZATION BETWEEN BIGINT BINARY BIT
BOOLEAN BOTH CASE CAST CHAR CHARACTER CHECK COALESCE COLLATE COLLATION COLUMN CONCURRENTLY
CONSTRAINT CREATE CROSS CURRENT_CATALOG CURRENT_DATE CURRENT_ROLE CURRENT_SCHEMA CURRENT_TIME
CURRENT_TIMESTAMP CURRENT_USER DEC DECIMAL DEFAULT DEFERRABLE DESC DISTINCT DO ELSE END EXCEPT
EXISTS EXTRACT FALSE FETCH FLOAT FOR FOREIGN FREEZE FROM FULL GRANT GREATEST GROUP GROUPING
HAVING ILIKE IN INITIALLY INNER INOUT INT INTEGER INTERSECT INTERVAL INTO IS ISNULL JOIN LATERAL
LEADING LEAST LEFT LIKE LIMIT LOCALTIME LOCALTIMESTAMP NATIONAL NATURAL NCHAR NONE NORMALIZE NOT
NOTNULL NULL NULLIF NUMERIC OFFSET ON ONLY OR ORDER OUT OUTER OVERLAPS OVERLAY PLACING POSITION
PRECISION PRIMARY REAL REFERENCES RETURNING RIGHT ROW SELECT SESSION_USER SETOF SIMILAR SMALLINT
SOME SUBSTRING SYMMETRIC SYSTEM_USER TABLE TABLESAMPLE THEN TIME TIMESTAMP TO TRAILING TREAT TRIM
TRUE UNION UNIQUE USER USING VALUES VARCHAR VARIADIC VERBOSE WHEN WHERE WINDOW WITH XMLATTRIBUTES
XMLCONCAT XMLELEMENT XMLEXISTS XMLFOREST XMLNAMESPACES XMLPARSE XMLPI XMLROOT XMLSERIALIZE
XMLTABLE
"""
# SQLite's full key word list (sqlite.org/lang_keywords.html); SQLite accepts many of them as
# names, but generated SQL that uses them is confusing and fragile under other parsers.
_SQLITE_KEYWORDS = """
ABORT ACTION ADD AFTER ALL ALTER ALWAYS ANALYZE AND AS ASC ATTACH AUTOINCREMENT BEFORE BEGIN
BETWEEN BY CASCADE CASE CAST CHECK COLLATE COLUMN COMMIT CONFLICT CONSTRAINT CREATE CROSS CURRENT
CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP DATABASE DEFAULT DEFERRABLE DEFERRED DELETE DESC
DETACH DISTINCT DO DROP EACH ELSE END ESCAPE EXCEPT EXCLUDE EXCLUSIVE EXISTS EXPLAIN FAIL FILTER
FIRST FOLLOWING FOR FOREIGN FROM FULL GENERATED GLOB GROUP GROUPS HAVING IF IGNORE IMMEDIATE IN
INDEX INDEXED INITIALLY INNER INSERT INSTEAD INTERSECT INTO IS ISNULL JOIN KEY LAST LEFT LIKE LIMIT
MATCH MATERIALIZED NATURAL NO NOT NOTHING NOTNULL NULL NULLS OF OFFSET ON OR ORDER OTHERS OUTER
OVER PARTITION PLAN PRAGMA PRECEDING PRIMARY QUERY RAISE RANGE RECURSIVE REFERENCES REGEXP REINDEX
RELEASE RENAME REPLACE RESTRICT RETURNING RIGHT ROLLBACK ROW ROWS SAVEPOINT SELECT SET TABLE TEMP
TEMPORARY THEN TIES TO TRANSACTION TRIGGER UNBOUNDED UNION UNIQUE UPDATE USING VACUUM VALUES VIEW
VIRTUAL WHEN WHERE WINDOW WITH WITHOUT
"""
# Type and function names that are legal identifiers almost everywhere but make questions and
# generated SQL ambiguous (e.g. a column called `date` next to CAST(... AS DATE)).
_AMBIGUOUS = """
DATE YEAR MONTH DAY HOUR MINUTE SECOND RANK LEVEL VALUE TEXT COUNT SUM AVG MIN MAX TYPE SIZE
COMMENT PERCENT TOP SESSION ROLE ZONE
"""

# MySQL 8 reserved words come from sqlglot's MySQL generator (it quotes exactly these).
RESERVED_WORDS: frozenset[str] = frozenset(
    {w.upper() for w in MySQL.Generator.RESERVED_KEYWORDS}
    | set(_POSTGRES_RESERVED.split())
    | set(_SQLITE_KEYWORDS.split())
    | set(_AMBIGUOUS.split())
)


def fk_order(domain: Domain) -> tuple[Table, ...]:
    """Tables with every parent before its children (file order among equals); self references
    do not count. Raises graphlib.CycleError on a cycle between tables."""
    position = {t.name: i for i, t in enumerate(domain.tables)}
    graph = {
        t.name: {fk.ref_table for fk in t.foreign_keys if fk.ref_table != t.name}
        for t in domain.tables
    }
    sorter = graphlib.TopologicalSorter(graph)
    sorter.prepare()
    ordered: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready(), key=position.__getitem__)
        ordered += ready
        sorter.done(*ready)
    return tuple(domain.table(name) for name in ordered)


def render_create_table(
    table: Table, *, primary_keys: bool = True, foreign_keys: bool = True
) -> str:
    """One CREATE TABLE statement without the trailing ';'. Without declared keys the key
    columns stay (NOT NULL) and rows keep their values: only the constraints are left out."""
    parts: list[str] = []
    for col in table.columns:
        col_type = col.sql_type or (
            ColumnType.INTEGER.value if col.name == table.primary_key else col.type.value
        )
        if col.name == table.primary_key:
            parts.append(f"{col.name} {col_type} {_key_clause(primary_keys, foreign_keys)}")
            continue
        default = f" DEFAULT {col.default}" if col.default is not None else ""
        parts.append(f"{col.name} {col_type}{default}{'' if col.nullable else ' NOT NULL'}")
    if table.unique_together:
        parts.append(f"UNIQUE ({', '.join(table.unique_together)})")
    if foreign_keys:
        for fk in table.foreign_keys:
            parts.append(f"FOREIGN KEY ({fk.column}) REFERENCES {fk.ref_table} ({fk.ref_column})")
    return f"CREATE TABLE {table.name} ({', '.join(parts)})"


def _key_clause(primary_keys: bool, foreign_keys: bool) -> str:
    # A foreign key must reference a unique column on every engine: without a declared
    # primary key, the key column is declared UNIQUE so the references stay legal.
    if primary_keys:
        return "PRIMARY KEY"
    return "NOT NULL UNIQUE" if foreign_keys else "NOT NULL"


def ddl_statements(domain: Domain) -> list[str]:
    """The CREATE TABLE statements in FK order, without ';' (for drivers that run one at once)."""
    return [
        render_create_table(
            table,
            primary_keys=domain.declares_primary_keys,
            foreign_keys=domain.declares_foreign_keys,
        )
        for table in fk_order(domain)
    ]


def render_ddl(domain: Domain) -> str:
    """All CREATE TABLE statements in FK order, one per line, each ending with ';'."""
    return "\n".join(f"{stmt};" for stmt in ddl_statements(domain))


def render_literal(value: Scalar) -> str:
    """A SQL literal every engine reads the same way.

    Decimals are floats with at most two decimals and render as exactly two ('12.50'). Strings
    double their quotes; a backslash is refused because MySQL treats it as an escape.
    """
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        raise ValueError("booleans are not portable (MySQL stores 1/0); use INTEGER")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.2f}"
    if "\\" in value:
        raise ValueError(f"backslash in a literal is read differently by MySQL: {value!r}")
    return "'" + value.replace("'", "''") + "'"


def quote_name(name: str, quoted: Collection[str] = ()) -> str:
    """An identifier as written: double-quoted when it is in `quoted` (a seed schema's names
    that need it, see SeedInfo.quoted), bare otherwise."""
    return '"' + name.replace('"', '""') + '"' if name in quoted else name


def render_insert(rows: TableRows, chunk: int = 0, quoted: Collection[str] = ()) -> list[str]:
    """Multi-row INSERT statements for one table (`chunk` rows each; 0 means all in one)."""
    if not rows.values:
        return []
    size = chunk or len(rows.values)
    cols = ", ".join(quote_name(c, quoted) for c in rows.columns)
    statements: list[str] = []
    for start in range(0, len(rows.values), size):
        batch: Sequence[list[Scalar]] = rows.values[start : start + size]
        tuples = ", ".join("(" + ", ".join(render_literal(v) for v in row) + ")" for row in batch)
        statements.append(f"INSERT INTO {quote_name(rows.table, quoted)} ({cols}) VALUES {tuples};")
    return statements
