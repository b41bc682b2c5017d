"""Dry-run UPDATE, DELETE and INSERT … SELECT in Python: count the rows they touch and refuse
those an engine would reject (NOT NULL, primary and foreign keys, UNIQUE, column types)."""

from __future__ import annotations

import re

from shared.generation.template.evaluation.eval_types import (
    Env,
    EvalError,
    Fragile,
    Result,
    Scope,
    Value,
)
from shared.generation.template.evaluation.evaluate import run_query
from shared.generation.template.evaluation.evaluate_expr import compile_node
from shared.generation.template.instance.rowstore import Row, RowStore
from shared.generation.template.schema.schema_model import Column, ColumnType, Table
from shared.generation.template.sql import ir

# An ISO date, or a seed's date with a time of day (Column.date_format).
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}:\d{2}(?:\.\d+)?)?$")


def run_dml(store: RowStore, statement: ir.Update | ir.Delete | ir.Insert) -> Result:
    if isinstance(statement, ir.Insert):
        count = _insert(store, statement)
    else:
        count = _update_or_delete(store, statement)
    return Result(("affected_rows",), [(count,)])


def _target_rows(store: RowStore, table: str, where: ir.Expr | None) -> tuple[Scope, list[Row]]:
    scope = Scope({(table, c): i for i, c in enumerate(store.columns(table))})
    rows = list(store.rows(table))
    if where is not None:
        test = compile_node(where, scope, store)
        rows = [r for r in rows if test(Env(r)) is True]
    return scope, rows


def _update_or_delete(store: RowStore, statement: ir.Update | ir.Delete) -> int:
    table = store.table(statement.table)
    scope, rows = _target_rows(store, statement.table, statement.where)
    pk_at = store.index(table.name, table.primary_key)
    if isinstance(statement, ir.Delete):
        referenced = store.referenced_keys[table.name]
        if any(r[pk_at] in referenced for r in rows):
            raise Fragile("DELETE would remove rows that child rows reference")
        return len(rows)
    keys = {table.primary_key} | {fk.column for fk in table.foreign_keys}
    for name, value in statement.sets:
        if name in keys:
            raise EvalError(f"UPDATE must not change key column {name}")
        fn = compile_node(value, scope, store)
        column = table.column(name)
        for r in rows:
            _check_value(column, fn(Env(r)))
    return len(rows)


def _insert(store: RowStore, statement: ir.Insert) -> int:
    table = store.table(statement.table)
    if statement.query is None:
        scope = Scope({})
        row = tuple(compile_node(v, scope, store)(Env(())) for v in statement.values)
        result = Result(statement.columns, [row])
    else:
        result = run_query(store, statement.query, None, None, {})
    if len(result.names) != len(statement.columns):
        raise EvalError("INSERT column count differs from the SELECT")
    missing = [c for c in table.columns if c.name not in statement.columns and not c.nullable]
    if missing:
        raise EvalError(f"INSERT leaves NOT NULL columns empty: {[c.name for c in missing]}")
    for row in result.rows:
        for name, value in zip(statement.columns, row, strict=True):
            _check_value(table.column(name), value)
    _check_keys(store, table, statement.columns, result.rows)
    return len(result.rows)


def _check_keys(store: RowStore, table: Table, columns: tuple[str, ...], rows: list[Row]) -> None:
    pk_at = columns.index(table.primary_key)
    existing = set(store.values(table.name, table.primary_key))
    new_keys = [r[pk_at] for r in rows]
    if len(set(new_keys)) != len(new_keys) or existing & set(new_keys):
        raise Fragile("INSERT would duplicate a primary key")
    for fk in table.foreign_keys:
        if fk.column not in columns:
            continue
        at = columns.index(fk.column)
        parents = set(store.values(fk.ref_table, fk.ref_column))
        if any(r[at] is not None and r[at] not in parents for r in rows):
            raise Fragile(f"INSERT would break the foreign key {fk.column}")
    if table.unique_together:
        ats = [columns.index(c) for c in table.unique_together if c in columns]
        old_ats = [store.index(table.name, c) for c in table.unique_together]
        seen = {tuple(r[i] for i in old_ats) for r in store.rows(table.name)}
        for r in rows:
            combo = tuple(r[i] for i in ats)
            if combo in seen:
                raise Fragile("INSERT would break a UNIQUE constraint")
            seen.add(combo)


def _check_value(column: Column, value: Value) -> None:
    if value is None:
        if not column.nullable:
            raise Fragile(f"NULL into NOT NULL column {column.name}")
        return
    ok = {
        ColumnType.INTEGER: isinstance(value, int),
        ColumnType.DECIMAL: isinstance(value, int | float),
        ColumnType.TEXT: isinstance(value, str),
        ColumnType.DATE: isinstance(value, str) and bool(_ISO_DATE.match(value)),
    }[column.type]
    if not ok:
        raise EvalError(f"value {value!r} does not fit column {column.name} ({column.type})")
