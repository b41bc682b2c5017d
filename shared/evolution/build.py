"""Small sqlglot builders the operators share: literals, columns, fresh aliases, thresholds."""

from __future__ import annotations

import random
from collections.abc import Iterator

from sqlglot import exp

from proto.sample import Scalar
from shared.evolution.context import EvolveContext, Kind, QueryView
from shared.evolution.roles import prefer_real

Source = tuple[str, str, str]  # (alias, table, column)

# A comparison's name in the template's phrasebook, for each sqlglot node.
COMPARISONS: dict[str, type[exp.Binary]] = {
    "gt": exp.GT,
    "ge": exp.GTE,
    "lt": exp.LT,
    "le": exp.LTE,
    "eq": exp.EQ,
    "ne": exp.NEQ,
}


def literal(value: Scalar) -> exp.Expr:
    if isinstance(value, bool):
        return exp.Literal.number(int(value))
    if isinstance(value, int):
        return exp.Literal.number(value)
    if isinstance(value, float):
        return exp.Literal.number(f"{value:.2f}")
    return exp.Literal.string(str(value))


def column(alias: str, name: str) -> exp.Column:
    return exp.column(name, table=alias)


def aliased_table(name: str, alias: str) -> exp.Table:
    return exp.Table(
        this=exp.to_identifier(name), alias=exp.TableAlias(this=exp.to_identifier(alias))
    )


def compare(op: str, left: exp.Expr, right: exp.Expr) -> exp.Expr:
    return COMPARISONS[op](this=left, expression=right)


def fresh_alias(tree: exp.Expr, table: str) -> str:
    """An alias no table of the query uses: the table's initials, numbered when taken."""
    taken = {t.alias_or_name.lower() for t in tree.find_all(exp.Table)}
    taken |= {t.name.lower() for t in tree.find_all(exp.TableAlias)}
    base = "".join(part[0] for part in table.split("_") if part) or "t"
    candidate, n = base, 2
    while candidate in taken or candidate == table:
        candidate, n = f"{base}{n}", n + 1
    return candidate


def columns_used(tree: exp.Expr) -> set[str]:
    return {c.name.lower() for c in tree.find_all(exp.Column)}


def where_conjuncts(select: exp.Select) -> list[exp.Expr]:
    """The top-level AND-ed conditions of a SELECT's WHERE, parentheses opened."""
    where = select.args.get("where")
    stack = [where.this] if where is not None else []
    out: list[exp.Expr] = []
    while stack:
        part = stack.pop()
        if isinstance(part, exp.Paren):
            stack.append(part.this)
        elif isinstance(part, exp.And):
            stack += [part.this, part.expression]
        else:
            out.append(part)
    return out


def where_columns(select: exp.Select) -> set[str]:
    where = select.args.get("where")
    return columns_used(where) if where is not None else set()


def sources_of(view: QueryView, ctx: EvolveContext, *kinds: Kind) -> list[Source]:
    """(alias, table, column) of the SELECT's base tables whose column has one of `kinds`;
    bookkeeping columns ("date created", "record status") only when nothing else qualifies."""
    found = [
        (alias, table, name)
        for alias, table in view.sources.items()
        for name in ctx.columns_of(table, *kinds)
    ]
    return prefer_real(found, lambda source: source[2])


def thresholds(values: list[Scalar], rng: random.Random) -> Iterator[Scalar]:
    """Middle values of a sorted column, in a random order: a filter on one keeps some rows
    and drops some (the sense checks reject a predicate that changes nothing)."""
    if len(values) < 3:
        return
    picks = sorted({values[len(values) * q // 8] for q in range(2, 7)}, key=str)
    rng.shuffle(picks)
    yield from picks


def shuffled(items: list[Source], rng: random.Random) -> list[Source]:
    out = list(items)
    rng.shuffle(out)
    return out
