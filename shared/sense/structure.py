"""Static structure checks over the sqlglot tree and the schema facts (no execution)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlglot import exp

from shared.sense.findings import SenseCheck
from shared.sense.predicates import find_contradictions, find_tautologies
from shared.sense.record import ParsedRecord, SchemaInfo
from shared.sense.roles import is_identifier
from shared.sense.scopes import (
    SelectScope,
    Source,
    aggregates_in,
    conjuncts,
    correlated_columns,
    iter_scopes,
    own_columns,
    owner,
    where_of,
)


@dataclass(frozen=True)
class Hit:
    """A check that fired, with the message for the reviser."""

    check: SenseCheck
    message: str


def check_structure(parsed: ParsedRecord) -> Iterator[Hit]:
    schema = parsed.schema
    for scope in iter_scopes(parsed.tree):
        yield from _unused_joins(scope, schema, parsed.record.question)
        yield from _fan_out(scope, schema)
        yield from _cross_joins(scope, schema)
        yield from _pinned_grouping(scope, schema)
        yield from _groups_of_one(scope, schema)
        yield from _identifier_aggregates(scope, schema)
        yield from _single_row_order(scope)
        yield from _limit_without_order(scope)
        for message in find_contradictions(scope, schema):
            yield Hit(SenseCheck.CONTRADICTION, message)
        for message in find_tautologies(scope, schema, parsed):
            yield Hit(SenseCheck.TAUTOLOGY, message)
    yield from _set_branches_one_predicate(parsed.tree)


def _name_tokens(name: str) -> set[str]:
    return {part.rstrip("s") for part in name.lower().split("_") if len(part) > 2}


def _unused_joins(scope: SelectScope, schema: SchemaInfo, question: str) -> Iterator[Hit]:
    if len(scope.sources) < 2 or any(
        isinstance(e, exp.Star) or (isinstance(e, exp.Column) and isinstance(e.this, exp.Star))
        for e in scope.select.expressions
    ):
        return
    used: dict[str, int] = {alias: 0 for alias in scope.sources}
    on_clauses: dict[str, int] = {alias: 0 for alias in scope.sources}
    for column in [*own_columns(scope), *correlated_columns(scope)]:
        source = owner(column, scope, schema)
        if source is None:
            continue
        join = column.find_ancestor(exp.Join)
        if join is not None and join.parent is scope.select:
            continue  # ON clauses are counted per clause below
        order = column.find_ancestor(exp.Order)
        if order is not None and _is_key_column(source, column, schema):
            continue  # a tie-break on the table's key is not a use of the table
        used[source.alias] += 1
    for join in scope.joins:
        aliases = {
            s.alias for c in join.find_all(exp.Column) if (s := owner(c, scope, schema)) is not None
        }
        for alias in aliases:
            on_clauses[alias] += 1
    counts_rows = any(
        isinstance(a, exp.Count) and isinstance(a.this, exp.Star)
        for a in aggregates_in(scope.select)
    )
    words = {w.rstrip("s") for w in _words(question)}
    for alias, source in scope.sources.items():
        if used[alias] or on_clauses[alias] > 1 or source.table is None:
            continue
        if counts_rows and _names_table(source.table, words):
            continue  # COUNT(*) counts this table's rows, which the question names
        yield Hit(
            SenseCheck.UNUSED_JOIN,
            f"table {source.table} (as {alias}) is joined but used nowhere outside its join "
            "condition: drop the join, or use the table in the output or a filter",
        )


def _names_table(table: str, words: set[str]) -> bool:
    squashed = table.replace("_", "").lower()
    return bool(_name_tokens(table) & words) or any(len(w) >= 4 and w in squashed for w in words)


def _words(text: str) -> list[str]:
    return [w for w in "".join(c.lower() if c.isalnum() else " " for c in text).split() if w]


def _is_key_column(source: Source, column: exp.Column, schema: SchemaInfo) -> bool:
    return source.table is not None and schema.is_primary_key(source.table, column.name.lower())


def _join_edges(scope: SelectScope, schema: SchemaInfo) -> list[tuple[str, str]]:
    """(parent alias, child alias) for each ON equality where one side is the parent's key."""
    edges: list[tuple[str, str]] = []
    for join in scope.joins:
        for part in conjuncts(join.args.get("on")):
            if not isinstance(part, exp.EQ):
                continue
            left, right = part.this, part.expression
            if not (isinstance(left, exp.Column) and isinstance(right, exp.Column)):
                continue
            a, b = owner(left, scope, schema), owner(right, scope, schema)
            if a is None or b is None or a is b or a.table is None or b.table is None:
                continue
            a_key = schema.is_primary_key(a.table, left.name.lower())
            b_key = schema.is_primary_key(b.table, right.name.lower())
            if a_key and not b_key:
                edges.append((a.alias, b.alias))
            elif b_key and not a_key:
                edges.append((b.alias, a.alias))
    return edges


def _fan_out(scope: SelectScope, schema: SchemaInfo) -> Iterator[Hit]:
    projected = {id(a) for e in scope.select.expressions for a in e.find_all(exp.AggFunc)}
    inflatable = [
        a
        for a in aggregates_in(scope.select)
        if isinstance(a, exp.Sum | exp.Avg | exp.Count)
        and not a.find(exp.Distinct)
        and id(a) in projected
    ]
    if not inflatable:
        return
    children: dict[str, list[str]] = {}
    for parent, child in _join_edges(scope, schema):
        children.setdefault(parent, []).append(child)
    for parent, kids in children.items():
        if len(kids) >= 2:
            names = ", ".join(sorted({scope.sources[k].table or k for k in kids}))
            table = scope.sources[parent].table
            yield Hit(
                SenseCheck.FAN_OUT,
                f"{table} is joined to several one-to-many children ({names}) and then "
                "aggregated: every child row repeats once per row of the other, inflating counts "
                "and sums; aggregate each child in its own subquery before joining",
            )


def _linked(schema: SchemaInfo, a: str, b: str) -> bool:
    return any({fk[0], fk[2]} == {a, b} for fk in schema.facts.foreign_keys)


def _link_between(schema: SchemaInfo, a: str, b: str) -> str | None:
    """How `a` and `b` are linked: "a foreign key", or through a bridge table whose foreign keys
    reference both (students and courses through enrollments); None when they are not."""
    if _linked(schema, a, b):
        return "a foreign key"
    references: dict[str, set[str]] = {}
    for table, _, target, *_ in schema.facts.foreign_keys:
        references.setdefault(table, set()).add(target)
    for bridge, targets in sorted(references.items()):
        if bridge not in (a, b) and {a, b} <= targets:
            return f"the bridge table {bridge}"
    return None


def _cross_joins(scope: SelectScope, schema: SchemaInfo) -> Iterator[Hit]:
    tables = [s.table for s in scope.sources.values() if s.table is not None]
    for join in scope.joins:
        if join.args.get("on") is not None or join.args.get("using"):
            continue
        if join.kind not in ("CROSS", None, "") and join.side:
            continue
        joined = join.this.name.lower() if isinstance(join.this, exp.Table) else None
        if not joined:
            continue
        links = (_link_between(schema, joined, t) for t in tables if t != joined)
        link = next((found for found in links if found), None)
        if link:
            yield Hit(
                SenseCheck.CROSS_JOIN_LINKED,
                f"{joined} is cross-joined although {link} links it to another table of the "
                "query: join along that link",
            )


def _pinned_columns(scope: SelectScope, schema: SchemaInfo) -> dict[tuple[str, str], str]:
    pinned: dict[tuple[str, str], str] = {}
    for part in conjuncts(where_of(scope.select)):
        column, literal = _column_equals_literal(part)
        if column is None or literal is None:
            continue
        source = owner(column, scope, schema)
        if source is not None:
            pinned[(source.alias, column.name.lower())] = literal
    return pinned


def _column_equals_literal(part: exp.Expr) -> tuple[exp.Column | None, str | None]:
    if isinstance(part, exp.EQ):
        left, right = part.this, part.expression
        if isinstance(left, exp.Column) and isinstance(right, exp.Literal):
            return left, right.sql()
        if isinstance(right, exp.Column) and isinstance(left, exp.Literal):
            return right, left.sql()
    if isinstance(part, exp.In) and isinstance(part.this, exp.Column):
        values = part.expressions
        if len(values) == 1 and isinstance(values[0], exp.Literal):
            return part.this, values[0].sql()
    return None, None


def pinned_columns(scope: SelectScope, schema: SchemaInfo) -> dict[tuple[str, str], str]:
    return _pinned_columns(scope, schema)


def _pinned_grouping(scope: SelectScope, schema: SchemaInfo) -> Iterator[Hit]:
    pinned = _pinned_columns(scope, schema)
    if not pinned:
        return
    group = scope.select.args.get("group")
    keys: list[tuple[exp.Expr, str]] = [
        (k, "GROUP BY") for k in (group.expressions if group else [])
    ]
    for window in scope.select.find_all(exp.Window):
        keys += [(k, "PARTITION BY") for k in window.args.get("partition_by") or []]
    for key, clause in keys:
        if not isinstance(key, exp.Column):
            continue
        source = owner(key, scope, schema)
        if source is None:
            continue
        value = pinned.get((source.alias, key.name.lower()))
        if value is not None:
            yield Hit(
                SenseCheck.PINNED_GROUPING,
                f"{clause} {key.sql()} although the WHERE pins it to {value}: there is one group; "
                f"drop {key.sql()} from {clause} (and from the output unless asked for)",
            )


def _groups_of_one(scope: SelectScope, schema: SchemaInfo) -> Iterator[Hit]:
    """A lone table grouped by its own key: every group is one row ("count trips by trip")."""
    group = scope.select.args.get("group")
    if group is None or scope.joins or len(scope.sources) != 1:
        return
    for key in group.expressions:
        if not isinstance(key, exp.Column):
            continue
        source = owner(key, scope, schema)
        if source is not None and _is_key_column(source, key, schema):
            yield Hit(
                SenseCheck.GROUP_OF_ONE,
                f"GROUP BY {key.sql()}, the key of the only table: every group is one row, so "
                "counts are 1 and other aggregates repeat the row; group by a column whose "
                "values repeat, or drop the GROUP BY",
            )
            return


def _identifier_aggregates(scope: SelectScope, schema: SchemaInfo) -> Iterator[Hit]:
    for aggregate in aggregates_in(scope.select):
        if not isinstance(aggregate, exp.Sum | exp.Avg):
            continue
        argument = aggregate.this
        while isinstance(argument, exp.Paren | exp.Cast | exp.Round):
            argument = argument.this
        if not isinstance(argument, exp.Column):
            continue
        source = owner(argument, scope, schema)
        table = source.table if source is not None else None
        if is_identifier(schema, table, argument.name.lower(), argument.name):
            yield Hit(
                SenseCheck.IDENTIFIER_AGGREGATE,
                f"{aggregate.sql()} adds up {argument.sql()}, a key or code that labels rows: "
                "count the rows (COUNT) or aggregate a measure instead",
            )


def _single_row_order(scope: SelectScope) -> Iterator[Hit]:
    select = scope.select
    if select.args.get("group") or not aggregates_in(select):
        return
    if any(not _inside_aggregate(c) for c in _projection_columns(select)):
        return  # a bare column beside the aggregate: another finding, not a one-row result
    clauses = [name for name in ("order", "limit") if select.args.get(name) is not None]
    if clauses:
        spelled = " and ".join("ORDER BY" if c == "order" else "LIMIT" for c in clauses)
        yield Hit(
            SenseCheck.SINGLE_ROW_ORDER,
            f"{spelled} on an aggregate without GROUP BY: the result is one row; drop "
            f"{spelled}, or group the rows if a ranking was meant",
        )


def _projection_columns(select: exp.Select) -> Iterator[exp.Column]:
    for expression in select.expressions:
        for column in expression.find_all(exp.Column):
            if column.find_ancestor(exp.Subquery, exp.Select) is select:
                yield column


def _inside_aggregate(column: exp.Column) -> bool:
    return isinstance(column.find_ancestor(exp.AggFunc, exp.Window, exp.Select), exp.AggFunc)


def _limit_without_order(scope: SelectScope) -> Iterator[Hit]:
    select = scope.select
    limit = select.args.get("limit")
    parent = select.parent
    if isinstance(parent, exp.SetOperation):
        return  # the set operation's own ORDER BY/LIMIT is checked on the whole
    if limit is not None and select.args.get("order") is None:
        yield Hit(
            SenseCheck.LIMIT_WITHOUT_ORDER,
            "LIMIT without ORDER BY returns arbitrary rows: order by what the question ranks on, "
            "with a unique key last",
        )


def _set_branches_one_predicate(tree: exp.Expr) -> Iterator[Hit]:
    for setop in tree.find_all(exp.SetOperation):
        left, right = setop.this, setop.expression
        if not (isinstance(left, exp.Select) and isinstance(right, exp.Select)):
            continue
        left_parts = {p.sql() for p in conjuncts(where_of(left))}
        right_parts = {p.sql() for p in conjuncts(where_of(right))}
        left_rest = left.copy()
        right_rest = right.copy()
        for node in (left_rest, right_rest):
            node.set("where", None)
        if left_rest.sql() != right_rest.sql():
            continue
        differ = left_parts ^ right_parts
        if (
            1 <= len(left_parts - right_parts) <= 1
            and len(right_parts - left_parts) <= 1
            and differ
        ):
            yield Hit(
                SenseCheck.SET_BRANCHES_ONE_PREDICATE,
                f"the {setop.key.upper()} branches differ by one predicate over the same tables: "
                "write one query with OR (or IN) instead",
            )
