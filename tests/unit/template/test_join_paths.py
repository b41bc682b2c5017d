"""Walks of the foreign-key graph."""

from __future__ import annotations

import random

import pytest

from shared.errors import GenerationError
from shared.generation.template.schema.catalogue import domain_names, get_domain
from shared.generation.template.schema.join_paths import (
    connected_tables,
    cross_partner,
    fk_edges,
    order_tree,
)


def _connected(domain_name: str, tables: list[str]) -> bool:
    edges = fk_edges(get_domain(domain_name))
    seen = {tables[0]}
    grew = True
    while grew:
        grew = False
        for e in edges:
            if e.child in tables and e.parent in tables and (e.child in seen) != (e.parent in seen):
                seen |= {e.child, e.parent}
                grew = True
    return seen == set(tables)


@pytest.mark.parametrize("name", domain_names())
def test_walks_are_connected_and_honour_required_tables(name: str) -> None:
    domain = get_domain(name)
    rng = random.Random(name)
    for n in range(1, min(5, len(domain.tables)) + 1):
        for _ in range(5):
            tables = connected_tables(domain, n, rng)
            assert len(set(tables)) == n and _connected(name, tables)
            required = (rng.choice(tables),)
            again = connected_tables(domain, n, rng, required)
            assert required[0] in again and _connected(name, again)


def test_trees_follow_foreign_keys_and_prefer_parent_to_child() -> None:
    domain = get_domain("retail")
    rng = random.Random(1)
    tables = connected_tables(domain, 4, rng, ("customers",))
    tree = order_tree(domain, tables, rng, prefer_downward=True)
    assert tree.tables[0] in tables and set(tree.tables) == set(tables)
    for step in tree.steps[1:]:
        assert step.edge is not None and step.anchor in tree.tables[: tree.tables.index(step.table)]
    assert any(step.downward for step in tree.steps[1:])


def test_cross_partner_lies_outside_the_walk() -> None:
    domain = get_domain("logistics")
    counts = {t.name: 10 for t in domain.tables}
    tables = ["shipments", "clients"]
    assert cross_partner(domain, tables, counts, random.Random(2)) not in tables


def test_impossible_walks_raise() -> None:
    domain = get_domain("retail")
    with pytest.raises(GenerationError):
        connected_tables(domain, len(domain.tables) + 1, random.Random(0))
    with pytest.raises(GenerationError):
        connected_tables(domain, 2, random.Random(0), ("no_such_table",))
