"""Filter scope (shared.evolution.scope): an evolution of an aggregate over a LEFT JOIN adds no
condition on the join's optional side, which would also drop the parent rows without a matching
child ("counting only rooms with ..." narrowing the hotels counted beside them)."""

from __future__ import annotations

import json
import random

import pytest
import sqlglot

from shared.evolution.context import view_query
from shared.evolution.direction import DirectionConfig, OperatorTally
from shared.evolution.evolve import EvolveLog
from shared.evolution.parents import Parent, parent_from_record
from shared.evolution.scope import narrows_optional_side, optional_aliases
from shared.evolution.step import evolve_parent
from tests.conftest import FIXTURES

# First-generation aggregates over a LEFT JOIN (a template run), whose evolutions session 9
# worded "counting only <child> ..." while the WHERE narrowed the whole query.
RECORDS = FIXTURES / "evolution" / "left_join_counts.jsonl"


@pytest.fixture(scope="module")
def parents() -> list[Parent]:
    found = [parent_from_record(json.loads(line)) for line in RECORDS.read_text().splitlines()]
    return [p for p in found if isinstance(p, Parent)]


def new_conditions_on_optional_side(parent_sql: str, sql: str) -> list[str]:
    """The outer WHERE's conditions (AND-split) the parent lacks that name an optional alias."""
    tree = sqlglot.parse_one(sql, read="sqlite")
    view = view_query(tree)
    assert view is not None and view.select is not None
    optional = optional_aliases(view.select)
    where = view.select.args.get("where")
    before = parent_sql.replace("(", "").replace(")", "")
    found = []
    for part in where.this.flatten() if where is not None else []:
        text = part.sql()
        outer = text.split("SELECT")[0]
        if text.replace("(", "").replace(")", "") not in before and any(
            f"{alias}." in outer for alias in optional
        ):
            found.append(text)
    return found


def test_no_evolution_narrows_a_left_join_it_counts_through(parents: list[Parent]) -> None:
    assert len(parents) >= 5
    config = DirectionConfig(top_k=6)
    kept = []
    log = EvolveLog()
    for parent in parents:
        kept += evolve_parent(parent, OperatorTally(), config, random.Random(4), log)
    assert len(kept) >= len(parents), "parents still evolve (on their own side of the join)"
    for evolved in kept:
        assert not new_conditions_on_optional_side(evolved.parent.draft.sql, evolved.draft.sql), (
            evolved.draft.sql
        )
    assert log.dropped["filter_on_optional_side"] > 0


def test_the_rule_reads_joins_through_the_optional_side() -> None:
    parent = (
        "SELECT d.class, COUNT(pf.id) AS fills FROM drugs AS d"
        " LEFT JOIN fills AS pf ON pf.drug_id = d.id GROUP BY d.class"
    )
    through = parent.replace(
        " GROUP BY", " INNER JOIN pharmacies AS p ON p.id = pf.pharmacy_id GROUP BY"
    )
    own_side = parent.replace(" GROUP BY", " WHERE d.price > 3 GROUP BY")
    rows_only = "SELECT d.class, pf.id FROM drugs AS d LEFT JOIN fills AS pf ON pf.drug_id = d.id"
    assert narrows_optional_side(parent, through)
    assert narrows_optional_side(parent, parent.replace(" GROUP BY", " WHERE pf.qty > 2 GROUP BY"))
    assert not narrows_optional_side(parent, own_side)
    # A row query lists the children it keeps: no count is worded for a scope.
    assert not narrows_optional_side(rows_only, rows_only + " WHERE pf.qty > 2")
