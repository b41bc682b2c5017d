"""The FROM part of the innermost query: tables, joins, the rows they produce, and filters.

Tables come from a walk of the FK graph (`join_paths`); each join follows a real foreign key
except a CROSS JOIN. Tables that a subquery will read instead of a join are set aside as
`detached`. The joined rows are computed in Python, a witness row is drawn from them, and
filters are chosen so the witness passes every one of them: the query cannot come back empty.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace

from proto.common import JoinKind, SqlFeature
from proto.sample import Scalar
from shared.generation.template.evaluation.evaluate import Fragile, joined_rows
from shared.generation.template.instance.rowstore import Row, RowStore
from shared.generation.template.query.chances import CHANCES
from shared.generation.template.query.context import SUBQUERY_FEATURES, Ctx
from shared.generation.template.query.fields import Field, column_field, owned_label
from shared.generation.template.query.predicates import Candidate, column_filters, holds
from shared.generation.template.schema.join_paths import (
    Edge,
    JoinTree,
    Step,
    connected_tables,
    cross_partner,
    left_tree,
    order_tree,
    pairs_sensibly,
    upward_tree,
)
from shared.generation.template.sql import ir

FILTER_ROLES = ("category", "name", "label", "date", "measure")


@dataclass(frozen=True)
class Detached:
    """A table read by a subquery, correlated with `anchor` (a main table) along `edge`."""

    table: str
    anchor: str
    edge: Edge


@dataclass
class Base:
    tree: JoinTree
    alias: dict[str, str]
    kinds: dict[str, JoinKind]
    partner: str | None
    detached: list[Detached]
    slots: dict[tuple[str | None, str], int] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)
    # Columns a WHERE conjunct pins to one value: never grouped, partitioned or listed.
    pinned: set[ir.Expr] = field(default_factory=set)
    # Columns a WHERE conjunct keeps to a short list (`x IN ('a', 'b')`): their distinct count
    # is the list's length ("the number of distinct services ... with service 'A' or 'B'").
    listed: set[ir.Expr] = field(default_factory=set)
    # Columns any stated filter reads: a CASE on them restates the filter ("the number of
    # customers signed up since 2021 among customers signed up in 2022" is their count).
    filtered: set[ir.Expr] = field(default_factory=set)
    _counts: dict[int, Counter[Scalar]] = field(default_factory=dict)
    _joins: tuple[ir.Join, ...] | None = None

    def value_counts(self, at: int, store: RowStore) -> Counter[Scalar]:
        """How often each value occurs at a position of the joined rows (for selectivity)."""
        if at not in self._counts:
            key = ("counts", self.source, self.joins(), at)
            found = store.memo.get(key)
            if found is None:
                found = Counter(r[at] for r in self.rows)
                store.memo[key] = found
            self._counts[at] = found  # type: ignore[assignment]
        return self._counts[at]

    @property
    def tables(self) -> tuple[str, ...]:
        return self.tree.tables

    @property
    def source(self) -> ir.TableRef:
        root = self.tree.root
        return ir.TableRef(root, self.alias[root])

    def joins(self) -> tuple[ir.Join, ...]:
        if self._joins is None:
            self._joins = self._build_joins()
        return self._joins

    def _build_joins(self) -> tuple[ir.Join, ...]:
        out = []
        for step in self.tree.steps[1:]:
            src = ir.TableRef(step.table, self.alias[step.table])
            kind = self.kinds[step.table]
            if step.edge is None or kind is JoinKind.CROSS:
                out.append(ir.Join(src, JoinKind.CROSS))
                continue
            edge = step.edge
            on = ir.Cmp(
                "=",
                ir.Col(self.alias[edge.child], edge.fk.column),
                ir.Col(self.alias[edge.parent], edge.fk.ref_column),
            )
            out.append(ir.Join(src, kind, on))
        return tuple(out)

    def value(self, row: Row, table: str, column: str) -> Scalar:
        return row[self.slots[(self.alias[table], column)]]

    @property
    def subject(self) -> str:
        """The table whose rows the result lists: the LEFT JOIN root, else the child-most."""
        if any(k is JoinKind.LEFT for k in self.kinds.values()):
            return self.tree.root
        edges = [s.edge for s in self.tree.steps if s.edge is not None]
        children = [t for t in self.tables if not any(e.parent == t for e in edges)]
        return children[0] if children else self.tree.root

    @property
    def grain(self) -> str:
        """The table with one joined row per row of its own (the first LEFT-joined child, else
        the subject): only its measures may be summed or averaged."""
        lefts = [s.table for s in self.tree.steps[1:] if self.kinds.get(s.table) is JoinKind.LEFT]
        return lefts[0] if lefts else self.subject

    @property
    def filterable(self) -> tuple[str, ...]:
        """Tables a WHERE may filter on: under LEFT JOIN not the outer-joined ones, or the join
        would quietly become an inner join."""
        return tuple(t for t in self.tables if self.kinds.get(t) is not JoinKind.LEFT)


def plan_base(ctx: Ctx, leaf_subject: bool = False, shaped: bool = True) -> Base:
    """The FROM part; `leaf_subject` puts a table nothing references at the bottom of the
    tree when one fits (the rows a DELETE may remove). `shaped=False` keeps the free walk of
    the FK graph (an UPDATE/DELETE subquery aggregates nothing, so a fan-out inflates
    nothing, and the free walk reaches the child tables whose rows may be deleted)."""
    n, kind, rng = ctx.num_tables, ctx.join_kind, ctx.rng
    domain = ctx.store.domain
    counts = {t.name: ctx.store.row_count(t.name) for t in domain.tables}
    partner: str | None = None
    detached: list[Detached] = []
    if n == 1:
        names = list(ctx.required) or [t.name for t in domain.tables if counts[t.name] > 0]
        if leaf_subject and not ctx.required:
            leaves = [t for t in names if not ctx.store.referenced_keys[t]]
            names = leaves if leaves and rng.random() < CHANCES.leaf_subject else names
        tree = JoinTree((Step(rng.choice(names)),))
    elif kind is JoinKind.CROSS:
        tree, partner = _cross_tree(ctx, counts)
    else:
        # Trees without a fan-out first: every aggregate over them counts each row once.
        planned: JoinTree | None = None
        if shaped and kind is JoinKind.LEFT:
            planned = left_tree(domain, n, rng, ctx.required)
        elif shaped:
            planned = upward_tree(domain, n, rng, ctx.required, leaf_first=leaf_subject)
        if planned is None:
            tables = connected_tables(domain, n, rng, ctx.required)
            planned = order_tree(domain, tables, rng, prefer_downward=kind is JoinKind.LEFT)
            if ctx.strict and _fans_out(planned) and SqlFeature.AGGREGATE not in ctx.features:
                # Two one-to-many steps multiply each other's listed rows (every post of a
                # member paired with every comment): draw another tree. (An aggregate over
                # them is the sense check fan_out's, which sends the draft to repair.)
                raise Fragile("the join tree has two one-to-many steps")
        tree, detached = _detach(ctx, planned)
    kinds = _join_kinds(tree, kind, partner)
    if shaped and fan_out_parents(tree):
        # Two one-to-many children of one table repeat each other's rows: a count or a sum
        # over them is inflated, a list pairs every post with every comment. The children
        # off the subject's path are read by a subquery (one row per parent) instead.
        found = _unfan(tree, kinds, {d.anchor for d in detached})
        if found is not None:
            tree, more = found
            detached += more
            kinds = {t: k for t, k in kinds.items() if t in tree.tables}
        elif ctx.strict:
            raise Fragile("two one-to-many children of one table, neither a leaf to detach")
    alias = {t: ctx.aliases.take(t) for t in tree.tables}
    base = Base(tree, alias, kinds, partner, detached)
    base.slots, base.rows = joined_rows(ctx.store, base.source, base.joins())
    if not base.rows:
        raise Fragile("the joined tables have no rows in common")
    return base


def _join_kinds(tree: JoinTree, kind: JoinKind | None, partner: str | None) -> dict[str, JoinKind]:
    """Under a planned LEFT JOIN, only the child side is outer-joined: the root's parents are
    inner joins (a WHERE on them narrows the parents, not the children)."""
    kinds = {}
    left_side: set[str] = set()
    for step in tree.steps[1:]:
        if kind is JoinKind.LEFT and (step.downward or step.anchor in left_side):
            left_side.add(step.table)
        if step.table == partner:
            kinds[step.table] = JoinKind.CROSS
        elif step.table in left_side:
            kinds[step.table] = JoinKind.LEFT
        else:
            kinds[step.table] = JoinKind.INNER
    return kinds


def fan_out_parents(tree: JoinTree) -> dict[str, list[str]]:
    """Tables joined to two or more one-to-many children (the sense check fan_out's shape),
    with those children."""
    kids: dict[str, list[str]] = {}
    for step in tree.steps[1:]:
        if step.edge is not None:
            kids.setdefault(step.edge.parent, []).append(step.edge.child)
    return {p: cs for p, cs in kids.items() if len(cs) >= 2}


def _unfan(
    tree: JoinTree, kinds: dict[str, JoinKind], hosts: set[str]
) -> tuple[JoinTree, list[Detached]] | None:
    """The tree with every fan-out undone by moving leaf children into subqueries: each
    parent keeps the child on the grain's path (the rows counted), the others become
    EXISTS/IN conditions ("projects with some site inspection"), so the aggregate reads each
    grain row once. None when a child to move is not a leaf (nor anchors a subquery's table,
    `hosts`), or is the plan's only LEFT JOIN."""
    steps = list(tree.steps)
    out: list[Detached] = []
    while True:
        current = JoinTree(tuple(steps))
        parents = fan_out_parents(current)
        if not parents:
            return current, out
        probe = Base(current, {}, {t: k for t, k in kinds.items() if t in current.tables}, None, [])
        path = _root_path(current, probe.grain)
        children = next(iter(parents.values()))
        keep = next((c for c in children if c in path), None)
        anchored = {s.anchor for s in steps} | hosts
        by_table = {s.table: s for s in steps}
        if keep is None:
            # The grain lies above the parent: keep a child that is no leaf, else the first.
            inner = [c for c in children if c in anchored]
            keep = inner[0] if inner else children[0]
        lefts = [s.table for s in steps if kinds.get(s.table) is JoinKind.LEFT]
        for child in children:
            if child == keep:
                continue
            step = by_table.get(child)
            if step is None or step.anchor is None or step.edge is None or child in anchored:
                return None
            if kinds.get(child) is JoinKind.LEFT and lefts == [child]:
                return None
            steps.remove(step)
            lefts = [t for t in lefts if t != child]
            out.append(Detached(child, step.anchor, step.edge))


def _root_path(tree: JoinTree, table: str) -> set[str]:
    """The tables from `table` up to the tree's root (anchors followed)."""
    anchor = {s.table: s.anchor for s in tree.steps}
    path = {table}
    at: str | None = table
    while at is not None:
        at = anchor.get(at)
        if at is not None:
            path.add(at)
    return path


def _fans_out(tree: JoinTree) -> bool:
    return sum(1 for s in tree.steps[1:] if s.downward) >= 2


def _cross_tree(ctx: Ctx, counts: dict[str, int]) -> tuple[JoinTree, str]:
    """The joined tables and a CROSS JOIN partner a person would pair them with
    (`pairs_sensibly`). Table sets are drawn again until one leaves such a partner outside:
    in a small, connected domain most tables are linked to most others."""
    n, rng, domain = ctx.num_tables, ctx.rng, ctx.store.domain
    req = list(ctx.required)
    fixed: str | None = None
    if len(req) >= n:
        fixed = min(req, key=lambda t: (counts[t], t))
        req.remove(fixed)
    for _ in range(_CROSS_DRAWS):
        found = upward_tree(domain, n - 1, rng, tuple(req))
        tables = list(found.tables) if found else connected_tables(domain, n - 1, rng, tuple(req))
        # The strict attempts pair with a standalone entity; the lenient last ones with any
        # named table no key links to the joined ones.
        if fixed is not None:
            sensible = pairs_sensibly(domain, fixed, tables, standalone=ctx.strict)
            partner = fixed if sensible else None
        else:
            partner = cross_partner(domain, tables, counts, rng, standalone=ctx.strict)
        tree = found or order_tree(domain, tables, rng, prefer_downward=False)
        # The rows paired are named entities too ("every product with every store").
        named = domain.table(tree.tables[0]).label_column is not None
        if partner is not None and named:
            return JoinTree((*tree.steps, Step(partner))), partner
    raise Fragile(f"no table of {domain.name} a person would pair every joined row with")


# Table sets drawn for a CROSS JOIN before the attempt gives up (each draw is a walk of the
# FK graph, no rows).
_CROSS_DRAWS = 12


def _detach(ctx: Ctx, tree: JoinTree) -> tuple[JoinTree, list[Detached]]:
    """Move leaf tables from the join into subqueries when subquery features can host them:
    always when no join kind is planned, sometimes otherwise (keeping a join of that kind)."""
    hosts = len(ctx.features & SUBQUERY_FEATURES)
    if not hosts or len(tree.steps) < 2:
        return tree, []
    if ctx.join_kind is None:
        budget = min(hosts, len(tree.steps) - 1)
    elif len(tree.steps) >= 3 and ctx.rng.random() < CHANCES.one_leaf_to_subquery:
        budget = 1
    else:
        return tree, []
    steps = list(tree.steps)
    out: list[Detached] = []
    for _ in range(budget):
        anchored = {s.anchor for s in steps}
        leaves = [s for s in steps[1:] if s.table not in anchored and s.edge is not None]
        if ctx.join_kind is JoinKind.LEFT:
            keep_left = [s for s in steps[1:] if s.downward]
            leaves = [s for s in leaves if not (s.downward and len(keep_left) == 1)]
        if not leaves:
            break
        leaf = ctx.rng.choice(leaves)
        assert leaf.edge is not None and leaf.anchor is not None
        steps.remove(leaf)
        out.append(Detached(leaf.table, leaf.anchor, leaf.edge))
    return JoinTree(tuple(steps)), out


def table_fields(ctx: Ctx, table: str, alias: str) -> list[Field]:
    key = ("fields", table, alias)
    found = ctx.store.memo.get(key)
    if found is None:
        t = ctx.store.table(table)
        found = tuple(column_field(t, c, alias) for c in t.columns)
        ctx.store.memo[key] = found
    return list(found)  # type: ignore[call-overload, no-any-return]


def pinned_tables(ctx: Ctx, base: Base) -> set[str]:
    """Tables the WHERE pins to one row (an equality on the key or the name): a CASE or a
    measure on their columns is one value ("the products paired with store 'Oslo Central'
    and its floor area band" has one band)."""
    out = set()
    for table in base.tables:
        label = ctx.store.table(table).label_column
        columns = [*ctx.store.row_key(table), *([label] if label else [])]
        if any(ir.Col(base.alias[table], c) in base.pinned for c in columns):
            out.add(table)
    return out


def pick_witness(ctx: Ctx, base: Base) -> Row:
    return base.rows[ctx.rng.randrange(len(base.rows))]


def choose_filters(
    ctx: Ctx,
    base: Base,
    witness: Row,
    count: int,
    exclude: set[str] | None = None,
    tables: tuple[str, ...] | None = None,
    pins: bool = True,
    subject: str | None = None,
) -> list[Candidate]:
    """Up to `count` filters on distinct columns that keep the witness and drop some rows.

    Columns are visited in random order and one candidate filter is tried per column; a
    filter that keeps every row says nothing, and one on a name keeps a single row, leaving
    nothing for the other filters: those are only used when nothing better turns up, and
    never without `pins` (rows to be grouped: one row makes one group of one). `subject` is
    the table the question is about when it is not the base's (the rows a DML changes): the
    other tables' columns are said with their owner."""
    total = len(base.rows)
    subject = subject or base.subject
    columns = [
        (table, _owned(ctx, subject, table, f))
        for table in (tables if tables is not None else base.filterable)
        for f in table_fields(ctx, table, base.alias[table])
        if f.role in FILTER_ROLES
    ]
    columns = [(t, f) for t, f in columns if f.label not in (exclude or set())]
    ctx.rng.shuffle(columns)
    columns.sort(key=lambda c: c[1].filler)
    chosen: list[Candidate] = []
    spare: list[tuple[int, Candidate]] = []
    for table, f in columns:
        at = base.slots[(base.alias[table], f.name)]
        w = witness[at]
        cands = [
            c
            for c in column_filters(f, w, ctx.store.values(table, f.name), ctx.rng)
            if holds(c[0], w)
        ]
        if not cands:
            continue
        cand = ctx.rng.choice(cands)
        if table != subject and cand[1].vague:
            # A vague word reads as the subject's adjective: "recent bugs" for bugs whose
            # developer was hired recently says the bugs are recent. Said with its value.
            cand = (cand[0], replace(cand[1], vague=None, note=None))
        counts = base.value_counts(at, ctx.store)
        kept = sum(n for v, n in counts.items() if holds(cand[0], v))
        useful = 0 < kept / total < 0.85 and kept > 1
        if kept <= 1 and not pins:
            continue
        if useful and not f.filler:
            chosen.append(cand)
            if len(chosen) >= count:
                return chosen
        else:
            spare.append((_filter_rank(kept, total, useful, f.filler), cand))
    spare.sort(key=lambda s: s[0])
    for rank, cand in spare:
        if len(chosen) >= count or (rank >= _FILLER_RANK and chosen):
            break
        chosen.append(cand)
    return chosen


# Ranks of spare filters, best first: a real column's filter that keeps most rows, then a
# filler column's (record status, creation date: only when no real column gives a filter at
# all), then one that pins a single row, then one that keeps every row.
_WEAK_RANK, _FILLER_RANK, _PIN_RANK, _ALL_RANK = 0, 1, 3, 5


def _filter_rank(kept: int, total: int, useful: bool, filler: bool) -> int:
    if useful:
        return _FILLER_RANK
    if kept == total:
        return _ALL_RANK + filler
    if kept <= 1:
        return _PIN_RANK + filler
    return _FILLER_RANK + 1 if filler else _WEAK_RANK


def _owned(ctx: Ctx, subject: str, table: str, f: Field) -> Field:
    """A filter on another table's column names that table ("store region"), as
    `said_label` words it (the same label a listed or grouped column gets, so a filter on a
    grouped or shown column is recognised by its label)."""
    if table == subject:
        return f
    return replace(f, label=said_label(ctx, table, f.label))


def said_label(ctx: Ctx, table: str, label: str) -> str:
    """Another table's column label as a question says it: always with the table's noun
    ("store region", "server hourly wage"), unless the label already names it ("supplier
    name"). A bare label reads as the subject's own: "guest checks with hourly wage above 20"
    (the wage is the server's), "customers with floor area below 4000" (the store's), however
    long or rare the label is (issue 13: a filter or measure on a joined table is said with
    its owner)."""
    return owned_label(ctx.store.table(table), label)


def describe_join(ctx: Ctx, base: Base, step: Step) -> str:
    t = ctx.store.table(step.table)
    kind = base.kinds.get(step.table, JoinKind.INNER)
    if kind is JoinKind.CROSS:
        return f"cross-joins {step.table} (every row paired with every {t.noun})"
    assert step.edge is not None
    e = step.edge
    how = "LEFT JOINs" if kind is JoinKind.LEFT else "joins"
    return f"{how} {step.table} on {e.child}.{e.fk.column} = {e.parent}.{e.fk.ref_column}"
