"""Facts about a schema from its DDL text: tables, columns, primary and foreign keys.

The text may be a Gretel `sql_context` (CREATE TABLE mixed with INSERT rows) or a BIRD schema
file full of comments. Only CREATE TABLE and ALTER TABLE statements are parsed: the text is
tokenized once, cut at semicolons, and each DDL statement is parsed from its own tokens, so
thousands of INSERT rows cost a tokenizer pass and nothing more. A DDL statement that does not
parse is skipped and counted in `unparsed`. Definitions: docs/features.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from sqlglot import exp
from sqlglot.tokenizer_core import Token, TokenType

from proto.common import Engine
from shared.record_scope import per_record
from shared.sql.feature_parse import parse_tokens, resolve_dialect, tokenize_sql

ForeignKey = tuple[str, str, str, str]  # (table, column, ref_table, ref_column)

_DDL_STARTS = frozenset({"CREATE", "ALTER"})
# Statements a schema text may carry besides DDL (rows, session settings, clean-up): skipped
# unparsed and uncounted. Anything else (e.g. "STATIONS(id, name)") counts as unparsed.
_NON_DDL_STARTS = frozenset(
    {"INSERT", "REPLACE", "UPDATE", "DELETE", "SELECT", "WITH", "VALUES", "SET", "BEGIN"}
    | {"START", "COMMIT", "END", "ROLLBACK", "PRAGMA", "USE", "DROP", "TRUNCATE", "COMMENT"}
    | {"GRANT", "REVOKE", "ANALYZE", "VACUUM", "LOCK", "UNLOCK"}
)
_STATEMENT_END = re.compile(r";")


@dataclass(frozen=True)
class SchemaFacts:
    """Tables in declaration order; names lowercased (as QueryFeatures.tables)."""

    tables: tuple[str, ...]
    columns: Mapping[str, tuple[str, ...]]
    num_columns: int
    primary_keys: Mapping[str, tuple[str, ...]]
    foreign_keys: tuple[ForeignKey, ...]
    unparsed: int = 0

    @property
    def has_primary_key(self) -> bool:
        return bool(self.primary_keys)

    @property
    def has_foreign_key(self) -> bool:
        return bool(self.foreign_keys)


@dataclass
class _Collector:
    columns: dict[str, list[str]] = field(default_factory=dict)
    primary_keys: dict[str, list[str]] = field(default_factory=dict)
    # (table, columns, ref_table, ref_columns); ref_columns empty means "its primary key".
    references: list[tuple[str, list[str], str, list[str]]] = field(default_factory=list)
    unparsed: int = 0
    # The CREATE TABLE trees read, in order (read_schema_creates).
    creates: list[exp.Create] = field(default_factory=list)


@per_record(maxsize=1024)
def extract_schema_facts(ddl: str, dialect: Engine | str = Engine.SQLITE) -> SchemaFacts:
    """Read the tables, columns and keys declared in `ddl`; never raises on bad DDL."""
    return read_schema_creates(ddl, dialect)[0]


@per_record(maxsize=1024)
def read_schema_creates(
    ddl: str, dialect: Engine | str = Engine.SQLITE
) -> tuple[SchemaFacts, tuple[exp.Create, ...]]:
    """The facts, and the CREATE TABLE trees they were read from (read-only: the trees are
    shared by every caller within a record). One parse of the DDL serves both: the sense
    checks' column types came from a second parse of each statement (#23)."""
    dialect_name = resolve_dialect(dialect)
    found = _Collector()
    for tokens, text in _ddl_statements(ddl, dialect_name, found):
        try:
            statements = parse_tokens(tokens, text, dialect_name)
        except Exception:  # sqlglot raises more than its documented errors on odd input
            found.unparsed += 1
            continue
        for statement in statements:
            if isinstance(statement, exp.Create) and statement.kind == "TABLE":
                _collect_create(statement, found)
                found.creates.append(statement)
            elif isinstance(statement, exp.Alter) and statement.args.get("kind") == "TABLE":
                _collect_alter(statement, found)
            elif isinstance(statement, exp.Command):
                found.unparsed += 1  # sqlglot gave up on the syntax and kept the raw text
    return _freeze(found), tuple(found.creates)


def _ddl_statements(
    ddl: str, dialect_name: str, found: _Collector
) -> Iterator[tuple[list[Token], str]]:
    """Yield (tokens, text) of each CREATE/ALTER statement, in order; count unknown ones."""
    try:
        chunks = [(ddl, tokenize_sql(ddl, dialect_name))]
    except Exception:
        # One bad literal would sink the whole text; retry statement by statement.
        chunks = []
        for piece in _STATEMENT_END.split(ddl):
            try:
                chunks.append((piece, tokenize_sql(piece, dialect_name)))
            except Exception:
                if _looks_like_ddl(piece):
                    found.unparsed += 1
    for text, tokens in chunks:
        statement: list[Token] = []
        for token in [*tokens, None]:
            if token is None or token.token_type is TokenType.SEMICOLON:
                if statement:
                    head = statement[0].text.upper()
                    if head in _DDL_STARTS:
                        yield statement, text
                    elif head not in _NON_DDL_STARTS:
                        found.unparsed += 1
                statement = []
            else:
                statement.append(token)


def _looks_like_ddl(text: str) -> bool:
    head = text.lstrip().split(None, 1)
    return bool(head) and head[0].upper() not in _NON_DDL_STARTS


def _collect_create(create: exp.Create, found: _Collector) -> None:
    schema = create.this
    table_node = schema.this if isinstance(schema, exp.Schema) else schema
    if not isinstance(table_node, exp.Table) or not table_node.name:
        found.unparsed += 1
        return
    table = table_node.name.lower()
    columns = found.columns.setdefault(table, [])
    if isinstance(schema, exp.Schema):
        for item in schema.expressions:
            _collect_table_item(table, item, columns, found)
    elif isinstance(create.expression, exp.Query):  # CREATE TABLE ... AS SELECT
        _append_new(columns, [name.lower() for name in create.expression.named_selects])


def _collect_alter(alter: exp.Alter, found: _Collector) -> None:
    table_node = alter.this
    if not isinstance(table_node, exp.Table) or not table_node.name:
        found.unparsed += 1
        return
    table = table_node.name.lower()
    # ALTER on a table this text does not create still adds keys, but does not invent a table.
    columns = found.columns.get(table, [])
    for action in alter.args.get("actions") or []:
        items = action.expressions if isinstance(action, exp.AddConstraint) else [action]
        for item in items:
            _collect_table_item(table, item, columns, found)


def _collect_table_item(table: str, item: exp.Expr, columns: list[str], found: _Collector) -> None:
    """One entry of a CREATE TABLE body or an ALTER TABLE action."""
    if isinstance(item, exp.ColumnDef):
        column = item.name.lower()
        _append_new(columns, [column])
        for constraint in item.args.get("constraints") or []:
            kind = constraint.args.get("kind")
            if isinstance(kind, exp.PrimaryKeyColumnConstraint):
                _append_new(found.primary_keys.setdefault(table, []), [column])
            elif isinstance(kind, exp.Reference):
                ref_table, ref_columns = _reference_target(kind)
                if ref_table:
                    found.references.append((table, [column], ref_table, ref_columns))
    elif isinstance(item, exp.Identifier):  # a column without a type, which SQLite allows
        _append_new(columns, [item.name.lower()])
    elif isinstance(item, exp.Constraint):  # CONSTRAINT name PRIMARY KEY (...) / FOREIGN KEY
        for inner in item.expressions:
            _collect_table_item(table, inner, columns, found)
    elif isinstance(item, exp.PrimaryKey):
        _append_new(found.primary_keys.setdefault(table, []), _names(item.expressions))
    elif isinstance(item, exp.ForeignKey):
        reference = item.args.get("reference")
        if isinstance(reference, exp.Reference):
            ref_table, ref_columns = _reference_target(reference)
            if ref_table:
                found.references.append((table, _names(item.expressions), ref_table, ref_columns))


def _reference_target(reference: exp.Reference) -> tuple[str, list[str]]:
    target = reference.this
    if isinstance(target, exp.Schema):
        table = target.this
        return (table.name.lower() if table is not None else ""), _names(target.expressions)
    return (target.name.lower() if target is not None else ""), []


def _names(items: list[exp.Expr]) -> list[str]:
    names = []
    for item in items:
        while isinstance(item, exp.Ordered | exp.Paren):
            item = item.this
        if item.name:
            names.append(item.name.lower())
    return names


def _append_new(target: list[str], names: list[str]) -> None:
    target.extend(name for name in names if name not in target)


def _freeze(found: _Collector) -> SchemaFacts:
    foreign_keys: list[ForeignKey] = []
    for table, columns, ref_table, ref_columns in found.references:
        # REFERENCES parent without columns means the parent's primary key (SQL standard).
        targets = ref_columns or found.primary_keys.get(ref_table, [])
        for index, column in enumerate(columns):
            target = targets[index] if index < len(targets) else ""
            foreign_keys.append((table, column, ref_table, target))
    table_columns = {table: tuple(names) for table, names in found.columns.items()}
    return SchemaFacts(
        tables=tuple(found.columns),
        columns=MappingProxyType(table_columns),
        num_columns=sum(len(names) for names in table_columns.values()),
        primary_keys=MappingProxyType(
            {table: tuple(keys) for table, keys in found.primary_keys.items() if keys}
        ),
        foreign_keys=tuple(dict.fromkeys(foreign_keys)),
        unparsed=found.unparsed,
    )
