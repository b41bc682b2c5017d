"""What the operators change in a query: the query itself, or the body of the one CTE or
derived table a summary query reads (`WITH s AS (SELECT ... GROUP BY ...) SELECT s.a, s.n FROM
s ...`, `SELECT sub.a FROM (SELECT ...) AS sub`).

Session 9: parents of 80+ tokens yielded fewest evolutions (9 of 28 in round 1), and 8 of the
27 such parents of its base were summary CTEs. The operators read the outer SELECT's base
tables, and a CTE's name is none, so nothing was feasible on them. The body is a whole SELECT
over base tables: the operator changes it, and the change is put back into the WITH (a column
the body now computes is shown by the outer SELECT too).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlglot
from sqlglot import exp

from shared.evolution.context import QueryView, view_query


@dataclass(frozen=True)
class Operand:
    view: QueryView
    # The operand's evolved SQL -> the whole query's (None when it cannot be put back).
    splice: Callable[[str], str | None]


def _as_is(sql: str) -> str | None:
    return sql


def _summary_body(tree: exp.Select) -> tuple[exp.Expr, str] | None:
    """The node holding the summary's body (a CTE, or a derived table in FROM) and the alias
    the outer SELECT reads it by; None when the query is not a summary of one body."""
    source = tree.args.get("from_") or tree.args.get("from")
    if source is None or tree.args.get("joins"):
        return None
    read = source.this
    if isinstance(read, exp.Subquery) and isinstance(read.this, exp.Select):
        return read, read.alias_or_name
    with_ = tree.args.get("with_") or tree.args.get("with")
    if with_ is None or not isinstance(read, exp.Table):
        return None
    ctes = list(with_.expressions)
    if len(ctes) != 1 or not isinstance(ctes[0].this, exp.Select):
        return None
    if read.name.lower() != ctes[0].alias.lower():
        return None
    return ctes[0], read.alias_or_name


def operand_of(view: QueryView) -> Operand:
    found = _summary_body(view.tree)
    if found is None:
        return Operand(view, _as_is)
    holder, outer_alias = found
    body = view_query(holder.this.copy())
    if body is None or not body.sources:
        return Operand(view, _as_is)
    before = {p.alias_or_name for p in holder.this.expressions}
    shows_all = any(isinstance(p, exp.Star) or p.is_star for p in view.tree.expressions)

    def splice(sql: str) -> str | None:
        try:
            evolved = sqlglot.parse_one(sql, read="sqlite")
        except sqlglot.errors.SqlglotError:
            return None
        if not isinstance(evolved, exp.Select) or evolved.args.get("with_") is not None:
            return None  # a CTE of the body's own (the nesting operator's form) stays out
        whole = view.tree.copy()
        target = _summary_body(whole)
        assert target is not None, "a copy of a summary query is one"
        target[0].set("this", evolved)
        if not shows_all:
            for projection in evolved.expressions:
                name = projection.alias_or_name
                if name and name not in before:
                    whole.select(exp.column(name, table=outer_alias), copy=False)
        return whole.sql(dialect="sqlite")

    return Operand(body, splice)
