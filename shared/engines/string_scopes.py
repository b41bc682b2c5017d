"""The scopes of a statement for strings.py: which bound each column name carries.

A column of a derived table, a CTE, a VALUES list or a SELECT * keeps the bound of the
expression that defined it, so a string built in one CTE and searched in another is judged by
what it really holds. A recursive CTE is followed two steps: a column whose bound still rises at
the second grows with every step, and is refused.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlglot import exp

# The source key of a SELECT's own output aliases (no table is named with an empty name).
SELF = ""


class StringRefused(Exception):
    """The statement could build strings (or search them) past the bounds in strings.py."""


class StringTooLong(StringRefused):
    """A string past the length bound itself (a fixture's: too large, not a forbidden form)."""


@dataclass
class Scope:
    """What the names of one SELECT can reach: its sources' columns, then the outer scopes'."""

    column_chars: int
    env: dict[str, dict[str, int]]
    parent: Scope | None = None
    # alias -> column -> bound; None for a base table (its values are the fixture's).
    sources: dict[str, dict[str, int] | None] = field(default_factory=dict)

    def resolve(self, column: exp.Column) -> int:
        name, table = column.name.lower(), column.table.lower()
        scope: Scope | None = self
        while scope is not None:
            if table and table in scope.sources:
                return _lookup(scope.sources[table], name, scope.column_chars)
            if not table:
                hits = [
                    _lookup(cols, name, scope.column_chars)
                    for cols in scope.sources.values()
                    if cols is None or name in cols or "*" in cols
                ]
                if hits:
                    return max(hits)
            scope = scope.parent
        return self.column_chars


def _lookup(columns: dict[str, int] | None, name: str, default: int) -> int:
    if columns is None:
        return default
    return columns.get(name, columns.get("*", default))


class ScopeWalker(ABC):
    """Walks the queries of a statement; subclasses bound the expressions (`measure`)."""

    column_chars: int

    @abstractmethod
    def measure(self, node: exp.Expr, scope: Scope) -> int: ...

    def check_statement(self, root: exp.Expr) -> None:
        scope = Scope(self.column_chars, {})
        if isinstance(root, exp.Query | exp.Values):
            self.query(root, scope.env, None)
            return
        for table in root.find_all(exp.Table):
            if not isinstance(table.this, exp.Func):
                scope.sources[table.alias_or_name.lower()] = None
        for child in list_children(root):
            if isinstance(child, exp.Query | exp.Values):
                self.query(child, scope.env, scope)
            elif not isinstance(child, exp.Table | exp.Schema):
                self.measure(child, scope)

    # --- queries -------------------------------------------------------------------------

    def query(
        self, node: exp.Expr, env: dict[str, dict[str, int]], parent: Scope | None
    ) -> list[tuple[str, int]]:
        """The output columns (name, bound) of a query, checking everything inside it."""
        if isinstance(node, exp.Subquery):
            return self.query(node.this, env, parent)
        env = self.add_ctes(node.args.get("with_") or node.args.get("with"), env, parent)
        if isinstance(node, exp.SetOperation):
            left = self.query(node.left, env, parent)
            right = self.query(node.right, env, parent)
            return _merge_positions(left, right)
        if isinstance(node, exp.Values):
            scope = Scope(self.column_chars, env, parent)
            return self.values(node, scope)
        if not isinstance(node, exp.Select):
            scope = Scope(self.column_chars, env, parent)
            return [("*", self.measure(node, scope))]
        scope = Scope(self.column_chars, env, parent)
        from_ = node.args.get("from_") or node.args.get("from")
        for source in [from_.this] if from_ else []:
            self.add_source(source, scope)
        for join in node.args.get("joins") or []:
            self.add_source(join.this, scope)
        outputs: list[tuple[str, int]] = []
        for projection in node.expressions:
            if isinstance(projection, exp.Star) or (
                isinstance(projection, exp.Column) and projection.is_star
            ):
                outputs.extend(_expand_star(projection, scope))
            else:
                outputs.append((projection.alias_or_name.lower(), self.measure(projection, scope)))
        # MySQL and SQLite let WHERE, HAVING and ORDER BY name the SELECT's own aliases.
        scope.sources[SELF] = {name: size for name, size in outputs if name != "*"}
        for key, value in node.args.items():
            if key in {"expressions", "from_", "from", "with_", "with"}:
                continue
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, exp.Join):
                    for part in [child.args.get("on"), *child.args.get("using", [])]:
                        if isinstance(part, exp.Expr):
                            self.measure(part, scope)
                elif isinstance(child, exp.Expr):
                    self.measure(child, scope)
        return outputs

    def add_ctes(
        self, with_: exp.Expr | None, env: dict[str, dict[str, int]], parent: Scope | None
    ) -> dict[str, dict[str, int]]:
        if not isinstance(with_, exp.With):
            return env
        env = dict(env)
        for cte in with_.expressions:
            name, body = cte.alias.lower(), cte.this
            names = _alias_columns(cte.args.get("alias"))
            if with_.args.get("recursive") and isinstance(body, exp.SetOperation):
                # Two steps: a column whose bound still rises at the second grows with every
                # step (s || 'a'); n + 1 or substr(s, 2) settle after the first.
                anchor = _rename(self.query(body.left, env, parent), names)
                first = _merge_positions(
                    anchor,
                    _rename(self.query(body.right, {**env, name: dict(anchor)}, parent), names),
                )
                second = _rename(self.query(body.right, {**env, name: dict(first)}, parent), names)
                for (column, before), (_, after) in zip(first, second, strict=False):
                    if after > before:
                        raise StringRefused(
                            f"a string that grows at each step of the recursive query {name} "
                            f"(column {column}) is not allowed: its length has no bound"
                        )
                env[name] = dict(_merge_positions(first, second))
            else:
                env[name] = dict(_rename(self.query(body, env, parent), names))
        return env

    def add_source(self, source: exp.Expr, scope: Scope) -> None:
        alias = source.alias_or_name.lower() if isinstance(source, exp.Expr) else ""
        names = _alias_columns(source.args.get("alias"))
        if isinstance(source, exp.Table) and not isinstance(source.this, exp.Func):
            known = scope.env.get(source.name.lower())
            if known is None or source.args.get("db"):
                scope.sources[alias] = None
            else:
                columns = list(known.items())
                scope.sources[alias] = dict(_rename(columns, names)) if names else dict(known)
            return
        if isinstance(source, exp.Subquery | exp.Lateral) and source.find(exp.Query):
            inner = source.this if isinstance(source.this, exp.Query) else source.find(exp.Query)
            assert inner is not None
            outputs = self.query(inner, scope.env, scope)
            scope.sources[alias] = dict(_rename(outputs, names))
            return
        if isinstance(source, exp.Values):
            scope.sources[alias] = dict(_rename(self.values(source, scope), names))
            return
        # Table functions (generate_series, unnest, json_each, ...): bounded by their arguments.
        scope.sources[alias] = {"*": self.measure(source, scope)}

    def values(self, node: exp.Values, scope: Scope) -> list[tuple[str, int]]:
        widths: list[int] = []
        for row in node.expressions:
            items = row.expressions if isinstance(row, exp.Tuple) else [row]
            if len(items) == 1 and isinstance(items[0], exp.Anonymous):  # MySQL's ROW(...)
                items = items[0].expressions
            for index, item in enumerate(items):
                size = self.measure(item, scope)
                if index < len(widths):
                    widths[index] = max(widths[index], size)
                else:
                    widths.append(size)
        return [(f"column{i + 1}", size) for i, size in enumerate(widths)]

    # --- expressions ---------------------------------------------------------------------


def list_children(node: exp.Expr) -> Iterator[exp.Expr]:
    for value in node.args.values():
        for child in value if isinstance(value, list) else [value]:
            if isinstance(child, exp.Expr) and not isinstance(child, exp.DataType):
                yield child


def _expand_star(star: exp.Expr, scope: Scope) -> list[tuple[str, int]]:
    """SELECT * / t.*: the sources' own columns, so a derived column keeps its bound."""
    table = star.table.lower() if isinstance(star, exp.Column) else ""
    outputs: list[tuple[str, int]] = []
    for alias, columns in scope.sources.items():
        if table and alias != table:
            continue
        outputs.extend(columns.items() if columns is not None else [("*", scope.column_chars)])
    return outputs or [("*", scope.column_chars)]


def _alias_columns(alias: exp.Expr | None) -> list[str]:
    if not isinstance(alias, exp.TableAlias):
        return []
    return [column.name.lower() for column in alias.columns]


def _rename(outputs: list[tuple[str, int]], names: list[str]) -> list[tuple[str, int]]:
    if not names:
        return outputs
    return [(names[i] if i < len(names) else name, size) for i, (name, size) in enumerate(outputs)]


def _merge_positions(
    left: list[tuple[str, int]], right: list[tuple[str, int]]
) -> list[tuple[str, int]]:
    merged = list(left)
    for index, (_, size) in enumerate(right[: len(left)]):
        merged[index] = (merged[index][0], max(merged[index][1], size))
    return merged
