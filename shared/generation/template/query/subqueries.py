"""WHERE-clause subqueries (EXISTS, IN, scalar) that the witness row satisfies.

A subquery reads a table linked to a main table: a detached table (one the join left out), the
other end of a join edge, or the main table itself. Conditions inside come from a row related
to the witness, so EXISTS finds it; when the witness has no related rows the subquery is
negated instead (NOT EXISTS: "customers without orders"). Scalar subqueries compare a column
with an aggregate over its table on the side the witness lies.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from proto.common import SqlFeature
from proto.sample import Scalar
from shared.generation.template.evaluation.eval_types import Fragile
from shared.generation.template.instance.rowstore import Row
from shared.generation.template.query.base import Base, Detached, said_label, table_fields
from shared.generation.template.query.chances import CHANCES
from shared.generation.template.query.context import Ctx
from shared.generation.template.query.fields import owned_label, prefer_real, real_first
from shared.generation.template.query.predicates import Candidate, column_filters, holds
from shared.generation.template.schema.join_paths import Edge
from shared.generation.template.schema.schema_model import ColumnType
from shared.generation.template.sql import ir
from shared.generation.template.words.meaning import Cond

INNER_ROLES = ("category", "name", "date", "measure", "label")


@dataclass(frozen=True)
class Link:
    """A main table (`anchor`) and a table a subquery reads (`table`), related by `edge`
    (None: the same table, related through a shared column)."""

    anchor: str
    table: str
    edge: Edge | None


def subquery_predicates(ctx: Ctx, base: Base, witness: Row) -> list[Candidate]:
    """One predicate per detached table and per planned subquery feature."""
    wanted = [
        f
        for f in (SqlFeature.EXISTS_SUBQUERY, SqlFeature.IN_SUBQUERY, SqlFeature.SCALAR_SUBQUERY)
        if ctx.wants(f)
    ]
    ctx.rng.shuffle(wanted)
    out: list[Candidate] = []
    pending = list(wanted)
    for i, det in enumerate(base.detached):
        if pending or wanted:
            feature = pending.pop(0) if pending else wanted[i % len(wanted)]
        else:
            # A child moved out of a fan-out (base._unfan) with no subquery planned: a
            # condition on its rows ("with some site inspection in 2024").
            feature = ctx.rng.choice([SqlFeature.EXISTS_SUBQUERY, SqlFeature.IN_SUBQUERY])
        out.append(build_subquery(ctx, base, witness, feature, _detached_link(det)))
    for feature in pending:
        out.append(build_subquery(ctx, base, witness, feature, _pick_link(ctx, base, feature)))
    return out


def _detached_link(det: Detached) -> Link:
    return Link(det.anchor, det.table, det.edge)


def _pick_link(ctx: Ctx, base: Base, feature: SqlFeature) -> Link:
    # Only a joined child is read again by a subquery ("with some comment in 2024"): a parent
    # the query joins is one row per row, its columns are read directly ("whose player has a
    # team" over teams joined, or a scalar lookup of the joined route's length, restates it).
    links = [
        Link(s.anchor, s.table, s.edge)
        for s in base.tree.steps[1:]
        if s.edge is not None
        and s.anchor is not None
        and s.anchor in base.filterable
        and s.edge.child == s.table
    ]
    roles = ("measure", "date") if feature is SqlFeature.SCALAR_SUBQUERY else ("category", "fk")
    own = {
        t: [f for f in table_fields(ctx, t, base.alias[t]) if f.role in roles and not f.nullable]
        for t in base.filterable
    }
    # A table whose only such column is filler ("creation date") relates to itself last.
    selfish = [t for t, fs in own.items() if any(not f.filler for f in fs)]
    selfish = selfish or [t for t, fs in own.items() if fs]
    if feature is SqlFeature.SCALAR_SUBQUERY:
        counts = [k for k in links if k.edge is not None and k.edge.child == k.table]
        if selfish and (not counts or ctx.rng.random() < CHANCES.scalar_on_own_table):
            table = ctx.rng.choice(selfish)
            return Link(table, table, None)
        if counts:
            return ctx.rng.choice(counts)
    if selfish and (not links or ctx.rng.random() < CHANCES.subquery_on_own_table):
        table = ctx.rng.choice(selfish)
        return Link(table, table, None)
    if links:
        return ctx.rng.choice(links)
    raise Fragile(f"no table to relate a {feature.value} subquery to")


def build_subquery(
    ctx: Ctx, base: Base, witness: Row, feature: SqlFeature, link: Link
) -> Candidate:
    if feature is SqlFeature.SCALAR_SUBQUERY:
        if link.edge is not None and link.edge.child == link.table:
            return _count_compare(ctx, base, witness, link)
        if link.edge is not None:
            return _parent_lookup(ctx, base, witness, link)
        return aggregate_compare(ctx, base, witness, link.anchor)
    if link.edge is None:
        return _same_table(ctx, base, witness, link.anchor, feature)
    return _related(ctx, base, witness, link, feature)


def _keys(link: Link) -> tuple[str, str]:
    """(column on the anchor, column on the subquery table) that correlate them."""
    assert link.edge is not None
    fk = link.edge.fk
    if link.edge.child == link.table:
        return fk.ref_column, fk.column
    return fk.column, fk.ref_column


def _related_rows(ctx: Ctx, table: str, column: str, value: Scalar) -> list[Row]:
    at = ctx.store.index(table, column)
    return [r for r in ctx.store.rows(table) if value is not None and r[at] == value]


def _inner_filter(ctx: Ctx, table: str, alias: str, row: Row) -> list[Candidate]:
    fields = [f for f in table_fields(ctx, table, alias) if f.role in INNER_ROLES]
    ctx.rng.shuffle(fields)
    fields = real_first(fields)
    for f in fields:
        value = row[ctx.store.index(table, f.name)]
        cands = [
            c
            for c in column_filters(f, value, ctx.store.values(table, f.name), ctx.rng)
            if holds(c[0], value)
        ]
        if cands:
            return [ctx.rng.choice(cands)]
    return []


def _related(ctx: Ctx, base: Base, witness: Row, link: Link, feature: SqlFeature) -> Candidate:
    anchor_col, inner_col = _keys(link)
    a_alias = base.alias[link.anchor]
    alias = ctx.aliases.take(link.table)
    t = ctx.store.table(link.table)
    anchor_value = witness[base.slots[(a_alias, anchor_col)]]
    related = _related_rows(ctx, link.table, inner_col, anchor_value)
    child = link.edge is not None and link.edge.child == link.table
    inner = _inner_filter(ctx, link.table, alias, ctx.rng.choice(related)) if related else []
    if related and ctx.rng.random() < CHANCES.subquery_unfiltered:
        inner = []
    preds = [p for p, _ in inner]
    conds = tuple(c for _, c in inner)
    negate = not related
    if negate and not child:
        raise Fragile("the witness has no parent row (NULL foreign key)")
    relation = "child" if child else "parent"
    noun = t.plural if child else t.noun
    # The rows the condition restricts, when they are not the subject's own ("comments whose
    # community has memberships …", not "comments that appear in memberships …").
    owner = "" if link.anchor == base.subject else ctx.store.table(link.anchor).noun
    if feature is SqlFeature.EXISTS_SUBQUERY:
        corr = ir.Cmp("=", ir.Col(alias, inner_col), ir.Col(a_alias, anchor_col))
        body = ir.Select(
            items=(ir.Item(ir.Lit(1), ""),),
            source=ir.TableRef(link.table, alias),
            where=ir.conjoin([corr, *preds]),
        )
        op = "has_no" if negate else "has"
        cond = Cond(op, relation, (), None, noun, conds, owner=owner)
        return ir.Exists(ir.Query(body), negate=negate), cond
    guard = [ir.IsNull(ir.Col(alias, inner_col), negate=True)] if negate else []
    body = ir.Select(
        items=(ir.Item(ir.Col(alias, inner_col), inner_col),),
        source=ir.TableRef(link.table, alias),
        where=ir.conjoin([*guard, *preds]),
    )
    op = "not_among" if negate else "among"
    pred = ir.InSub(ir.Col(a_alias, anchor_col), ir.Query(body), negate=negate)
    return pred, Cond(op, relation, (), None, noun, conds, owner=owner)


def _same_table(ctx: Ctx, base: Base, witness: Row, table: str, feature: SqlFeature) -> Candidate:
    """EXISTS/IN over the anchor's own table through a shared category ("products in a
    category that also has a product over 500")."""
    a_alias = base.alias[table]
    t = ctx.store.table(table)
    cats = [f for f in table_fields(ctx, table, a_alias) if f.role in ("category", "fk")]
    cats = prefer_real([f for f in cats if not f.nullable])
    if not cats:
        raise Fragile(f"{table} has no category column to relate rows by")
    group = ctx.rng.choice(cats)
    value = witness[base.slots[(a_alias, group.name)]]
    alias = ctx.aliases.take(table)
    peers = _related_rows(ctx, table, group.name, value)
    inner = _inner_filter(ctx, table, alias, ctx.rng.choice(peers)) if peers else []
    if not inner:
        raise Fragile("no condition to put inside the subquery")
    preds = [p for p, _ in inner]
    conds = tuple(c for _, c in inner)
    label = group.label
    if feature is SqlFeature.EXISTS_SUBQUERY:
        corr = ir.Cmp("=", ir.Col(alias, group.name), ir.Col(a_alias, group.name))
        body = ir.Select(
            items=(ir.Item(ir.Lit(1), ""),),
            source=ir.TableRef(table, alias),
            where=ir.conjoin([corr, *preds]),
        )
        cond = Cond("share", label, (), group.ctype, t.plural, conds)
        return ir.Exists(ir.Query(body)), cond
    body = ir.Select(
        items=(ir.Item(ir.Col(alias, group.name), group.name),),
        source=ir.TableRef(table, alias),
        where=ir.conjoin(preds),
    )
    pred = ir.InSub(ir.Col(a_alias, group.name), ir.Query(body))
    return pred, Cond("share", label, (), group.ctype, t.plural, conds)


def aggregate_compare(ctx: Ctx, base: Base, witness: Row, table: str) -> Candidate:
    """column > (SELECT AVG(column) FROM table): the side the witness is on."""
    a_alias = base.alias[table]
    t = ctx.store.table(table)
    fields = [f for f in table_fields(ctx, table, a_alias) if not f.nullable]
    # Real columns of any kind before a filler date ("creation date").
    fields = real_first(fields)
    nums = [f for f in fields if f.role == "measure"]
    nums = nums or [f for f in fields if f.numeric and f.role == "category"]
    nums = nums or prefer_real([f for f in fields if f.role == "date"])
    if not nums:
        raise Fragile(f"{table} has no numeric column for a scalar subquery")
    f = ctx.rng.choice(nums)
    if table != base.subject:
        # A joined table's column keeps its owner ("plantings with field area in hectares
        # below the average of all fields", not the planting's area).
        f = replace(f, label=said_label(ctx, table, f.label))
    w = witness[base.slots[(a_alias, f.name)]]
    at = ctx.store.index(table, f.name)
    column = [v for v in (r[at] for r in ctx.store.rows(table)) if isinstance(v, int | float)]
    if f.role == "date":
        dates = [v for v in (r[at] for r in ctx.store.rows(table)) if isinstance(v, str)]
        if not isinstance(w, str) or not dates:
            raise Fragile("the witness has no value to compare")
        # "the latest" or "the earliest" of all: "before the latest of all" keeps every row
        # but the last, which nobody asks for.
        if w not in (max(dates), min(dates)):
            raise Fragile("the witness holds neither the latest nor the earliest date")
        func, op = ("MAX" if w == max(dates) else "MIN"), "="
        return _scalar_pred(ctx, table, a_alias, f.name, f.label, f.ctype, func, op, t.plural)
    if not isinstance(w, int | float) or not column:
        raise Fragile("the witness has no value to compare")
    func = ctx.rng.choice(["AVG", "AVG", "MAX", "MIN"])
    if func != "AVG" and w not in (max(column), min(column)):
        func = "AVG"  # "below the highest of all" keeps every row but the top one
    agg_value = {"AVG": sum(column) / len(column), "MAX": max(column), "MIN": min(column)}[func]
    if func == "MAX":
        op = "=" if w == agg_value else "<"
    elif func == "MIN":
        op = "=" if w == agg_value else ">"
    else:
        op = ">" if w > agg_value else "<"
    return _scalar_pred(ctx, table, a_alias, f.name, f.label, f.ctype, func, op, t.plural)


def _scalar_pred(
    ctx: Ctx,
    table: str,
    a_alias: str,
    column: str,
    label: str,
    ctype: ColumnType,
    func: str,
    op: str,
    plural: str,
) -> Candidate:
    alias = ctx.aliases.take(table)
    body = ir.Select(
        items=(ir.Item(ir.Agg(func, ir.Col(alias, column)), f"{func.lower()}_{column}"),),
        source=ir.TableRef(table, alias),
    )
    word = {"AVG": "average", "MAX": "highest", "MIN": "lowest"}[func]
    if ctype is ColumnType.DATE:
        word = "latest" if func == "MAX" else "earliest"
    pred = ir.Cmp(op, ir.Col(a_alias, column), ir.ScalarSub(ir.Query(body)))
    return pred, Cond("vs_agg", label, (op, word), ctype, plural)


def _parent_lookup(ctx: Ctx, base: Base, witness: Row, link: Link) -> Candidate:
    """(SELECT parent.x FROM parent WHERE parent.pk = anchor.fk) <op> value: a condition on
    the related parent row, read through a correlated scalar subquery."""
    anchor_col, inner_col = _keys(link)
    a_alias = base.alias[link.anchor]
    alias = ctx.aliases.take(link.table)
    t = ctx.store.table(link.table)
    related = _related_rows(ctx, link.table, inner_col, witness[base.slots[(a_alias, anchor_col)]])
    if not related:
        raise Fragile("the witness has no parent row (NULL foreign key)")
    row = related[0]
    fields = [f for f in table_fields(ctx, link.table, alias) if f.role in INNER_ROLES]
    ctx.rng.shuffle(fields)
    fields = real_first(fields)
    corr = ir.Cmp("=", ir.Col(alias, inner_col), ir.Col(a_alias, anchor_col))
    for f in fields:
        value = row[ctx.store.index(link.table, f.name)]
        lookup = ir.ScalarSub(
            ir.Query(
                ir.Select(
                    items=(ir.Item(f.expr, f.name),),
                    source=ir.TableRef(link.table, alias),
                    where=corr,
                )
            )
        )
        probe = replace(f, expr=lookup, label=owned_label(t, f.label), nullable=True)
        cands = [
            c
            for c in column_filters(probe, value, ctx.store.values(link.table, f.name), ctx.rng)
            if holds(c[0], value) and c[1].op not in ("null", "notnull")
        ]
        if cands:
            # A vague word reads as the subject's ("newer order lines" for lines whose
            # seller joined recently): the parent's condition is said with its value.
            pred, cond = ctx.rng.choice(cands)
            return pred, replace(cond, vague=None, note=None)
    raise Fragile(f"no condition on {link.table} for a scalar subquery")


def _count_compare(ctx: Ctx, base: Base, witness: Row, link: Link) -> Candidate:
    """(SELECT COUNT(*) FROM child WHERE child.fk = anchor.pk) >= k, k at most the witness's."""
    anchor_col, inner_col = _keys(link)
    a_alias = base.alias[link.anchor]
    alias = ctx.aliases.take(link.table)
    t = ctx.store.table(link.table)
    anchor_value = witness[base.slots[(a_alias, anchor_col)]]
    n = len(_related_rows(ctx, link.table, inner_col, anchor_value))
    corr = ir.Cmp("=", ir.Col(alias, inner_col), ir.Col(a_alias, anchor_col))
    body = ir.Select(
        items=(ir.Item(ir.Agg("COUNT", ir.Star()), "n"),),
        source=ir.TableRef(link.table, alias),
        where=corr,
    )
    if n == 0:
        op, k = "=", 0
    else:
        op, k = ">=", ctx.rng.randint(1, n)
    pred = ir.Cmp(op, ir.ScalarSub(ir.Query(body)), ir.Lit(k))
    return pred, Cond("count_related", "child", (op, k), None, t.plural)
