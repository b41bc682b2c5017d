"""Realistic mistakes as sqlglot transforms of a gold query: the offline weak generator.

Each transform returns candidate trees (copies; the gold tree is never changed) carrying one
mistake of a kind a weaker model makes (SENSE §3.2 collects such errors from weak models; the
kinds here are the frequent ones in text-to-SQL error analyses): a join on the wrong key, a
predicate dropped or flipped, the wrong aggregate, a bound off by one, DISTINCT forgotten, the
wrong grouping. Whether a candidate is really wrong is decided by executing it, not here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError


class ErrorKind(StrEnum):
    WRONG_JOIN_KEY = "wrong_join_key"
    DROPPED_PREDICATE = "dropped_predicate"
    FLIPPED_PREDICATE = "flipped_predicate"
    WRONG_AGGREGATE = "wrong_aggregate"
    OFF_BY_ONE = "off_by_one_bound"
    MISSING_DISTINCT = "missing_distinct"
    WRONG_GROUPING = "wrong_grouping"
    WEAK_MODEL = "weak_model"


@dataclass(frozen=True)
class SchemaColumns:
    """Columns per table (lower-case names), read from the fixture's CREATE TABLE statements."""

    tables: dict[str, tuple[str, ...]]

    def columns_of(self, table: str) -> tuple[str, ...]:
        return self.tables.get(table.lower(), ())


def read_schema_columns(ddl: str, dialect: str) -> SchemaColumns:
    tables: dict[str, tuple[str, ...]] = {}
    try:
        statements = sqlglot.parse(ddl, read=dialect)
    except SqlglotError:
        return SchemaColumns(tables)
    for statement in statements:
        if isinstance(statement, exp.Create) and isinstance(statement.this, exp.Schema):
            table = statement.this.this
            columns = [
                c.name.lower() for c in statement.this.expressions if isinstance(c, exp.ColumnDef)
            ]
            if isinstance(table, exp.Table):
                tables[table.name.lower()] = tuple(columns)
    return SchemaColumns(tables)


Mutation = Callable[[exp.Expr, SchemaColumns], Iterator[exp.Expr]]


def _alias_tables(tree: exp.Expr) -> dict[str, str]:
    """Alias (or name) → table name for every table the query reads."""
    found: dict[str, str] = {}
    for table in tree.find_all(exp.Table):
        found[(table.alias_or_name or table.name).lower()] = table.name.lower()
    return found


def _mutate_each(
    tree: exp.Expr, kind: type[exp.Expr], change: Callable[[exp.Expr], exp.Expr | None]
) -> Iterator[exp.Expr]:
    """One candidate per node of `kind` that `change` can rewrite (node found by position)."""
    count = len(list(tree.find_all(kind)))
    for index in range(count):
        copy = tree.copy()
        node = list(copy.find_all(kind))[index]
        replacement = change(node)
        if replacement is not None:
            if replacement is not node:
                node.replace(replacement)
            yield copy


def mutate_join_key(tree: exp.Expr, schema: SchemaColumns) -> Iterator[exp.Expr]:
    tables = _alias_tables(tree)
    for join_index, join in enumerate(tree.find_all(exp.Join)):
        condition = join.args.get("on")
        if condition is None:
            continue
        for eq_index, eq in enumerate(condition.find_all(exp.EQ)):
            column = eq.expression
            if not isinstance(column, exp.Column) or not column.table:
                continue
            table = tables.get(column.table.lower(), "")
            others = [
                c
                for c in schema.columns_of(table)
                if c != column.name.lower() and (c == "id" or c.endswith("_id"))
            ]
            for other in others[:2]:
                copy = tree.copy()
                target = list(list(copy.find_all(exp.Join))[join_index].find_all(exp.EQ))[eq_index]
                target.expression.replace(exp.column(other, table=column.table))
                yield copy


def _conjuncts(where: exp.Where) -> list[exp.Expr]:
    return list(where.this.flatten()) if isinstance(where.this, exp.And) else [where.this]


def drop_predicate(tree: exp.Expr, schema: SchemaColumns) -> Iterator[exp.Expr]:
    """Each conjunct of each WHERE left out: the outer query's, a CTE's, a subquery's, or the
    WHERE of an UPDATE or DELETE (the mistake is as common there)."""
    for where_index, where in enumerate(tree.find_all(exp.Where)):
        for index in range(len(_conjuncts(where))):
            copy = tree.copy()
            target = list(copy.find_all(exp.Where))[where_index]
            kept = [p.copy() for i, p in enumerate(_conjuncts(target)) if i != index]
            if kept:
                target.set("this", exp.and_(*kept))
            elif target.parent is not None:
                target.parent.set("where", None)
            yield copy


_FLIPS: dict[type[exp.Expr], type[exp.Expr]] = {
    exp.EQ: exp.NEQ,
    exp.NEQ: exp.EQ,
    exp.GT: exp.LTE,
    exp.GTE: exp.LT,
    exp.LT: exp.GTE,
    exp.LTE: exp.GT,
}


def flip_predicate(tree: exp.Expr, schema: SchemaColumns) -> Iterator[exp.Expr]:
    for kind, flipped in _FLIPS.items():

        def change(node: exp.Expr, target: type[exp.Expr] = flipped) -> exp.Expr | None:
            if node.find_ancestor(exp.Join) is not None or node.find_ancestor(exp.Where) is None:
                return None  # join conditions are the join-key mistake, not this one
            return target(this=node.this.copy(), expression=node.expression.copy())

        yield from _mutate_each(tree, kind, change)


_AGGREGATE_SWAPS: dict[type[exp.Expr], type[exp.Expr]] = {
    exp.Sum: exp.Avg,
    exp.Avg: exp.Sum,
    exp.Min: exp.Max,
    exp.Max: exp.Min,
}


def swap_aggregate(tree: exp.Expr, schema: SchemaColumns) -> Iterator[exp.Expr]:
    for kind, swapped in _AGGREGATE_SWAPS.items():

        def change(node: exp.Expr, target: type[exp.Expr] = swapped) -> exp.Expr | None:
            return target(this=node.this.copy())

        yield from _mutate_each(tree, kind, change)

    def count_distinct(node: exp.Expr) -> exp.Expr | None:
        inner = node.this
        if isinstance(inner, exp.Column):
            return exp.Count(this=exp.Distinct(expressions=[inner.copy()]))
        return None

    yield from _mutate_each(tree, exp.Count, count_distinct)
    yield from _count_a_column(tree, schema)


def _count_a_column(tree: exp.Expr, schema: SchemaColumns) -> Iterator[exp.Expr]:
    """COUNT(*) over one table written as COUNT(DISTINCT column) or COUNT(column): the count
    of distinct values (or of non-null ones) where rows were asked for."""
    tables = _alias_tables(tree)
    if len(set(tables.values())) != 1:
        return  # which table's column to count is ambiguous over a join
    (table,) = set(tables.values())
    # The first column is the key (every value distinct: no mistake to see); a reference to
    # another table repeats most, so it comes first, as in "vehicles" counted by carrier.
    columns = sorted(schema.columns_of(table)[1:], key=lambda c: not c.endswith("_id"))
    for distinct in (True, False):
        for column in columns[:2]:

            def change(
                node: exp.Expr, name: str = column, unique: bool = distinct
            ) -> exp.Expr | None:
                if not isinstance(node.this, exp.Star):
                    return None
                counted = exp.column(name)
                return exp.Count(this=exp.Distinct(expressions=[counted]) if unique else counted)

            yield from _mutate_each(tree, exp.Count, change)


def shift_bound(tree: exp.Expr, schema: SchemaColumns) -> Iterator[exp.Expr]:
    """`>` ↔ `>=`, `<` ↔ `<=`, and numeric bounds and LIMITs moved by one."""
    inclusive = {exp.GT: exp.GTE, exp.GTE: exp.GT, exp.LT: exp.LTE, exp.LTE: exp.LT}
    for kind, other in inclusive.items():

        def change(node: exp.Expr, target: type[exp.Expr] = other) -> exp.Expr | None:
            return target(this=node.this.copy(), expression=node.expression.copy())

        yield from _mutate_each(tree, kind, change)

    def bump(node: exp.Expr) -> exp.Expr | None:
        if not isinstance(node, exp.Literal) or node.is_string or not node.name.isdigit():
            return None
        parent = node.parent
        if not isinstance(parent, exp.Limit | exp.Between | exp.GT | exp.GTE | exp.LT | exp.LTE):
            return None
        value = int(node.name)
        return exp.Literal.number(value + 1 if isinstance(parent, exp.Limit) else value - 1)

    yield from _mutate_each(tree, exp.Literal, bump)


def drop_distinct(tree: exp.Expr, schema: SchemaColumns) -> Iterator[exp.Expr]:
    for index, select in enumerate(tree.find_all(exp.Select)):
        if select.args.get("distinct") is not None:
            copy = tree.copy()
            list(copy.find_all(exp.Select))[index].set("distinct", None)
            yield copy
    for index, count in enumerate(tree.find_all(exp.Count)):
        if isinstance(count.this, exp.Distinct) and len(count.this.expressions) == 1:
            copy = tree.copy()
            target = list(copy.find_all(exp.Count))[index]
            target.set("this", target.this.expressions[0].copy())
            yield copy


def regroup(tree: exp.Expr, schema: SchemaColumns) -> Iterator[exp.Expr]:
    """Group by one key too few (dropping it from the projection too) or one too many, in the
    outer query or in a CTE or subquery that groups."""
    tables = _alias_tables(tree)
    for select_index, select in enumerate(tree.find_all(exp.Select)):
        group = select.args.get("group")
        if group is None:
            continue
        keys = group.expressions
        if len(keys) >= 2:
            for index in range(len(keys)):
                copy = tree.copy()
                target = list(copy.find_all(exp.Select))[select_index]
                target_group = target.args["group"]
                dropped = target_group.expressions[index]
                target_group.set(
                    "expressions", [k for i, k in enumerate(target_group.expressions) if i != index]
                )
                target.set(
                    "expressions",
                    [s for s in target.expressions if s.unalias() != dropped] or target.expressions,
                )
                yield copy
        for key in keys:
            if not isinstance(key, exp.Column) or not key.table:
                continue
            for extra in schema.columns_of(tables.get(key.table.lower(), "")):
                if extra != key.name.lower() and extra != "id":
                    copy = tree.copy()
                    target = list(copy.find_all(exp.Select))[select_index]
                    target.args["group"].append("expressions", exp.column(extra, table=key.table))
                    yield copy
                    break


MUTATIONS: dict[ErrorKind, Mutation] = {
    ErrorKind.WRONG_JOIN_KEY: mutate_join_key,
    ErrorKind.DROPPED_PREDICATE: drop_predicate,
    ErrorKind.FLIPPED_PREDICATE: flip_predicate,
    ErrorKind.WRONG_AGGREGATE: swap_aggregate,
    ErrorKind.OFF_BY_ONE: shift_bound,
    ErrorKind.MISSING_DISTINCT: drop_distinct,
    ErrorKind.WRONG_GROUPING: regroup,
}


def propose_mutants(
    sql: str, dialect: str, schema: SchemaColumns, limit_per_kind: int = 3
) -> list[tuple[ErrorKind, str]]:
    """Candidate wrong SQL texts by kind (distinct, different from the gold text)."""
    try:
        tree = sqlglot.parse_one(sql, read=dialect)
    except SqlglotError:
        return []
    gold = tree.sql(dialect=dialect)
    seen = {gold}
    out: list[tuple[ErrorKind, str]] = []
    for kind, mutation in MUTATIONS.items():
        taken = 0
        for mutant in mutation(tree, schema):
            text = mutant.sql(dialect=dialect)
            if text not in seen:
                seen.add(text)
                out.append((kind, text))
                taken += 1
                if taken >= limit_per_kind:
                    break
    return out
