"""Data manipulation: UPDATE, DELETE and INSERT … SELECT on the schema's own tables.

UPDATE and DELETE name their rows through a subquery over the planned tables (IN or EXISTS,
with grouping or DISTINCT inside when planned), since portable UPDATE/DELETE cannot join.
INSERT … SELECT copies rows of a table as new rows (keys shifted past the existing ones, one
column changed) and can host every SELECT feature. The validator runs these in a transaction
it rolls back; the Python dry run here proves they touch rows and break no constraint.
"""

from __future__ import annotations

from dataclasses import replace

from proto.common import SqlFeature
from proto.sample import Scalar
from shared.generation.template.evaluation.eval_types import Fragile, walk
from shared.generation.template.evaluation.evaluate import run_statement
from shared.generation.template.instance.rowstore import Row
from shared.generation.template.query.base import (
    Base,
    choose_filters,
    pick_witness,
    plan_base,
    table_fields,
)
from shared.generation.template.query.chances import CHANCES
from shared.generation.template.query.context import Ctx
from shared.generation.template.query.core import subject_meaning, witnessed_subqueries
from shared.generation.template.query.core_measures import bridges
from shared.generation.template.query.dml_new import build_new_row, fits_new_row
from shared.generation.template.query.dml_parts import (
    change_column,
    has_bulk_change,
    having_count,
    insert_wrappers,
)
from shared.generation.template.query.fields import prefer_real
from shared.generation.template.query.predicates import Candidate
from shared.generation.template.query.subqueries import aggregate_compare
from shared.generation.template.query.tidy import changes_rows, idle_tables
from shared.generation.template.sql import ir
from shared.generation.template.words.intent import Change, ChangeKind
from shared.generation.template.words.meaning import DmlPart, Meaning, Ordering

F = SqlFeature
# Features an UPDATE or DELETE can carry in its WHERE subquery; anything else needs INSERT.
SIMPLE = frozenset(
    {
        F.IN_SUBQUERY,
        F.EXISTS_SUBQUERY,
        F.SCALAR_SUBQUERY,
        F.AGGREGATE,
        F.GROUP_BY,
        F.HAVING,
        F.DISTINCT,
        F.CASE,
    }
)


# An UPDATE or DELETE can also take "the 3 oldest" rows: ORDER BY and LIMIT inside the
# subquery that names them (in a derived table, which MySQL requires for a LIMIT there).
RANKED = frozenset({F.ORDER_BY, F.LIMIT})
# The rows to change can also be named in a CTE or a derived table inside that subquery, so
# plans with these need no copy of rows either.
WRAPPED = frozenset({F.CTE, F.DERIVED_TABLE})
# What people do to data: mostly fix values or remove rows; copying rows is rarer.
VERB_WEIGHTS = {"update": 0.45, "delete": 0.35, "insert": 0.20}


def build_dml(ctx: Ctx) -> tuple[ir.Statement, Meaning]:
    if ctx.features <= SIMPLE | RANKED | WRAPPED and not (
        ctx.features & RANKED and ctx.wants(F.GROUP_BY)
    ):
        verb = ctx.rng.choices(list(VERB_WEIGHTS), list(VERB_WEIGHTS.values()))[0]
        if verb == "delete" and ctx.wants(F.CASE):
            verb = "update"
        if verb == "insert":
            if fits_new_row(ctx):
                return build_new_row(ctx)
            # A copy of existing rows with shifted ids is no task anyone has: insert only
            # new entities, and change or remove rows otherwise.
            verb = (
                "update"
                if ctx.wants(F.CASE) or ctx.rng.random() < CHANCES.update_not_delete
                else "delete"
            )
    else:
        verb = "insert"
    base = plan_base(ctx, leaf_subject=verb == "delete", shaped=verb == "insert")
    witness = pick_witness(ctx, base)
    if verb == "delete":
        try:
            _targets(ctx, base, witness, verb)
        except Fragile:
            verb = "update"  # nothing here may be deleted without breaking a foreign key
    if verb == "insert":
        statement, meaning = _insert(ctx, base, witness)
    else:
        statement, meaning = _update_or_delete(ctx, base, witness, verb)
    affected = run_statement(ctx.store, statement).rows[0][0]
    if not affected:
        raise Fragile("the statement touches no rows")
    if isinstance(statement, ir.Delete) and affected >= ctx.store.row_count(statement.table):
        raise Fragile("the DELETE would empty the table")
    return statement, meaning


def _targets(ctx: Ctx, base: Base, witness: Row, verb: str) -> list[str]:
    tables = list(base.filterable)
    tables = [
        t
        for t in tables
        if witness[base.slots[(base.alias[t], ctx.store.table(t).primary_key)]] is not None
    ]
    if verb == "delete":
        # Rows other rows reference cannot go (PostgreSQL and MariaDB enforce the keys).
        tables = [
            t
            for t in tables
            if witness[base.slots[(base.alias[t], ctx.store.table(t).primary_key)]]
            not in ctx.store.referenced_keys[t]
        ]
    if verb == "insert":
        tables = [t for t in tables if not ctx.store.table(t).unique_together]
    if not tables:
        raise Fragile(f"no table can take this {verb}")
    return tables


def _update_or_delete(
    ctx: Ctx, base: Base, witness: Row, verb: str
) -> tuple[ir.Statement, Meaning]:
    targets = _targets(ctx, base, witness, verb)
    if verb == "update" and ctx.strict:
        # A table with a column people change in bulk (a price, a status): see dml_parts.
        # (The lenient last attempts draw from every table, so no plan is lost to it.)
        targets = [t for t in targets if has_bulk_change(ctx, t)] or targets
    target = ctx.rng.choice(targets)
    t = ctx.store.table(target)
    alias = base.alias[target]
    preds = choose_filters(ctx, base, witness, ctx.count(1, 1, 2), subject=target)
    # Preferred, not required: a change's planned subquery may find no row to remove on a
    # small fixture, and the plan is kept.
    subs = witnessed_subqueries(ctx, base, witness, [p for p, _ in preds], required=False)
    grouped = ctx.wants(F.GROUP_BY) or ctx.wants(F.HAVING) or ctx.wants(F.AGGREGATE)
    if grouped and len(base.tables) == 1 and not (ctx.wants(F.GROUP_BY) or ctx.wants(F.HAVING)):
        # One table grouped by its key makes groups of one row: HAVING COUNT(*) >= 1 keeps
        # them all (a tautology). The aggregate compares with the table's own instead ("the
        # findings detected before the average detection date").
        subs.append(aggregate_compare(ctx, base, witness, target))
        grouped = False
    preds += contributing_filters(ctx, base, witness, [*preds, *subs], target, grouped)
    meaning = subject_meaning(ctx, base)
    meaning.subject, meaning.subject_one = t.plural, t.noun
    meaning.kind = verb
    meaning.filters = [c for _, c in preds] + [c for _, c in subs]
    inner_where = [p for p, _ in preds] + [p for p, _ in subs]
    # The column SQL names the target's rows by (a seed table without a key: its label).
    row_key = ctx.store.row_key(target)
    ident = row_key[0] if len(row_key) == 1 else t.primary_key
    key = ir.Col(alias, ident)
    outer_key = ir.Col(target, ident)
    host = ir.Select(
        items=(ir.Item(key, ident),),
        source=base.source,
        joins=base.joins(),
        where=ir.conjoin(inner_where),
        group_by=(key,) if grouped else (),
        distinct=ctx.wants(F.DISTINCT),
    )
    if grouped:
        counted = _counted(ctx, base, target)
        host, cond = having_count(ctx, host, witness[base.slots[(alias, t.primary_key)]], counted)
        if cond is not None:
            meaning.group_filters.append(cond)
    ranked = bool(ctx.features & RANKED)
    if ranked:
        host = _first_rows(ctx, host, target, alias, key, meaning)
    wrapped = bool(ctx.features & WRAPPED)
    use_exists = (
        ctx.wants(F.EXISTS_SUBQUERY)
        and not ctx.wants(F.IN_SUBQUERY)
        and not ctx.wants(F.DISTINCT)
        and not ranked
        and not wrapped
    )
    if use_exists:
        corr = ir.Cmp("=", key, outer_key)
        body = replace(
            host,
            items=(ir.Item(ir.Lit(1), ""),),
            where=ir.conjoin([corr, *inner_where]),
            distinct=False,
        )
        where: ir.Expr = ir.Exists(ir.Query(body))
    elif ctx.wants(F.CTE):
        where = ir.InSub(outer_key, _in_cte(ctx, host, t.plural, verb, ident))
        meaning.steps.append(f"a CTE names the {t.plural} to {verb}")
    elif ranked or wrapped:
        picked = ctx.aliases.name("picked")
        outer = ir.Select(
            items=(ir.Item(ir.Col(picked, ident), ident),),
            source=ir.Derived(ir.Query(host), picked),
        )
        where = ir.InSub(outer_key, ir.Query(outer))
    else:
        where = ir.InSub(outer_key, ir.Query(host))
    meaning.distinct = ctx.wants(F.DISTINCT)
    part = DmlPart(verb, t.noun, t.plural)
    meaning.dml = part
    if verb == "delete":
        meaning.change = Change(ChangeKind.REMOVE, t.noun, t.plural)
        return ir.Delete(target, where), meaning
    current = witness_row(ctx, base, witness, target)
    held = _held_values(ctx, host, target, ident)
    filtered = _columns_read([p for p, _ in [*preds, *subs]], alias)
    column, value, change, typed = change_column(
        ctx, target, target, current, held=held, filtered=filtered
    )
    part.change = change
    meaning.change = typed
    return ir.Update(target, ((column, value),), where), meaning


def contributing_filters(
    ctx: Ctx, base: Base, witness: Row, conds: list[Candidate], target: str, counted: bool
) -> list[Candidate]:
    """A filter on each joined table the change would otherwise read nothing of: "set the
    city of projects" over projects JOIN material_deliveries only keeps projects that have a
    delivery, a condition no one states (the sense check unused_join). Bridges contribute their
    link, and the child-most table its rows when a HAVING counts them (`counted`)."""
    t = ctx.store.table(target)
    row_key = ctx.store.row_key(target)
    ident = row_key[0] if len(row_key) == 1 else t.primary_key
    probe = ir.Select(
        items=(ir.Item(ir.Col(base.alias[target], ident), ident),),
        source=base.source,
        joins=base.joins(),
        distinct=True,
    )
    linking = bridges(base) | ({base.subject} if counted else set()) | {target}
    extra: list[Candidate] = []
    now = [p for p, _ in conds]
    for table in idle_tables(replace(probe, where=ir.conjoin(now)), base.alias):
        if table in linking or table not in base.filterable:
            continue
        used = {c.label for _, c in [*conds, *extra]}
        found = next(
            (
                c
                for c in choose_filters(
                    ctx, base, witness, 3, used, tables=(table,), subject=target
                )
                if changes_rows(ctx.store, probe, now, c[0])
            ),
            None,
        )
        if found is None:
            if ctx.strict:
                raise Fragile(f"no condition makes {table} part of the change")
            continue
        extra.append(found)
        now.append(found[0])
    return extra


def _columns_read(preds: list[ir.Expr], alias: str) -> frozenset[str]:
    """The columns of the table read as `alias` that the conditions compare."""
    return frozenset(n.name for n in walk(preds) if isinstance(n, ir.Col) and n.qual == alias)


def _held_values(ctx: Ctx, host: ir.Select, target: str, ident: str) -> dict[str, set[Scalar]]:
    """Per column of `target`, the values the rows `host` picks hold now."""
    picked = {row[0] for row in run_statement(ctx.store, ir.Query(host)).rows}
    at = ctx.store.index(target, ident)
    rows = [r for r in ctx.store.rows(target) if r[at] in picked]
    return {c: {r[i] for r in rows} for i, c in enumerate(ctx.store.columns(target))}


def _in_cte(ctx: Ctx, host: ir.Select, plural: str, verb: str, ident: str) -> ir.Query:
    """WITH <rows to change> AS (host) SELECT key FROM it (through a derived table when one is
    planned too): MySQL and PostgreSQL take a WITH inside the IN subquery."""
    name = ctx.aliases.name(f"{plural.replace(' ', '_')}_to_{verb}")
    src: ir.Source = ir.CteRef(name, ctx.aliases.take(name))
    if ctx.wants(F.DERIVED_TABLE):
        inner = ir.Select(items=(ir.Item(ir.Col(src.alias, ident), ident),), source=src)
        src = ir.Derived(ir.Query(inner), ctx.aliases.name("picked"))
    outer = ir.Select(items=(ir.Item(ir.Col(src.alias, ident), ident),), source=src)
    return ir.Query(outer, (ir.Cte(name, ir.Query(host)),))


def _first_rows(
    ctx: Ctx, host: ir.Select, target: str, alias: str, key: ir.Col, meaning: Meaning
) -> ir.Select:
    """The first k rows by a date or amount of the target ("the 3 oldest orders"): ORDER BY
    that column (ties by key, so every engine picks the same rows) and LIMIT k, with k below
    the number of matching rows so the cut matters."""
    matched = len(run_statement(ctx.store, ir.Query(host)).rows)
    if matched < 2:
        raise Fragile("too few rows to take the first of")
    fields = [
        f
        for f in table_fields(ctx, target, alias)
        if f.role in ("date", "measure") and not f.nullable
    ]
    if not fields:
        raise Fragile(f"nothing to rank {target} by")
    f = ctx.rng.choice(prefer_real(fields))
    desc = ctx.rng.random() < CHANCES.ranked_target_desc
    k = ctx.rng.choice([k for k in (1, 2, 3, 5) if k < matched])
    order_expr: ir.Expr = ir.Agg("MAX", f.expr) if host.group_by else f.expr
    if host.joins and not host.group_by:
        # A joined child repeats its parent's row, so "the 3 physicians with the latest hire
        # date" over admissions would be 3 join rows, maybe one physician twice on other data:
        # DISTINCT keeps one row per target row (the ranked value is the target's own).
        host = replace(host, distinct=True)
    if host.distinct:
        # PostgreSQL sorts a SELECT DISTINCT only by what it selects; the value is the row's
        # own (or its group's), so the pairs stay one per row.
        host = replace(host, items=(*host.items, ir.Item(order_expr, "ranked_by")))
    host = replace(host, order_by=(ir.Order(order_expr, desc), ir.Order(key)), limit=k)
    picked = [row[0] for row in run_statement(ctx.store, ir.Query(host)).rows]
    if len(set(picked)) < len(picked):
        # A join repeats a target row: "the 2 departments with the most beds" would change one.
        raise Fragile(f"the first {k} rows repeat one of the {target}")
    meaning.order = Ordering(f.label, desc)
    meaning.limit = k
    return host


def _counted(ctx: Ctx, base: Base, target: str) -> str:
    """The plural noun of the joined rows a HAVING COUNT(*) counts per target row: the other
    table's, when only two are joined (with more, a row is a combination of several tables'
    rows and no one noun says what is counted)."""
    others = [t for t in base.tables if t != target]
    return ctx.store.table(others[0]).plural if len(others) == 1 else ""


def witness_row(ctx: Ctx, base: Base, witness: Row, table: str) -> dict[str, Scalar]:
    alias = base.alias[table]
    return {c: witness[base.slots[(alias, c)]] for c in ctx.store.columns(table)}


def _insert(ctx: Ctx, base: Base, witness: Row) -> tuple[ir.Statement, Meaning]:
    target = ctx.rng.choice(_targets(ctx, base, witness, "insert"))
    t = ctx.store.table(target)
    alias = base.alias[target]
    preds = choose_filters(ctx, base, witness, ctx.count(1, 1, 2), subject=target)
    # Preferred, not required: a change's planned subquery may find no row to remove on a
    # small fixture, and the plan is kept.
    subs = witnessed_subqueries(ctx, base, witness, [p for p, _ in preds], required=False)
    folded = ctx.wants(F.GROUP_BY) or ctx.wants(F.HAVING) or ctx.wants(F.AGGREGATE)
    preds += contributing_filters(ctx, base, witness, [*preds, *subs], target, folded)
    if ctx.wants(F.AGGREGATE) and len(base.tables) == 1 and not ctx.wants(F.GROUP_BY):
        # One table: grouping by every column would make each group one row; compare with
        # an aggregate over the table instead.
        subs.append(aggregate_compare(ctx, base, witness, target))
    meaning = subject_meaning(ctx, base)
    meaning.subject, meaning.subject_one = t.plural, t.noun
    meaning.kind = "insert"
    meaning.filters = [c for _, c in preds] + [c for _, c in subs]
    columns = tuple(c.name for c in t.columns)
    raw = tuple(ir.Item(ir.Col(alias, c), c) for c in columns)
    select = ir.Select(
        items=raw,
        source=base.source,
        joins=base.joins(),
        where=ir.conjoin([p for p, _ in preds] + [p for p, _ in subs]),
    )
    # One output row per target row: joins to children repeat it, GROUP BY folds them again.
    repeats = _repeats(ctx, select, t.primary_key)
    grouped = (
        ctx.wants(F.GROUP_BY)
        or ctx.wants(F.HAVING)
        or (repeats and not ctx.wants(F.DISTINCT))
        or (ctx.wants(F.AGGREGATE) and len(base.tables) > 1)
    )
    if repeats and ctx.wants(F.WINDOW):
        grouped = True
    if grouped:
        select = replace(select, group_by=tuple(i.expr for i in raw))
        if ctx.wants(F.HAVING) or ctx.wants(F.AGGREGATE):
            key_value = witness[base.slots[(alias, t.primary_key)]]
            counted = _counted(ctx, base, target)
            select, cond = having_count(ctx, select, key_value, counted)
            if cond is not None:
                meaning.group_filters.append(cond)
    if ctx.wants(F.DISTINCT):
        select = replace(select, distinct=True)
        meaning.distinct = True
    offset = 10 ** (len(str(ctx.store.max_key(target))) + 1)
    current = witness_row(ctx, base, witness, target)
    statement, change = insert_wrappers(ctx, target, select, columns, offset, current, meaning)
    meaning.dml = DmlPart("insert", t.noun, t.plural, change)
    return statement, meaning


def _repeats(ctx: Ctx, select: ir.Select, key: str) -> bool:
    probe = replace(select, items=(next(i for i in select.items if i.alias == key),))
    rows = run_statement(ctx.store, ir.Query(probe)).rows
    return len(rows) != len(set(rows))
