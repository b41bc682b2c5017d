"""Walks of a domain's foreign-key graph: which tables a query reads and how they connect.

A query over n tables reads a connected part of the FK graph, joined along real foreign keys
(so joins match rows), except for a CROSS JOIN partner, which needs no key. The walk is random
but seeded, and always honours the tables a blueprint names.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from shared.errors import GenerationError
from shared.generation.template.schema_model import Domain, ForeignKey


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
    domain: Domain, tables: list[str], row_counts: dict[str, int], rng: random.Random
) -> str:
    """A small, dimension-like table outside `tables` for a CROSS JOIN (few rows keep the
    product readable), or the smallest table of the set when nothing is left outside."""
    outside = [t.name for t in domain.tables if t.name not in tables]
    pool = outside or tables
    smallest = sorted(pool, key=lambda t: (row_counts.get(t, 0), t))
    return rng.choice(smallest[:2])
