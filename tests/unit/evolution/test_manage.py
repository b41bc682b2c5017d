"""The management rule (SQL-Factory §4.1.1) and expansion's value variants."""

from __future__ import annotations

import random

import sqlglot

from proto.common import PromptStyle
from shared.evolution.context import EvolveContext, view_query
from shared.evolution.evolve import EvolveLog
from shared.evolution.expand import expand_parent, propose_swaps
from shared.evolution.manage import CycleEvaluation, ManageConfig, Mode, next_mode
from shared.evolution.model import Change, ChangeKind
from shared.evolution.parents import Parent, parent_from_record
from shared.evolution.wording import reword_question
from shared.sql.features import QueryFeatures, analyze_query
from tests.unit.evolution.test_operators import SINGLE_TABLE, load_records

CONFIG = ManageConfig(explore_cycles=2, pattern_cap=3, max_redundancy=0.5, min_pass_rate=0.7)


def features_of(sql: str) -> QueryFeatures:
    features = analyze_query(sql).features
    assert features is not None, sql
    return features


def cycle(mode: Mode, drafted: int = 10, accepted: int = 9, redundant: int = 0) -> CycleEvaluation:
    return CycleEvaluation(mode, drafted, accepted, redundant)


def test_explores_first_then_expands_after_the_fixed_cycles() -> None:
    assert next_mode([], CONFIG) is Mode.EXPLORE
    assert next_mode([cycle(Mode.EXPLORE)], CONFIG) is Mode.EXPLORE
    assert next_mode([cycle(Mode.EXPLORE)] * 2, CONFIG) is Mode.EXPAND


def test_expansion_returns_to_exploration_on_redundancy_or_failures() -> None:
    history = [cycle(Mode.EXPLORE)] * 2
    assert next_mode([*history, cycle(Mode.EXPAND, redundant=2)], CONFIG) is Mode.EXPAND
    assert next_mode([*history, cycle(Mode.EXPAND, redundant=5)], CONFIG) is Mode.EXPLORE
    assert next_mode([*history, cycle(Mode.EXPAND, accepted=6)], CONFIG) is Mode.EXPLORE
    # Nothing accepted at all reads as fully redundant: explore again.
    assert next_mode([*history, cycle(Mode.EXPAND, accepted=0)], CONFIG) is Mode.EXPLORE
    # And the fixed exploring streak starts over after a return.
    back = [*history, cycle(Mode.EXPAND, redundant=5), cycle(Mode.EXPLORE)]
    assert next_mode(back, CONFIG) is Mode.EXPLORE


def test_a_swap_keeps_the_structure_and_takes_a_value_from_the_rows() -> None:
    sql = "SELECT i.kind FROM items AS i WHERE i.price > 2.5"
    view = view_query(sqlglot.parse_one(sql))
    assert view is not None
    with EvolveContext.open(SINGLE_TABLE, ()) as ctx:
        swaps = list(propose_swaps(view, ctx, random.Random(1)))
        prices = set(ctx.values("items", "price"))
    assert swaps
    pattern = features_of(sql).pattern_hash
    for swap in swaps:
        assert swap.change.values[1] in prices - {2.5}
        assert features_of(swap.sql).pattern_hash == pattern


def test_expansions_of_real_records_are_worded_and_pass_the_trial_run() -> None:
    parents = [p for r in load_records() if isinstance(p := parent_from_record(r), Parent)]
    log = EvolveLog()
    variants = [v for p in parents for v in expand_parent(p, 2, random.Random(3), log)]
    assert len(variants) >= len(parents) // 2, log
    for variant in variants:
        new = variant.evolution.change.values[1]
        assert variant.draft.question != variant.parent.draft.question
        assert variant.blueprint.parent_id == variant.parent.id
        assert variant.blueprint.evolution == variant.parent.blueprint.evolution
        before, after = features_of(variant.parent.draft.sql), features_of(variant.draft.sql)
        assert before.pattern_hash == after.pattern_hash
        if isinstance(new, str):
            assert new in variant.draft.question


def test_a_swapped_literal_is_found_standing_alone_and_once() -> None:
    """'4' inside '2024-03-04' is not the literal; a literal written twice is not guessed."""
    change = Change(ChangeKind.SWAP_VALUE, values=(4.0, 2.54))
    rng = random.Random(0)
    assert (
        reword_question("Since 2024-03-04, rate less than 4.", change, PromptStyle.DIRECT, rng)
        == "Since 2024-03-04, rate less than 2.54."
    )
    assert reword_question("Rate 4 or 4?", change, PromptStyle.DIRECT, rng) is None


def test_swaps_reach_between_bounds_and_in_lists() -> None:
    sql = "SELECT i.kind FROM items AS i WHERE i.price BETWEEN 2.5 AND 7.0 AND i.kind IN ('a', 'b')"
    view = view_query(sqlglot.parse_one(sql))
    assert view is not None
    with EvolveContext.open(SINGLE_TABLE, ()) as ctx:
        replaced = {s.change.values[0] for s in propose_swaps(view, ctx, random.Random(2))}
    assert {2.5, 7.0} <= replaced
