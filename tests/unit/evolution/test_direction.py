"""Adaptive direction (EvolSQL Eq. 10-11, Algorithm 1): scarcity, utility and top-K."""

from __future__ import annotations

import pytest

from shared.evolution.direction import DirectionConfig, OperatorTally
from shared.evolution.model import Operator

EVEN = dict.fromkeys(Operator, 1.0)


def test_scarcity_is_the_papers_formula() -> None:
    config = DirectionConfig(epsilon=0.05, target={})
    tally = OperatorTally()
    for _ in range(3):
        tally.add(Operator.FUNC)
    tally.add(Operator.JOIN)
    # P_accum = C / (N + ε); W = P_target / (P_accum + ε), P_target uniform = 1/6
    p_func = 3 / (4 + 0.05)
    assert tally.scarcity(Operator.FUNC, config) == pytest.approx((1 / 6) / (p_func + 0.05))
    assert tally.scarcity(Operator.SET, config) == pytest.approx((1 / 6) / 0.05)


def test_top_k_prefers_feasible_then_scarce() -> None:
    config = DirectionConfig(top_k=2, target={})
    tally = OperatorTally()
    feasibility = {**EVEN, Operator.NEST: 0.2, Operator.SET: 0.0}
    assert tally.select(feasibility, config) == [Operator.FUNC, Operator.OP]
    for _ in range(5):
        tally.add(Operator.FUNC)
        tally.add(Operator.OP)
    # Used operators lose utility; an infeasible one is never chosen however scarce.
    chosen = tally.select(feasibility, config)
    assert chosen == [Operator.LOGIC, Operator.JOIN]
    assert Operator.SET not in tally.select(feasibility, DirectionConfig(top_k=6, target={}))


def test_selection_balances_operators_over_many_samples() -> None:
    """With equal feasibility, counting what was chosen keeps the shares near uniform (the
    mode collapse the scarcity weight exists to prevent)."""
    config = DirectionConfig(top_k=1, target={})
    tally = OperatorTally()
    for _ in range(600):
        [op] = tally.select(EVEN, config)
        tally.add(op)
    assert max(tally.counts.values()) - min(tally.counts.values()) <= 1


def test_target_distribution_steers_the_shares() -> None:
    target = {**dict.fromkeys(Operator, 0.1), Operator.NEST: 0.5}
    config = DirectionConfig(top_k=1, target=target)
    tally = OperatorTally()
    for _ in range(300):
        [op] = tally.select(EVEN, config)
        tally.add(op)
    # Equal utilities at equilibrium: P + ε ∝ P_target, so with ε = 0.05 the shares settle
    # at 0.6 for NEST and 0.08 for each other operator (ε pulls toward the scarce ones).
    assert tally.counts[Operator.NEST] / 300 == pytest.approx(0.6, abs=0.02)
    assert tally.counts[Operator.FUNC] / 300 == pytest.approx(0.08, abs=0.02)


def test_the_default_direction_favours_relational_expansion_and_nesting() -> None:
    """Session 10: with a uniform target, round 1 had fewer joins and CTEs than the first
    generation. Where they are feasible, JOIN and NEST now lead, and keep a larger share."""
    config = DirectionConfig(top_k=2)
    tally = OperatorTally()
    assert set(tally.select(EVEN, config)) == {Operator.JOIN, Operator.NEST}
    # Not where they cannot apply: the others then fill the places.
    assert tally.select({**EVEN, Operator.JOIN: 0.0, Operator.NEST: 0.0}, config) == [
        Operator.FUNC,
        Operator.OP,
    ]
    single = DirectionConfig(top_k=1)
    for _ in range(300):
        [op] = tally.select(EVEN, single)
        tally.add(op)
    for op in (Operator.JOIN, Operator.NEST):
        assert tally.counts[op] > tally.counts[Operator.FUNC] * 1.4
