"""The operator registry (keyed by the enum) and the feasibility score of each on one query.

EvolSQL asks a strategy model for S_feas(φ) (Eq. 9, appendix G.4). Here it is programmatic:
each operator scores the query's tree against the schema (0 = not applicable, e.g. no parent
table left to join, no numeric column to nest) — the pre-judgment that keeps invalid directions
out before anything is generated.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from shared.evolution.context import EvolveContext, QueryView
from shared.evolution.model import Evolution, Operator
from shared.evolution.operand import operand_of
from shared.evolution.ops_clause import feasible_join, feasible_logic, propose_join, propose_logic
from shared.evolution.ops_expr import feasible_func, feasible_op, propose_func, propose_op
from shared.evolution.ops_nest import feasible_nest, feasible_set, propose_nest, propose_set

Feasible = Callable[[QueryView, EvolveContext], float]
Propose = Callable[[QueryView, EvolveContext, random.Random], Iterator[Evolution]]


@dataclass(frozen=True)
class OperatorSpec:
    feasible: Feasible
    propose: Propose


OPERATORS: dict[Operator, OperatorSpec] = {
    Operator.FUNC: OperatorSpec(feasible_func, propose_func),
    Operator.OP: OperatorSpec(feasible_op, propose_op),
    Operator.LOGIC: OperatorSpec(feasible_logic, propose_logic),
    Operator.JOIN: OperatorSpec(feasible_join, propose_join),
    Operator.NEST: OperatorSpec(feasible_nest, propose_nest),
    Operator.SET: OperatorSpec(feasible_set, propose_set),
}


def score_feasibility(view: QueryView, ctx: EvolveContext) -> dict[Operator, float]:
    """S_feas for every operator, in [0, 1], on what the operators change (operand_of)."""
    operand = operand_of(view).view
    return {op: min(1.0, max(0.0, spec.feasible(operand, ctx))) for op, spec in OPERATORS.items()}


def propose(
    op: Operator, view: QueryView, ctx: EvolveContext, rng: random.Random
) -> Iterator[Evolution]:
    """`op`'s candidates for the whole query (a summary CTE's body changed and put back)."""
    operand = operand_of(view)
    for evolution in OPERATORS[op].propose(operand.view, ctx, rng):
        sql = operand.splice(evolution.sql)
        if sql is not None:
            yield replace(evolution, sql=sql)
