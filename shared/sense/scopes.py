"""Tables, aliases and column owners of one SELECT, over the schema facts.

sqlglot gives the tree; which table a column belongs to is decided here: the qualifier's alias
when there is one, else the only source of the SELECT whose table has that column.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlglot import exp

from shared.sense.record import SchemaInfo


@dataclass
class Source:
    alias: str
    table: str | None  # a schema table; None for a derived table or a CTE
    query: exp.Expr | None = None  # the derived table's / CTE's query
    join: exp.Join | None = None  # None for the FROM source


@dataclass
class SelectScope:
    select: exp.Select
    sources: dict[str, Source] = field(default_factory=dict)

    @property
    def joins(self) -> list[exp.Join]:
        return list(self.select.args.get("joins") or [])


def cte_queries(root: exp.Expr) -> dict[str, exp.Expr]:
    found: dict[str, exp.Expr] = {}
    for cte in root.find_all(exp.CTE):
        found[cte.alias_or_name.lower()] = cte.this
    return found


def build_scope(select: exp.Select, ctes: dict[str, exp.Expr]) -> SelectScope:
    scope = SelectScope(select)
    from_ = select.args.get("from") or select.args.get("from_")
    entries: list[tuple[exp.Expr, exp.Join | None]] = []
    if from_ is not None:
        entries.append((from_.this, None))
    entries += [(join.this, join) for join in scope.joins]
    for node, joined in entries:
        alias = node.alias_or_name.lower()
        if isinstance(node, exp.Table):
            name = node.name.lower()
            if name in ctes and not node.args.get("db"):
                scope.sources[alias] = Source(alias, None, ctes[name], joined)
            else:
                scope.sources[alias] = Source(alias, name, None, joined)
        elif isinstance(node, exp.Subquery):
            scope.sources[alias] = Source(alias, None, node.this, joined)
    return scope


def iter_scopes(root: exp.Expr) -> Iterator[SelectScope]:
    ctes = cte_queries(root)
    for select in root.find_all(exp.Select):
        yield build_scope(select, ctes)


def owner(column: exp.Column, scope: SelectScope, schema: SchemaInfo) -> Source | None:
    """The source a column reads from in this scope; None when it is an outer or unknown one."""
    qualifier = column.table.lower()
    if qualifier:
        return scope.sources.get(qualifier)
    name = column.name.lower()
    hits = [s for s in scope.sources.values() if _has_column(s, name, schema)]
    return hits[0] if len(hits) == 1 else None


def _has_column(source: Source, name: str, schema: SchemaInfo) -> bool:
    if source.table is not None:
        return name in schema.facts.columns.get(source.table, ())
    if isinstance(source.query, exp.Query):
        return name in {n.lower() for n in source.query.named_selects}
    return False


def own_columns(scope: SelectScope) -> Iterator[exp.Column]:
    """Columns of this SELECT, not of the subqueries nested in it (they have their own scope),
    except correlated references, which are found by `correlated_columns`."""
    for column in scope.select.find_all(exp.Column):
        if _nearest_select(column) is scope.select:
            yield column


def correlated_columns(scope: SelectScope) -> Iterator[exp.Column]:
    """Columns of nested subqueries that name one of this scope's aliases."""
    for column in scope.select.find_all(exp.Column):
        inner = _nearest_select(column)
        if inner is scope.select or inner is None:
            continue
        qualifier = column.table.lower()
        if qualifier and qualifier in scope.sources:
            inner_scope_aliases = _aliases_of(inner)
            if qualifier not in inner_scope_aliases:
                yield column


def _aliases_of(select: exp.Select) -> set[str]:
    names: set[str] = set()
    from_ = select.args.get("from") or select.args.get("from_")
    nodes = [from_.this] if from_ is not None else []
    nodes += [j.this for j in select.args.get("joins") or []]
    for node in nodes:
        names.add(node.alias_or_name.lower())
    return names


def _nearest_select(node: exp.Expr) -> exp.Select | None:
    parent = node.parent
    while parent is not None and not isinstance(parent, exp.Select):
        parent = parent.parent
    return parent


def conjuncts(condition: exp.Expr | None) -> list[exp.Expr]:
    if condition is None:
        return []
    while isinstance(condition, exp.Paren):
        condition = condition.this
    if isinstance(condition, exp.And):
        return [part for side in (condition.this, condition.expression) for part in conjuncts(side)]
    return [condition]


def where_of(select: exp.Select) -> exp.Expr | None:
    where = select.args.get("where")
    return where.this if where is not None else None


def having_of(select: exp.Select) -> exp.Expr | None:
    having = select.args.get("having")
    return having.this if having is not None else None


def is_aggregate(node: exp.Expr) -> bool:
    return isinstance(node, exp.AggFunc) and not isinstance(node.parent, exp.Window)


def aggregates_in(select: exp.Select) -> list[exp.AggFunc]:
    """Aggregates of this SELECT's own list and HAVING/ORDER (not of nested queries or windows)."""
    found: list[exp.AggFunc] = []
    for node in select.find_all(exp.AggFunc):
        if _nearest_select(node) is select and not _under_window(node):
            found.append(node)
    return found


def _under_window(node: exp.Expr) -> bool:
    parent = node.parent
    while parent is not None and not isinstance(parent, exp.Select):
        if isinstance(parent, exp.Window):
            return True
        parent = parent.parent
    return False
