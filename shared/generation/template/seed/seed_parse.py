"""Read a seed's DDL into plain table descriptions, and harvest example values from SQL.

The DDL may be any mix of SQLite, PostgreSQL and MySQL spellings, with comments, INSERTs (as
Gretel's `sql_context`), views and indexes. Each statement is parsed on its own, trying the
three dialects in turn, so one statement sqlglot cannot read costs only that statement. What
is skipped is recorded as a note with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlglot
from sqlglot import TokenType, exp
from sqlglot.errors import SqlglotError

from proto.sample import Scalar
from shared.ingest.scrub_values import PLACEHOLDERS

DIALECTS = ("sqlite", "postgres", "mysql")
# Example values worth keeping: short, printable, no quote or backslash (MySQL escapes), not a
# scrubbed placeholder ('<email>'), no '%' (drivers' parameter marker), not a word the
# reviewer reads as a slot.
_VALUE_OK = re.compile(r"^[^'\\%<>{}\x00-\x1f]{1,60}$")
_SLOT_WORDS = re.compile(r"\b(?:None|nan|null|NULL)\b")
# Markup is a value, not a template slot: BIRD's tag lists ('<regression>') and XML ('<goal />').
_MARKUP = re.compile(r"^(?:<[A-Za-z0-9][\w.+#-]*>)+$|^<[A-Za-z_][\w-]*\s*/>$")
MAX_VALUES = 40
_DEFAULT_SCHEMAS = frozenset({"public", "dbo", "main"})
_WANTED = re.compile(
    r"^\s*(?:CREATE\s+(?:(?:GLOBAL|LOCAL|TEMP|TEMPORARY|OR\s+REPLACE)\s+)*(?:TABLE|VIEW)"
    r"|INSERT|ALTER\s+TABLE)\b",
    re.IGNORECASE,
)


@dataclass
class RawColumn:
    name: str
    quoted: bool
    # sqlglot's type name ("INT", "VARCHAR", "DECIMAL"); "" when the column has no type.
    dtype: str
    enum_values: tuple[str, ...] = ()
    # MySQL's TINYINT(1) and BIT(1) are booleans.
    width: int | None = None
    not_null: bool = False
    primary: bool = False
    # Inline REFERENCES: (table, column or None for the parent's key).
    ref: tuple[str, str | None] | None = None
    # The type exactly as declared ("VARCHAR(30)", "DECIMAL(10, 2)"); "" without one.
    declared: str = ""


@dataclass
class RawForeignKey:
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]


@dataclass
class RawTable:
    name: str
    quoted: bool
    columns: list[RawColumn]
    primary_key: tuple[str, ...] = ()
    foreign_keys: list[RawForeignKey] = field(default_factory=list)

    def column(self, name: str) -> RawColumn | None:
        low = name.lower()
        return next((c for c in self.columns if c.name.lower() == low), None)


@dataclass
class RawSchema:
    tables: list[RawTable] = field(default_factory=list)
    inserts: list[exp.Insert] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def parse_ddl(ddl: str) -> RawSchema:
    """Every CREATE TABLE with a column list; INSERTs kept for their values."""
    schema = RawSchema()
    for number, text in enumerate(split_statements(ddl), start=1):
        if not _WANTED.match(text):
            continue  # indexes, comments, SET, ALTER ...: nothing the engine needs
        tree = parse_statement(text)
        if tree is None:
            head = " ".join(text.split()[:4])
            schema.notes.append(f"statement {number} ({head} ...) does not parse; skipped")
            continue
        if isinstance(tree, exp.Insert):
            schema.inserts.append(tree)
        elif isinstance(tree, exp.Create):
            _add_create(schema, tree, number)
        elif isinstance(tree, exp.Alter):
            _add_alter(schema, tree)
    return schema


def split_statements(text: str) -> list[str]:
    """Cut at top-level semicolons (strings and quoted names stay whole)."""
    for dialect in DIALECTS:
        try:
            tokens = sqlglot.tokenize(text, read=dialect)
        except SqlglotError:
            continue
        out: list[str] = []
        start: int | None = None
        end = 0
        for token in tokens:
            if token.token_type == TokenType.SEMICOLON:
                if start is not None:
                    out.append(text[start : end + 1])
                start = None
            elif start is None:
                start, end = token.start, token.end
            else:
                end = token.end
        if start is not None:
            out.append(text[start : end + 1])
        return out
    return [part for part in text.split(";") if part.strip()]


def parse_statement(text: str) -> exp.Expr | None:
    for dialect in DIALECTS:
        try:
            tree = sqlglot.parse_one(text, read=dialect)
        except (SqlglotError, ValueError, RecursionError):
            continue
        if tree is not None and not isinstance(tree, exp.Command):
            return tree
    return None


def _add_create(schema: RawSchema, tree: exp.Create, number: int) -> None:
    kind = str(tree.args.get("kind") or "").upper()
    target = tree.this
    if kind != "TABLE":
        if kind == "VIEW":
            schema.notes.append(f"statement {number}: views are not tables; skipped")
        return
    table = target.this if isinstance(target, exp.Schema) else target
    name = table.name if isinstance(table, exp.Table) else ""
    if not isinstance(target, exp.Schema) or not isinstance(table, exp.Table):
        schema.notes.append(f"table {name or '?'}: no column list (CREATE ... AS?); dropped")
        return
    if not _default_schema(table):
        schema.notes.append(
            f"table {table.sql()}: schema-qualified names are not supported; dropped"
        )
        return
    ident = table.this
    raw = RawTable(name, bool(isinstance(ident, exp.Identifier) and ident.quoted), [])
    for node in target.expressions:
        if isinstance(node, exp.ColumnDef):
            raw.columns.append(_column(node))
        elif isinstance(node, exp.Identifier):  # SQLite allows a column without a type
            raw.columns.append(RawColumn(node.name, bool(node.quoted), ""))
        elif isinstance(node, exp.PrimaryKey):
            raw.primary_key = _names(node.expressions)
        elif isinstance(node, exp.Constraint | exp.ForeignKey):
            _add_constraint(raw, node)
    for column in raw.columns:
        if column.primary and not raw.primary_key:
            raw.primary_key = (column.name,)
        if column.ref is not None:
            ref_cols = (column.ref[1],) if column.ref[1] else ()
            raw.foreign_keys.append(RawForeignKey((column.name,), column.ref[0], ref_cols))
    schema.tables.append(raw)


def _default_schema(table: exp.Table) -> bool:
    """An unqualified name, or one in the schema a session uses by default (pg_dump writes
    `public.orders`; queries say `orders`)."""
    db = table.args.get("db")
    return db is None or (table.db.lower() in _DEFAULT_SCHEMAS and not table.catalog)


def _add_alter(schema: RawSchema, tree: exp.Alter) -> None:
    """ALTER TABLE ... ADD [CONSTRAINT] PRIMARY KEY / FOREIGN KEY (how pg_dump declares keys)."""
    target = tree.this
    if not isinstance(target, exp.Table) or not _default_schema(target):
        return
    raw = next((t for t in schema.tables if t.name.lower() == target.name.lower()), None)
    if raw is None:
        return
    for action in tree.args.get("actions") or []:
        if isinstance(action, exp.AddConstraint):
            for node in action.expressions:
                _add_constraint(raw, node)


def _add_constraint(raw: RawTable, node: exp.Expr) -> None:
    parts = node.expressions if isinstance(node, exp.Constraint) else [node]
    for part in parts:
        if isinstance(part, exp.PrimaryKey):
            raw.primary_key = _names(part.expressions)
        elif isinstance(part, exp.ForeignKey):
            ref = _reference(part.args.get("reference"))
            if ref is not None:
                raw.foreign_keys.append(RawForeignKey(_names(part.expressions), ref[0], ref[1]))


def _column(node: exp.ColumnDef) -> RawColumn:
    kind = node.args.get("kind")
    dtype, enum_values, width, declared = "", (), None, ""
    if isinstance(kind, exp.DataType):
        dtype = _type_name(kind)
        declared = kind.sql(dialect="postgres")
        literals = [e for e in kind.expressions if isinstance(e, exp.Literal)]
        enum_values = tuple(lit.this for lit in literals if lit.is_string)
        sizes = [e.this for e in kind.expressions if isinstance(e, exp.DataTypeParam)]
        sizes += [lit.this for lit in literals if not lit.is_string]
        width = int(str(sizes[0])) if sizes and str(sizes[0]).isdigit() else None
    ident = node.this
    column = RawColumn(
        name=node.name,
        quoted=bool(isinstance(ident, exp.Identifier) and ident.quoted),
        dtype=dtype.upper(),
        enum_values=enum_values,
        width=width,
        declared=declared,
    )
    for constraint in node.constraints:
        ckind = constraint.kind
        if isinstance(ckind, exp.NotNullColumnConstraint) and not ckind.args.get("allow_null"):
            column.not_null = True
        elif isinstance(ckind, exp.PrimaryKeyColumnConstraint):
            column.primary = column.not_null = True
        elif isinstance(ckind, exp.Reference):
            ref = _reference(ckind)
            if ref is not None:
                column.ref = (ref[0], ref[1][0] if ref[1] else None)
    return column


def _type_name(kind: exp.DataType) -> str:
    """sqlglot's name of a column type; a name one dialect does not know (SQLite reads
    SERIAL as user-defined) is looked up in the others, then by SQLite's affinity rules."""
    name = str(kind.this.name)
    if name != "USERDEFINED":
        return name
    text = str(kind.args.get("kind") or kind.sql()).upper()
    for dialect in ("postgres", "mysql"):
        try:
            built = exp.DataType.build(text, dialect=dialect)
        except (SqlglotError, ValueError):
            continue
        if built.this.name != "USERDEFINED":
            return str(built.this.name)
    for part, affinity in (("INT", "INT"), ("CHAR", "TEXT"), ("CLOB", "TEXT"), ("TEXT", "TEXT")):
        if part in text:
            return affinity
    if any(part in text for part in ("REAL", "FLOA", "DOUB", "NUM", "DEC")):
        return "DECIMAL"
    return name


def _reference(node: object) -> tuple[str, tuple[str, ...]] | None:
    if not isinstance(node, exp.Reference):
        return None
    target = node.this
    if isinstance(target, exp.Schema) and isinstance(target.this, exp.Table):
        return target.this.name, _names(target.expressions)
    if isinstance(target, exp.Table):
        return target.name, ()
    return None


def _names(nodes: Iterable[exp.Expr]) -> tuple[str, ...]:
    out = []
    for node in nodes:
        ident = node.this if isinstance(node, exp.Ordered) else node
        out.append(ident.name)
    return tuple(out)


# ---- example values -------------------------------------------------------------------------

Values = dict[tuple[str, str], list[Scalar]]


# A join equality of the example SQL: ((table, column), (table, column)), lower-cased.
Join = tuple[tuple[str, str], tuple[str, str]]


@dataclass
class Evidence:
    """What the DDL's INSERTs and the example SQL show about the columns."""

    # Literal values per (table, column), lower-cased: INSERT values and comparisons
    # (`status = 'shipped'`, `year IN (2019, 2020)`).
    values: Values = field(default_factory=dict)
    # Equalities between columns of two tables (`o.customer_id = c.id`).
    joins: list[Join] = field(default_factory=list)


def harvest(schema: RawSchema, example_sql: Iterable[str]) -> Evidence:
    found = Evidence()
    by_name = {t.name.lower(): t for t in schema.tables}
    for insert in schema.inserts:
        _harvest_insert(insert, by_name, found.values)
    for sql in example_sql:
        for text in split_statements(sql):
            tree = parse_statement(text)
            if tree is not None:
                _harvest_comparisons(tree, by_name, found)
    return found


def add_value(found: Values, table: str, column: str, value: Scalar) -> None:
    """Record an example value of a column (filtered: no slot words, at most MAX_VALUES)."""
    _add(found, table, column, value)


def _add(found: Values, table: str, column: str, value: Scalar) -> None:
    # A scrubber's placeholder is kept: it says the column held personal data (seed_values.py
    # counts it and generates values of its kind); the fixture never shows it.
    unusable = isinstance(value, str) and (
        not (_VALUE_OK.match(value) or (_MARKUP.match(value) and len(value) <= 60))
        or bool(_SLOT_WORDS.search(value))
    )
    if unusable and value not in PLACEHOLDERS:
        return
    bucket = found.setdefault((table.lower(), column.lower()), [])
    if value not in bucket and len(bucket) < MAX_VALUES:
        bucket.append(value)


def literal_value(node: exp.Expr) -> Scalar:
    """A plain literal's value (negative numbers included), else None."""
    negative = isinstance(node, exp.Neg)
    if negative:
        node = node.this
    if not isinstance(node, exp.Literal):
        return None
    if node.is_string:
        return None if negative else str(node.this)
    try:
        number = float(node.this)
    except ValueError:
        return None
    number = -number if negative else number
    return int(number) if number.is_integer() and "." not in node.this else number


def _harvest_insert(insert: exp.Insert, tables: dict[str, RawTable], found: Values) -> None:
    target = insert.this
    names: list[str] = []
    if isinstance(target, exp.Schema):
        names = [c.name for c in target.expressions]
        target = target.this
    if not isinstance(target, exp.Table) or target.name.lower() not in tables:
        return
    table = tables[target.name.lower()]
    names = names or [c.name for c in table.columns]
    values = insert.args.get("expression")
    if not isinstance(values, exp.Values):
        return
    for row in values.expressions:
        if isinstance(row, exp.Tuple):
            for name, node in zip(names, row.expressions, strict=False):
                value = literal_value(node)
                if value is not None:
                    _add(found, table.name, name, value)


def _harvest_comparisons(tree: exp.Expr, tables: dict[str, RawTable], found: Evidence) -> None:
    aliases: dict[str, str] = {}
    in_scope: list[str] = []
    for source in tree.find_all(exp.Table):
        if source.name.lower() in tables:
            in_scope.append(source.name.lower())
            aliases[(source.alias or source.name).lower()] = source.name.lower()
    comparisons = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)
    for node in tree.find_all(*comparisons, exp.In, exp.Between):
        column, others = _compared(node)
        if not isinstance(column, exp.Column):
            continue
        table = _owner(column, aliases, in_scope, tables)
        if table is None:
            continue
        for other in others:
            if isinstance(node, exp.EQ) and isinstance(other, exp.Column):
                partner = _owner(other, aliases, in_scope, tables)
                if partner is not None and partner != table:
                    pair = ((table, column.name.lower()), (partner, other.name.lower()))
                    if pair not in found.joins:
                        found.joins.append(pair)
            value = literal_value(other) if isinstance(other, exp.Expr) else None
            if value is not None:
                _add(found.values, table, column.name, value)


def _compared(node: exp.Expr) -> tuple[exp.Expr | None, list[exp.Expr | None]]:
    """The column side of a comparison and what it is compared with."""
    if isinstance(node, exp.In):
        return node.this, list(node.expressions)
    if isinstance(node, exp.Between):
        return node.this, [node.args.get("low"), node.args.get("high")]
    left, right = node.args.get("this"), node.args.get("expression")
    return (left, [right]) if isinstance(left, exp.Column) else (right, [left])


def _owner(
    column: exp.Column, aliases: dict[str, str], in_scope: list[str], tables: dict[str, RawTable]
) -> str | None:
    if column.table:
        return aliases.get(column.table.lower())
    owners = [t for t in dict.fromkeys(in_scope) if tables[t].column(column.name) is not None]
    return owners[0] if len(owners) == 1 else None
