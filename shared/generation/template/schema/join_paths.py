"""Walks of a domain's foreign-key graph: which tables a query reads and how they connect.

A query over n tables reads a connected part of the FK graph, joined along real foreign keys
(so joins match rows), except for a CROSS JOIN partner, which needs no key. The walk is random
but seeded, and always honours the tables a blueprint names.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from shared.errors import GenerationError
from shared.generation.template.schema.schema_model import Domain, ForeignKey


@dataclass(frozen=True)
class Edge:
    """A foreign key seen as a graph edge: child.column references parent.primary key."""

    child: str
    parent: str
    fk: ForeignKey

    def other(self, table: str) -> str:
        return self.parent if table == self.child else self.child


@dataclass(frozen=True)
class Step:
    """One table of a join tree; `edge` connects it to `anchor`, a table placed before it
    (None for the root and for a CROSS JOIN partner)."""

    table: str
    anchor: str | None = None
    edge: Edge | None = None

    @property
    def downward(self) -> bool:
        """The step goes from a parent to its child (a LEFT JOIN keeps childless parents)."""
        return self.edge is not None and self.edge.child == self.table


@dataclass(frozen=True)
class JoinTree:
    steps: tuple[Step, ...]

    @property
    def tables(self) -> tuple[str, ...]:
        return tuple(s.table for s in self.steps)

    @property
    def root(self) -> str:
        return self.steps[0].table


def fk_edges(domain: Domain) -> list[Edge]:
    """Every foreign key between two different tables (self references are not join paths)."""
    return [
        Edge(t.name, fk.ref_table, fk)
        for t in domain.tables
        for fk in t.foreign_keys
        if fk.ref_table != t.name
    ]


def neighbours(domain: Domain, table: str) -> list[Edge]:
    return [e for e in fk_edges(domain) if table in (e.child, e.parent)]


def connected_tables(
    domain: Domain, n: int, rng: random.Random, required: tuple[str, ...] = ()
) -> list[str]:
    """A random FK-connected set of n tables containing `required` (if it can be connected)."""
    names = [t.name for t in domain.tables]
    if n > len(names):
        raise GenerationError(f"domain {domain.name} has {len(names)} tables, {n} were planned")
    for name in required:
        if name not in names:
            raise GenerationError(f"domain {domain.name} has no table {name!r}")
    if len(set(required)) > n:
        raise GenerationError(f"blueprint names {len(set(required))} tables but plans {n}")
    starts = list(required[:1]) or rng.sample(names, len(names))
    for start in starts:
        for _ in range(12):
            chosen = _grow(
                domain, [start, *dict.fromkeys(r for r in required if r != start)], n, rng
            )
            if chosen is not None:
                return chosen
    raise GenerationError(
        f"no {n} FK-connected tables in domain {domain.name}"
        + (f" containing {list(required)}" if required else "")
    )


def _grow(domain: Domain, seed: list[str], n: int, rng: random.Random) -> list[str] | None:
    chosen = [seed[0]]
    wanted = seed[1:]
    edges = fk_edges(domain)
    while len(chosen) < n:
        frontier = sorted(
            {e.other(t) for t in chosen for e in edges if t in (e.child, e.parent)} - set(chosen)
        )
        if not frontier:
            return None
        # Prefer a wanted table when one is reachable; otherwise leave room for them.
        reach = [t for t in frontier if t in wanted]
        if reach:
            pick = rng.choice(reach)
        elif n - len(chosen) > len([w for w in wanted if w not in chosen]):
            pick = rng.choice(frontier)
        else:
            return None
        chosen.append(pick)
    return chosen if all(w in chosen for w in wanted) else None


def order_tree(
    domain: Domain, tables: list[str], rng: random.Random, prefer_downward: bool
) -> JoinTree:
    """Order connected tables into a join tree. With `prefer_downward` the root is a table
    without a parent in the set, so steps go parent to child where they can (LEFT JOIN)."""
    edges = [e for e in fk_edges(domain) if e.child in tables and e.parent in tables]
    roots = list(tables)
    if prefer_downward:
        tops = [t for t in tables if not any(e.child == t for e in edges)]
        with_children = [t for t in tops if any(e.parent == t for e in edges)]
        roots = with_children or tops or roots
    root = rng.choice(roots)
    steps = [Step(root)]
    placed = {root}
    while len(placed) < len(tables):
        options = [
            (e, t)
            for e in edges
            for t in (e.child, e.parent)
            if t not in placed and e.other(t) in placed
        ]
        if not options:
            raise GenerationError(f"tables {tables} are not FK-connected")
        if prefer_downward:
            down = [(e, t) for e, t in options if e.child == t]
            options = down or options
        edge, table = rng.choice(sorted(options, key=lambda o: (o[1], o[0].fk.column)))
        steps.append(Step(table, edge.other(table), edge))
        placed.add(table)
    return JoinTree(tuple(steps))


def cross_partner(
    domain: Domain,
    tables: list[str],
    row_counts: dict[str, int],
    rng: random.Random,
    standalone: bool = True,
) -> str | None:
    """A small, dimension-like table outside `tables` for a CROSS JOIN (few rows keep the
    product readable), or None when no table is one a person would pair the rows with.
    Without `standalone`, a named table with keys of its own qualifies too (an event table
    such as donations), as long as no key links it to `tables`."""
    pool = [t.name for t in domain.tables if pairs_sensibly(domain, t.name, tables, standalone)]
    if not pool:
        return None
    smallest = sorted(pool, key=lambda t: (row_counts.get(t, 0), t))
    return rng.choice(smallest[:2])


def pairs_sensibly(
    domain: Domain, partner: str, tables: Sequence[str], standalone: bool = True
) -> bool:
    """Whether every row of `tables` paired with every row of `partner` is a pairing a person
    asks for ("every membership plan with every trainer"): the partner is a standalone entity
    with a name (no key of its own: not an event such as an order, nor a junction of links),
    and no key links it to the joined tables, directly or through a bridge table that
    references both; such a pairing is a join written as a product, and all but the linked
    pairs are the wrong answer."""
    if partner in tables:
        return False
    t = domain.table(partner)
    if t.label_column is None or t.unique_together or (standalone and t.foreign_keys):
        return False
    return not any(_linked(domain, partner, other) for other in tables)


def _linked(domain: Domain, a: str, b: str) -> bool:
    """A foreign key between `a` and `b`, or a third table whose keys reference both."""
    edges = fk_edges(domain)
    if any({e.child, e.parent} == {a, b} for e in edges):
        return True
    parents: dict[str, set[str]] = {}
    for e in edges:
        parents.setdefault(e.child, set()).add(e.parent)
    return any(t not in (a, b) and {a, b} <= refs for t, refs in parents.items())


def upward_tree(
    domain: Domain,
    n: int,
    rng: random.Random,
    required: tuple[str, ...] = (),
    leaf_first: bool = False,
) -> JoinTree | None:
    """A join tree whose every step goes from a child to its parent (many-to-one), rooted at
    the subject: the joined rows are exactly the subject's rows, so counts and sums over them
    are not inflated by a fan-out. None when no subject reaches n tables (with `required`)
    upward."""
    edges = fk_edges(domain)
    names = [t.name for t in domain.tables]
    subjects = [r for r in required if r in names][:1] or rng.sample(names, len(names))
    if leaf_first:
        # Tables no foreign key references first (a DELETE can remove their rows).
        subjects.sort(key=lambda t: any(e.parent == t for e in edges))
    for subject in subjects:
        for _ in range(6):
            steps = [Step(subject)]
            placed = {subject}
            wanted = [r for r in dict.fromkeys(required) if r != subject]
            while len(steps) < n:
                options = [e for e in edges if e.child in placed and e.parent not in placed]
                if not options:
                    break
                reach = [e for e in options if e.parent in wanted]
                # A chain (lines -> orders -> customers) before a star: a table between two
                # others contributes the link, while each tip of a star needs a phrase of its
                # own (issue 13: a fact table with three parents stated a filter on each).
                chain = [e for e in options if e.child == steps[-1].table]
                edge = rng.choice(
                    sorted(reach or chain or options, key=lambda e: (e.parent, e.fk.column))
                )
                steps.append(Step(edge.parent, edge.child, edge))
                placed.add(edge.parent)
            if len(steps) == n and all(w in placed for w in wanted):
                return JoinTree(tuple(steps))
    return None


def left_tree(
    domain: Domain, n: int, rng: random.Random, required: tuple[str, ...] = ()
) -> JoinTree | None:
    """A tree for LEFT JOIN: a parent (the root), the root's own parents (many-to-one, inner
    joined and filterable), then one child of the root (the single one-to-many step, which a
    LEFT JOIN keeps childless parents through) and only many-to-one steps above that child,
    so nothing fans out beyond the child. Trees that need fewer tables above the child come
    first (a WHERE must not filter them). None when no such tree has n tables."""
    edges = fk_edges(domain)
    pairs = [(e.parent, e) for e in edges]
    rng.shuffle(pairs)
    pairs.sort(key=lambda p: p[0] not in required)
    found: list[tuple[int, JoinTree]] = []
    for root, first in pairs[:16]:
        steps = [Step(root)]
        placed = {root}
        wanted = [r for r in dict.fromkeys(required) if r not in (root, first.child)]
        _grow_up(steps, placed, edges, n - 1, wanted, rng, exclude=first.child)
        steps.append(Step(first.child, root, first))
        placed.add(first.child)
        above_child = len(steps)
        _grow_up(steps, placed, edges, n, wanted, rng, exclude=None, start=first.child)
        if len(steps) == n and all(w in placed for w in wanted):
            found.append((len(steps) - above_child, JoinTree(tuple(steps))))
    return min(found, key=lambda f: f[0])[1] if found else None


def _grow_up(
    steps: list[Step],
    placed: set[str],
    edges: list[Edge],
    n: int,
    wanted: list[str],
    rng: random.Random,
    exclude: str | None,
    start: str | None = None,
) -> None:
    """Add many-to-one steps from the placed tables (or only from `start` and what it
    reaches) until there are n steps."""
    reach_from = {start} if start else set(placed)
    while len(steps) < n:
        options = [
            e
            for e in edges
            if e.child in reach_from and e.parent not in placed and e.parent != exclude
        ]
        if not options:
            return
        wanted_here = [e for e in options if e.parent in wanted]
        edge = rng.choice(sorted(wanted_here or options, key=lambda e: (e.parent, e.fk.column)))
        steps.append(Step(edge.parent, edge.child, edge))
        placed.add(edge.parent)
        reach_from.add(edge.parent)
