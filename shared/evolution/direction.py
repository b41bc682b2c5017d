"""Adaptive directional evolution (EvolSQL §4.2, Eq. 10-11, Algorithm 1 lines 7-15).

W_div(φ) = P_target(φ) / (P_accum(φ) + ε) with P_accum = C(φ) / (N_total + ε), U = S_feas · W_div,
and the top-K operators by U. C counts the evolutions that passed (Algorithm 1 line 23), so an
operator whose outputs keep failing does not look used.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from shared.evolution.model import Operator
from shared.evolution.wording import Reword

# P_target (Eq. 10), towards harder queries: relational expansion and nesting are the operators
# that add tables, joins, subqueries and CTEs (EvolSQL Table 3), so they weigh more where they
# are feasible. Session 10: with a uniform target, round 1 had fewer joins (0.93 against 0.99)
# and CTEs (0.06 against 0.08) than the first generation.
HARDER: dict[Operator, float] = {
    Operator.JOIN: 0.22,
    Operator.NEST: 0.22,
    Operator.SET: 0.14,
    Operator.FUNC: 0.14,
    Operator.OP: 0.14,
    Operator.LOGIC: 0.14,
}


@dataclass(frozen=True)
class DirectionConfig:
    """K operators per sample per round (the paper's budget), the smoothing ε, the rounds T
    (the paper ran 2), and the target distribution (uniform when empty)."""

    top_k: int = 2
    epsilon: float = 0.05
    rounds: int = 2
    target: dict[Operator, float] = field(default_factory=lambda: dict(HARDER))
    # Evolved questions: realized afresh from the evolved tree where it can be said in full,
    # else the parent's question with the change's clause (shared.evolution.wording).
    reword: Reword = Reword.REALIZED
    # (parent question, candidate question) -> the near-duplicate search would call the
    # candidate a duplicate of its parent (shared.evolution.near_dedup.parent_closeness): such a
    # candidate fails the trial run and the operator's next candidate is tried instead.
    close_to_parent: Callable[[str, str], bool] | None = field(default=None, compare=False)
    # (parent SQL, candidate SQL) -> the SQL layer (hybrid score) would call the candidate a
    # duplicate of its parent (shared.evolution.near_dedup.parent_sql_closeness).
    sql_close_to_parent: Callable[[str, str], bool] | None = field(default=None, compare=False)
    # An operator whose candidates all stay too close to the parent (or fail) gets a second,
    # structural operator on top of its first workable candidate (shared.evolution.step):
    # EvolSQL's model-written steps often make several atomic changes at once.
    compose: bool = True
    # An operator none of whose candidates passes the trial run gives its place to the next by
    # utility, until K evolutions are kept (the paper's refinement would repair the failed SQL
    # with its model instead; here a failed transform has nothing to repair).
    fall_through: bool = True
    # A candidate with a sense warning its parent does not have fails the trial run (the next
    # candidate is tried): evolved samples are then no worse than the ones they come from.
    no_new_warnings: bool = True

    def target_of(self, op: Operator) -> float:
        return self.target.get(op, 0.0) if self.target else 1.0 / len(Operator)


# How far above its target share an operator may be and still fill a fall-through place: 1.0
# halved the yield on session 7's base run (45 drafts of 114 parents against 95), 1.5 keeps it.
OVERSHOOT = 1.5


@dataclass
class OperatorTally:
    """C(φ) and N_total over the evolutions accepted so far."""

    counts: Counter[Operator] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def add(self, op: Operator) -> None:
        self.counts[op] += 1

    def scarcity(self, op: Operator, config: DirectionConfig) -> float:
        accumulated = self.counts[op] / (self.total + config.epsilon)
        return config.target_of(op) / (accumulated + config.epsilon)

    def overshoots(self, op: Operator, config: DirectionConfig) -> bool:
        """The operator's share of the evolutions so far is above OVERSHOOT times its target
        (it may still be chosen by utility, but takes no place another operator left)."""
        if self.total == 0:
            return False
        return self.counts[op] / self.total > OVERSHOOT * config.target_of(op)

    def utilities(
        self, feasibility: dict[Operator, float], config: DirectionConfig
    ) -> dict[Operator, float]:
        return {op: s * self.scarcity(op, config) for op, s in feasibility.items()}

    def rank(self, feasibility: dict[Operator, float], config: DirectionConfig) -> list[Operator]:
        """Every operator with U > 0, highest utility first; ties keep enum order."""
        utility = self.utilities(feasibility, config)
        return sorted(
            (op for op in Operator if utility.get(op, 0.0) > 0.0),
            key=lambda op: -utility[op],
        )

    def choose(self, feasibility: dict[Operator, float], config: DirectionConfig) -> list[Operator]:
        """The operators to try in order: the top-K by utility, then (with fall-through) the
        rest that may take a place a top-K operator leaves. A place goes only to an operator
        not far above its target share: in session 7 nearly every such place went to operator
        mutation (a BETWEEN or a band almost always passes), 32% of all evolutions."""
        ranked = self.rank(feasibility, config)
        chosen = ranked[: config.top_k]
        if config.fall_through:
            chosen += [op for op in ranked[config.top_k :] if not self.overshoots(op, config)]
        return chosen

    def select(self, feasibility: dict[Operator, float], config: DirectionConfig) -> list[Operator]:
        """The top-K operators by utility, infeasible ones (U = 0) never; ties keep enum order."""
        return self.rank(feasibility, config)[: config.top_k]
