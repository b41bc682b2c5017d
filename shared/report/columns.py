"""Which schema columns a query reads: Turing's column coverage needs (table, column) pairs.

The feature extractor lists a query's tables but not its columns, so the report resolves column
references itself, conservatively (docs/report.md): a column counts when it is qualified by a
base table or its alias, or when it is unqualified and exactly one base table of its own
SELECT (its FROM and JOINs) can own it. CTE and derived-table columns, outer references, and
names no table declares are not schema columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from sqlglot import exp

ColumnRef = tuple[str, str]  # (table, column), both bare lowercase names


def find_columns(
    statements: Sequence[exp.Expr],
    tables: Iterable[str],
    declared: Mapping[str, tuple[str, ...]] | None,
) -> frozenset[ColumnRef]:
    """Resolve every column reference of `statements` to a base table of the query.

    `tables` are the query's base tables (QueryFeatures.tables); `declared` maps a table to its
    columns (SchemaFacts.columns), or is None when the schema is unknown.
    """
    base = set(tables)
    found: set[ColumnRef] = set()
    for statement in statements:
        aliases = _alias_map(statement, base)
        for column in statement.find_all(exp.Column):
            name = column.name.lower()
            if not name or isinstance(column.this, exp.Star):
                continue
            select = column.find_ancestor(exp.Select)
            scope = _scope_tables(select, base) if select is not None else base
            table = _owner(column.table.lower(), name, aliases, scope, declared)
            if table is not None:
                found.add((table, name))
    return frozenset(found)


def _scope_tables(select: exp.Select, base: set[str]) -> set[str]:
    """Base tables read directly by this SELECT (its FROM and JOINs, not its subqueries)."""
    sources = [select.args.get("from_") or select.args.get("from")]
    sources += list(select.args.get("joins") or [])
    names = set()
    for source in sources:
        target = source.this if source is not None else None
        if isinstance(target, exp.Table) and target.name.lower() in base:
            names.add(target.name.lower())
    return names


def _alias_map(statement: exp.Expr, base: set[str]) -> dict[str, str]:
    """Alias or name -> base table, for every table reference in the statement."""
    aliases: dict[str, str] = {}
    for table in statement.find_all(exp.Table):
        name = table.name.lower()
        if name in base:
            aliases[name] = name
            if table.alias:
                aliases[table.alias.lower()] = name
    return aliases


def _owner(
    qualifier: str,
    name: str,
    aliases: Mapping[str, str],
    scope: set[str],
    declared: Mapping[str, tuple[str, ...]] | None,
) -> str | None:
    if qualifier:
        table = aliases.get(qualifier)
        if table is None:
            return None  # a CTE, a derived table or an outer alias: not a schema column
        return table if _declares(declared, table, name) else None
    if declared is not None:
        owners = sorted(t for t in scope if name in declared.get(t, ()))
        return owners[0] if len(owners) == 1 else None
    # No schema: an unqualified name belongs to the only table its SELECT reads, if only one.
    return next(iter(scope)) if len(scope) == 1 else None


def _declares(declared: Mapping[str, tuple[str, ...]] | None, table: str, name: str) -> bool:
    """Unknown schema or table: trust the qualifier; known table: the column must be declared."""
    if declared is None or table not in declared:
        return True
    return name in declared[table]
