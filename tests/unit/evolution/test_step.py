"""One evolution step (shared.evolution.step) on real accepted records: an operator whose
candidates all stay too close to the parent is composed with a structural second operator, an
evolution differs from its relatives as well as its parent, and long parents are steered to the
operators that add structure."""

from __future__ import annotations

import json
import random

import pytest

from proto.common import EvolutionOperator
from proto.sample import SampleEnvelope
from shared.evolution.direction import DirectionConfig, OperatorTally
from shared.evolution.evolve import EvolvedDraft, EvolveLog
from shared.evolution.model import Operator
from shared.evolution.outputs import evolution_rounds
from shared.evolution.parents import Parent, parent_from_record
from shared.evolution.rounds import step_operators
from shared.evolution.step import STRUCTURAL, evolve_parent, favour_structure, parent_tokens
from tests.conftest import FIXTURES

RECORDS = FIXTURES / "evolution" / "parents.jsonl"
# A stand-in for the SQL layer's rule that only a bigger change escapes: the candidate must
# be this many tokens longer than every query it is compared with.
GAIN = 14


@pytest.fixture(scope="module")
def parents() -> list[Parent]:
    found = [parent_from_record(json.loads(line)) for line in RECORDS.read_text().splitlines()]
    return [p for p in found if isinstance(p, Parent)]


def small_gain(known_sql: str, sql: str) -> bool:
    return parent_tokens(sql) - parent_tokens(known_sql) < GAIN


def test_a_step_too_close_to_its_parent_is_composed_with_a_structural_operator(
    parents: list[Parent],
) -> None:
    composed = DirectionConfig(top_k=2, sql_close_to_parent=small_gain)
    single = DirectionConfig(top_k=2, sql_close_to_parent=small_gain, compose=False)
    kept: list[EvolvedDraft] = []
    alone = 0
    for parent in parents:
        kept += evolve_parent(parent, OperatorTally(), composed, random.Random(3), EvolveLog())
        alone += len(evolve_parent(parent, OperatorTally(), single, random.Random(3), EvolveLog()))
    pairs = [e for e in kept if len(e.steps) == 2]
    assert pairs, "some operator needed a second one"
    assert len(kept) > alone
    for evolved in kept:
        # Every kept evolution clears the closeness rule against its parent.
        assert parent_tokens(evolved.draft.sql) - parent_tokens(evolved.parent.draft.sql) >= GAIN
    for evolved in pairs:
        first, second = evolved.steps
        assert second in STRUCTURAL and second is not first
        assert evolved.blueprint.evolution[-2:] == [first, second]
        assert evolved.evolution.operator is second
        assert evolved.sample_id.endswith("+" + evolved.sample_id.rsplit("+", 1)[1])


def test_an_evolution_differs_from_its_relatives_and_its_siblings(
    parents: list[Parent],
) -> None:
    """The near-duplicate search holds every evolution of the same first-generation record: a
    question one of them already has is not drafted again (here: by exact equality)."""
    config = DirectionConfig(top_k=3, close_to_parent=lambda known, q: known == q, compose=False)
    blocked = 0
    for parent in parents[:5]:
        first = evolve_parent(parent, OperatorTally(), config, random.Random(11), EvolveLog())
        questions = [e.draft.question for e in first]
        assert len(set(questions)) == len(questions), "siblings differ"
        relatives = [(e.draft.question, e.draft.sql) for e in first]
        again = evolve_parent(
            parent, OperatorTally(), config, random.Random(11), EvolveLog(), relatives=relatives
        )
        assert not {e.draft.question for e in again} & set(questions)
        blocked += bool(first)
    assert blocked, "some parent evolved at all"


def test_long_parents_prefer_operators_that_add_structure(parents: list[Parent]) -> None:
    flat = {Operator.OP: 1.0, Operator.LOGIC: 1.0, Operator.NEST: 0.8, Operator.JOIN: 0.0}
    assert favour_structure(flat, 30) == flat
    scaled = favour_structure(flat, 90)
    assert scaled[Operator.NEST] > scaled[Operator.OP] > 0.0
    assert scaled[Operator.JOIN] == 0.0
    # On the fixture's long parents the first chosen operator is a structural one wherever one
    # is feasible at all.
    tokens = {p.id: parent_tokens(p.draft.sql) for p in parents}
    log = EvolveLog()
    for parent in (p for p in parents if tokens[p.id] >= 60):
        evolve_parent(parent, OperatorTally(), DirectionConfig(top_k=1), random.Random(2), log)
    assert log.chosen, "the fixture has long parents"
    assert sum(log.chosen[op] for op in STRUCTURAL) >= sum(log.chosen.values()) / 2


def test_a_refused_composed_step_gives_back_both_operators(parents: list[Parent]) -> None:
    chain = [EvolutionOperator.OP, EvolutionOperator.FUNC, EvolutionOperator.NEST]
    base = parents[0].blueprint

    def envelope(parent_id: str, evolution: list[EvolutionOperator]) -> SampleEnvelope:
        blueprint = base.model_copy(update={"parent_id": parent_id, "evolution": evolution})
        return SampleEnvelope(run_id="r", sample_id=f"{parent_id}~x", blueprint=blueprint)

    assert step_operators(envelope("p~op", chain), {"p~op": 1}) == chain[1:]
    assert step_operators(envelope("p", chain[1:2]), {"p": 0}) == chain[1:2]


def test_the_round_of_a_record_follows_its_parents_not_its_chain() -> None:
    records = [
        {"id": "a~op+ns", "parent_id": "a", "evolution": ["operator_mutation", "nesting"]},
        {"id": "a~op+ns~fn", "parent_id": "a~op+ns", "evolution": ["o", "n", "f"]},
        {"id": "b~jn", "parent_id": "b", "evolution": ["relational_expansion"]},
    ]
    assert evolution_rounds(records) == {"a~op+ns": 1, "a~op+ns~fn": 2, "b~jn": 1}
