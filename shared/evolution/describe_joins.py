"""Whose rows a query's COUNT(*) counts, read off its joins (`describe_query`): the FROM
table when every join goes to a parent along a foreign key, else the one child joined."""

from __future__ import annotations

from sqlglot import exp

from shared.evolution.context import EvolveContext, QueryView
from shared.evolution.describe_sub import Unsaid


def counted_table(view: QueryView, ctx: EvolveContext, subject: str) -> str:
    """Whose rows COUNT(*) counts: the FROM table when every join goes to a parent along a
    foreign key (many to one), else the one child joined (one to many); a join on anything but
    a key, or two children (which multiply), is not said."""
    keys = {tuple(fk[:4]) for fk in ctx.info.facts.foreign_keys}
    children = []
    for join in view.tree.args.get("joins") or []:
        on, table = join.args.get("on"), join.this
        if not isinstance(on, exp.EQ) or not isinstance(table, exp.Table):
            raise Unsaid("a join without a key")
        name = table.name.lower()
        sides = [_side(view, ctx, c) for c in (on.this, on.expression)]
        if sides[0][0] != name:
            sides.reverse()
        (joined, jc), (other, oc) = sides
        if joined != name:
            raise Unsaid("a join condition that does not name the joined table")
        # Declared foreign keys first; a schema that declares none is read by its keys (a
        # column equal to a table's own primary key points at that table's rows).
        if (other, oc, joined, jc) in keys or (not keys and _keyed(ctx, joined, jc, other, oc)):
            continue  # the joined table is a parent
        if (joined, jc, other, oc) not in keys and not (
            not keys and _keyed(ctx, other, oc, joined, jc)
        ):
            raise Unsaid("a join not along a foreign key")
        children.append(name)
    if len(children) > 1:
        raise Unsaid("two one-to-many joins")
    return children[0] if children else subject


def _keyed(ctx: EvolveContext, parent: str, key: str, child: str, column: str) -> bool:
    """`child.column = parent.key` reads as a link when `key` is the parent's own primary key
    and `column` is not the child's (two primary keys equal is a one-to-one coincidence)."""
    info = ctx.info
    return info.is_primary_key(parent, key) and not info.is_primary_key(child, column)


def _side(view: QueryView, ctx: EvolveContext, node: exp.Expr) -> tuple[str, str]:
    if not isinstance(node, exp.Column) or not node.table:
        raise Unsaid("a join condition on an unqualified column")
    table = view.sources.get(node.table)
    if table is None:
        raise Unsaid("a join condition on an unknown table")
    return table, node.name.lower()
