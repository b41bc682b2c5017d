"""A schema from the statements that use it: tables, columns, plausible types, join keys.

Traces carry SQL but no DDL. Every statement that parses adds evidence: which columns each
table has (qualified, through an alias, or the only table in scope), what they are compared
with (a number, a date-like string, LIKE), which functions they feed (SUM, date parts), which
values an INSERT gives them, and which equalities join two tables (`o.customer_id = c.id`
makes a foreign key). Names break ties (`*_id` integer, `*_at` timestamp, `price` decimal).
CREATE TABLE statements seen in the log win over inference for their tables.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.scope import Scope, traverse_scope

from proto.seed import SeedEvent
from shared.ingest.schema_model import (
    BOOLEAN,
    DATE,
    DECIMAL,
    INTEGER,
    TIMESTAMP,
    VARCHAR,
    InferredSchema,
    type_from_name,
)
from shared.sql.feature_parse import parse_sql, resolve_dialect

# Evidence weights: what a statement shows beats what a name suggests.
_LITERAL, _FUNCTION, _NAME = 3, 2, 1
_NUMERIC_FUNCS = (exp.Sum, exp.Avg, exp.Stddev, exp.Variance, exp.Round, exp.Abs)
_DATE_FUNCS = tuple(
    getattr(exp, name)
    for name in ("DateTrunc", "TimestampTrunc", "Extract", "Year", "Month", "Day", "TsOrDsToDate")
    if hasattr(exp, name)
)
_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)
_DATE_VALUE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Catalogue tables of the engines: never part of an application's schema.
_SYSTEM_SCHEMAS = frozenset(
    {"information_schema", "pg_catalog", "mysql", "sys", "performance_schema"}
)
_SYSTEM_PREFIXES = ("sqlite_", "pg_")


def is_user_table(table: exp.Table) -> bool:
    return bool(table.name) and not (
        table.db.lower() in _SYSTEM_SCHEMAS or table.name.lower().startswith(_SYSTEM_PREFIXES)
    )


_TIMESTAMP_VALUE = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}")


def literal_type(node: exp.Expr) -> str | None:
    if isinstance(node, exp.Neg):
        node = node.this
    if isinstance(node, exp.Boolean):
        return BOOLEAN
    if not isinstance(node, exp.Literal):
        return None
    if not node.is_string:
        return DECIMAL if any(c in node.this for c in ".eE") else INTEGER
    if _TIMESTAMP_VALUE.match(node.this):
        return TIMESTAMP
    if _DATE_VALUE.match(node.this):
        return DATE
    return VARCHAR


class _Statement:
    """Resolve one statement's columns to tables and record their evidence."""

    def __init__(self, schema: InferredSchema) -> None:
        self.schema = schema

    def add(self, tree: exp.Expr) -> None:
        if isinstance(tree, exp.Create):
            self._add_declared(tree)
            return
        tables: set[str] = set()
        for scope in traverse_scope(tree):
            if isinstance(scope.expression, exp.Select):
                tables |= self._add_scope(scope)
        if isinstance(tree, (exp.Insert, exp.Update, exp.Delete)):
            tables |= self._add_dml(tree)
        for name in tables:
            self.schema.table(name).statements += 1

    def _add_declared(self, tree: exp.Create) -> None:
        target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
        if isinstance(target, exp.Table) and (tree.kind or "").upper() == "TABLE":
            self.schema.declared[target.name.lower()] = tree.sql()

    def _add_scope(self, scope: Scope) -> set[str]:
        aliases = {
            alias: source.name
            for alias, source in scope.sources.items()
            if isinstance(source, exp.Table) and is_user_table(source)
        }
        only = next(iter(aliases.values())) if len(scope.sources) == 1 and aliases else None
        resolved: dict[int, tuple[str, str]] = {}
        for column in scope.columns:
            if column.find_ancestor(exp.Select) is not scope.expression or not column.name:
                continue
            table = aliases.get(column.table) if column.table else only
            if table is None:
                if not column.table and aliases:
                    self.schema.ambiguous.append((tuple(aliases.values()), column.name))
                continue
            self.schema.table(table).column(column.name)
            resolved[id(column)] = (table, column.name)
            self._add_evidence(column, table)
        for eq in scope.expression.find_all(exp.EQ):
            left, right = resolved.get(id(eq.left)), resolved.get(id(eq.right))
            if left and right and left[0].lower() != right[0].lower():
                self._add_join(left, right)
        for name in aliases.values():
            self.schema.table(name)
        return set(aliases.values())

    def _add_dml(self, tree: exp.Insert | exp.Update | exp.Delete) -> set[str]:
        target = tree.this
        names: list[str] = []
        if isinstance(target, exp.Schema):
            names = [col.name for col in target.expressions]
            target = target.this
        if not isinstance(target, exp.Table) or not is_user_table(target):
            return set()
        table = self.schema.table(target.name)
        for name in names:
            table.column(name)
        values = tree.args.get("expression")
        if isinstance(tree, exp.Insert) and isinstance(values, exp.Values) and names:
            for row in values.expressions:
                for name, value in zip(names, row.expressions, strict=False):
                    self._vote(table.name, name, literal_type(value), _LITERAL)
        if isinstance(tree, exp.Update):
            for assignment in tree.expressions:
                if isinstance(assignment, exp.EQ) and isinstance(assignment.left, exp.Column):
                    name = assignment.left.name
                    table.column(name)
                    self._vote(table.name, name, literal_type(assignment.right), _LITERAL)
        where = tree.args.get("where")
        if where is not None and not isinstance(tree, exp.Insert):
            for column in where.find_all(exp.Column):
                if not column.table and column.find_ancestor(exp.Select) is None:
                    table.column(column.name)
                    self._add_evidence(column, table.name)
        return {table.name}

    def _add_evidence(self, column: exp.Column, table: str) -> None:
        parent = column.parent
        if isinstance(parent, (_COMPARISONS, exp.Between)):
            others = [arg for arg in parent.args.values() if isinstance(arg, exp.Expr)]
            for other in others:
                if other is not column:
                    self._vote(table, column.name, literal_type(other), _LITERAL)
        elif isinstance(parent, exp.In):
            for item in parent.expressions:
                self._vote(table, column.name, literal_type(item), _LITERAL)
        elif isinstance(parent, (exp.Like, exp.ILike)):
            self._vote(table, column.name, VARCHAR, _LITERAL)
        elif isinstance(parent, _NUMERIC_FUNCS):
            self._vote(table, column.name, DECIMAL, _FUNCTION)
        elif _DATE_FUNCS and isinstance(parent, _DATE_FUNCS):
            self._vote(table, column.name, TIMESTAMP, _FUNCTION)

    def _vote(self, table: str, column: str, kind: str | None, weight: int) -> None:
        if kind is not None:
            self.schema.table(table).column(column).votes[kind] += weight

    def _add_join(self, left: tuple[str, str], right: tuple[str, str]) -> None:
        direction = join_direction(left, right)
        if direction is None:
            pair = (*left, *right)
            if pair not in self.schema.joins:
                self.schema.joins.append(pair)
            return
        (child, child_col), (parent, parent_col) = direction
        self.schema.table(child).foreign_keys.setdefault(child_col.lower(), (parent, parent_col))
        parent_table = self.schema.table(parent)
        parent_table.primary_key = parent_table.primary_key or parent_col.lower()


def _singular(name: str) -> str:
    low = name.lower()
    for suffix, repl in (("ies", "y"), ("ses", "s"), ("s", "")):
        if low.endswith(suffix) and len(low) > len(suffix) + 1:
            return low[: -len(suffix)] + repl
    return low


def _names_table(column: str, table: str) -> bool:
    """`customer_id` names `customers`; `activity_id` names `activities`."""
    low = column.lower()
    stem = low[:-3] if low.endswith("_id") else low[:-2] if low.endswith("id") else None
    return stem is not None and stem in (table.lower(), _singular(table))


def join_direction(
    left: tuple[str, str], right: tuple[str, str]
) -> tuple[tuple[str, str], tuple[str, str]] | None:
    """(child, parent) of a join equality, or None when the names do not tell."""
    for a, b in ((left, right), (right, left)):
        if b[1].lower() == "id" and a[1].lower() != "id":
            return a, b
    for a, b in ((left, right), (right, left)):
        if _names_table(b[1], b[0]) and not _names_table(a[1], a[0]):
            return a, b
    return None


def infer_schema(
    statements: Iterable[SeedEvent | str], dialect: str | None = None
) -> InferredSchema:
    """Infer tables, columns, types and keys from seeds (or SQL texts in `dialect`)."""
    schema = InferredSchema()
    builder = _Statement(schema)
    for item in statements:
        if isinstance(item, SeedEvent) and item.error is not None:
            continue  # a failed statement may name tables and columns that do not exist
        sql = item.sql if isinstance(item, SeedEvent) else item
        name = item.dialect.value if isinstance(item, SeedEvent) and item.dialect else dialect
        try:
            trees = parse_sql(sql, _sqlglot_name(name)).statements
        except (SqlglotError, ValueError, RecursionError):
            schema.unparsed += 1
            continue
        schema.parsed += 1
        for tree in trees:
            try:
                builder.add(tree)
            except (SqlglotError, ValueError, RecursionError):
                schema.unparsed += 1
    schema.settle_ambiguous()
    for table in schema.tables.values():
        if table.primary_key is None and "id" in table.columns:
            table.primary_key = "id"
        for column in table.columns.values():
            column.votes[type_from_name(column.name) or VARCHAR] += _NAME
    return schema


def _sqlglot_name(dialect: str | None) -> str:
    return resolve_dialect(dialect) if dialect else "postgres"
