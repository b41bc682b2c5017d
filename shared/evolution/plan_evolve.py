"""EvolSQL as a planner option: the planner chooses a seed's operator (feasibility on the seed's
own tree and rows × the scarcity weight over the run's accepted evolutions, top-1), and the
generator applies exactly that operator (the first candidate that passes the trial run)."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping

import sqlglot

from proto.sample import Draft
from shared.evolution.context import EvolveContext, FixtureError, view_query
from shared.evolution.direction import DirectionConfig, OperatorTally
from shared.evolution.evolve import (
    EvolvedDraft,
    EvolveLog,
    evolution_allowance,
    first_passing,
    open_trial,
)
from shared.evolution.model import Operator
from shared.evolution.operators import score_feasibility
from shared.evolution.parents import Parent
from shared.evolution.wording import Reword


def choose_operator(
    draft: Draft, counts: Mapping[str, int], config: DirectionConfig | None = None
) -> Operator | None:
    """The operator of highest utility U = S_feas · W_div for this query; None when none fits."""
    try:
        view = view_query(sqlglot.parse_one(draft.sql, read="sqlite"))
    except sqlglot.errors.SqlglotError:
        return None
    if view is None:
        return None
    try:
        ctx = EvolveContext.open(draft.schema_ddl, tuple(draft.rows))
    except FixtureError:
        return None
    tally = OperatorTally(Counter({Operator(k): n for k, n in counts.items()}))
    with ctx:
        feasibility = score_feasibility(view, ctx)
    chosen = tally.select(feasibility, config or DirectionConfig(top_k=1))
    return chosen[0] if chosen else None


def apply_operator(
    parent: Parent,
    op: Operator,
    rng: random.Random,
    log: EvolveLog,
    reword: Reword = Reword.REALIZED,
) -> EvolvedDraft | None:
    """The first candidate of `op` that passes the trial run, or None (the reason logged)."""
    trial = open_trial(parent, log)
    if trial is None:
        return None
    with trial.ctx:
        allowed = evolution_allowance(trial.warnings)
        return first_passing(op, parent, trial, rng, log, reword, None, allowed)
