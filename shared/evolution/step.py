"""One evolution step of one parent (Algorithm 1, lines 7-23): feasibility, top-K by utility,
and for each chosen operator an evolution that passes the trial run and differs from its
parent and from the siblings kept before it; failing that, the operator composed with a second,
structural one.

Session 9's measurement (120-record base, round 1): parents of 80+ tokens kept 7 evolutions of
27, parents under 40 tokens 34 of 40. A long parent's question changed by one clause stays
within the question layer's cosine of it (close_to_parent led the drops, 227 for those 27), so
the evolved rounds came mostly from short parents and were barely longer than the first
generation. EvolSQL's model-written steps often make several atomic changes at once; here an
operator whose candidates all stay too close gets a second operator that adds structure (a
subquery, EXISTS, a join, a function), and long parents are steered towards those operators.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import islice

import sqlglot

from shared.evolution.context import view_query
from shared.evolution.direction import DirectionConfig, OperatorTally
from shared.evolution.evolve import (
    EvolvedDraft,
    EvolveLog,
    Trial,
    check_candidate,
    evolution_allowance,
    evolved_draft,
    first_passing,
    open_trial,
    situated,
    sorted_rows,
)
from shared.evolution.model import Operator
from shared.evolution.operators import propose, score_feasibility
from shared.evolution.parents import Parent
from shared.report.metrics import count_complexity
from shared.sense import SenseCheck
from shared.sql.features import analyze_query

# Operators that add structure (EvolSQL Table 3's joins, functions, subqueries, nesting): the
# second operator of a composed step, and the ones a long parent is steered towards.
STRUCTURAL: tuple[Operator, ...] = (Operator.NEST, Operator.SET, Operator.JOIN, Operator.FUNC)


@dataclass(frozen=True)
class StepConfig:
    """How far composition searches, and when a parent counts as long."""

    # From this many tokens (the report's measure) a parent is long: a filter or a band added
    # to it reads like it. Near the first generation's mean (55-60 tokens).
    long_parent_tokens: int = 60
    # Feasibility factor of the operators that only add a predicate or an expression
    # (mutation, logical clause) on a long parent: tried after the structural ones.
    flat_weight_on_long: float = 0.5
    # First-step candidates composed per operator, second operators per first step, and
    # candidates tried per second operator.
    firsts: int = 2
    seconds: int = 2
    tries: int = 4


STEP = StepConfig()


def parent_tokens(sql: str) -> int:
    features = analyze_query(sql).features
    return count_complexity(features)["tokens"] if features is not None else 0


def favour_structure(
    feasibility: Mapping[Operator, float], tokens: int, step: StepConfig = STEP
) -> dict[Operator, float]:
    """On a long parent, the flat operators' feasibility scaled down (never to 0: they still
    take a place no structural operator can fill)."""
    if tokens < step.long_parent_tokens:
        return dict(feasibility)
    return {
        op: s if op in STRUCTURAL else s * step.flat_weight_on_long for op, s in feasibility.items()
    }


@dataclass(frozen=True)
class Family:
    """What an evolution must differ from: its parent, its relatives (the other evolutions of
    the same first-generation record, drafted in earlier rounds or earlier in this one) and the
    evolutions of the same parent kept before it. The near-duplicate search holds them all:
    session 9's round 2 lost 13 of 47 drafts to a relative, none to the parent itself."""

    questions: tuple[str, ...]
    sqls: tuple[str, ...]

    @classmethod
    def of(
        cls,
        parent: Parent,
        kept: Sequence[EvolvedDraft],
        relatives: Sequence[tuple[str, str]] = (),
    ) -> Family:
        """`relatives`: (question, sql) pairs."""
        return cls(
            (parent.draft.question, *(q for q, _ in relatives), *(e.draft.question for e in kept)),
            (parent.draft.sql, *(sql for _, sql in relatives), *(e.draft.sql for e in kept)),
        )

    def question_check(
        self, close: Callable[[str, str], bool] | None
    ) -> Callable[[str, str], bool] | None:
        """close(_, question) against every member (the caller's first argument is the
        immediate parent's question, which for a composed step is not in the pool)."""
        if close is None:
            return None
        return lambda _parent, question: any(close(known, question) for known in self.questions)

    def sql_check(
        self, close: Callable[[str, str], bool] | None
    ) -> Callable[[str, str], bool] | None:
        if close is None:
            return None
        return lambda _parent, sql: any(close(known, sql) for known in self.sqls)


def evolve_parent(
    parent: Parent,
    tally: OperatorTally,
    config: DirectionConfig,
    rng: random.Random,
    log: EvolveLog,
    model_scores: Mapping[Operator, float] | None = None,
    relatives: Sequence[tuple[str, str]] = (),
) -> list[EvolvedDraft]:
    """`model_scores`: a strategy model's feasibility (EvolSQL G.4), used where an operator can
    apply at all (the programmatic score is above 0: the transforms exist only there).
    `relatives`: (question, sql) of the parent's other relatives in the pool (see Family)."""
    trial = open_trial(parent, log)
    if trial is None:
        return []
    view, ctx = trial.view, trial.ctx
    allowed = evolution_allowance(trial.warnings) if config.no_new_warnings else None
    with ctx:
        feasibility = score_feasibility(view, ctx)
        if model_scores is not None:
            feasibility = {
                op: (model_scores.get(op, 0.0) if s > 0.0 else 0.0) for op, s in feasibility.items()
            }
        else:
            feasibility = favour_structure(feasibility, parent_tokens(parent.draft.sql))
        chosen = tally.choose(feasibility, config)
        out: list[EvolvedDraft] = []
        for op in chosen:
            if len(out) >= config.top_k:
                break
            log.chosen[op] += 1
            family = Family.of(parent, out, relatives)
            close = family.question_check(config.close_to_parent)
            sql_close = family.sql_check(config.sql_close_to_parent)
            near = _near_misses(log)
            evolved = first_passing(
                op, parent, trial, rng, log, config.reword, close, allowed, sql_close
            )
            # Composed only when some candidate failed for its closeness alone: one that failed
            # on its rows or its sense would fail as the first step too (and the search costs a
            # sense check and a realization per candidate).
            if evolved is None and config.compose and _near_misses(log) > near:
                evolved = compose_step(op, parent, trial, rng, log, config, family, allowed)
                if evolved is not None:
                    log.worded["composed"] += 1
            if evolved is not None:
                log.kept[op] += 1
                out.append(evolved)
        return out


def _near_misses(log: EvolveLog) -> int:
    return log.dropped["close_to_parent"] + log.dropped["sql_close_to_parent"]


def compose_step(
    op: Operator,
    parent: Parent,
    trial: Trial,
    rng: random.Random,
    log: EvolveLog,
    config: DirectionConfig,
    family: Family,
    allowed: frozenset[SenseCheck] | None,
    step: StepConfig = STEP,
) -> EvolvedDraft | None:
    """`op`'s first workable candidates (all checks but the distance to the family), each with
    a structural second operator on top, until one passes the trial run against the family."""
    quiet = EvolveLog()  # the first steps' own drops are not the step's outcome
    firsts = 0
    for first in islice(propose(op, trial.view, trial.ctx, rng), 2 * step.firsts + 4):
        first = situated(first, trial.view, trial.ctx)
        middle_draft = check_candidate(
            parent, first, trial.ctx, trial.before, rng, quiet, config.reword, None, allowed
        )
        if middle_draft is None:
            continue
        middle = Parent(parent.id, middle_draft, parent.blueprint)
        found = _second_step(op, parent, middle, trial, rng, log, config, family, allowed, step)
        if found is not None:
            return found
        firsts += 1
        if firsts >= step.firsts:
            break
    return None


def _second_step(
    op: Operator,
    parent: Parent,
    middle: Parent,
    trial: Trial,
    rng: random.Random,
    log: EvolveLog,
    config: DirectionConfig,
    family: Family,
    allowed: frozenset[SenseCheck] | None,
    step: StepConfig,
) -> EvolvedDraft | None:
    ctx = trial.ctx
    try:
        view = view_query(sqlglot.parse_one(middle.draft.sql, read="sqlite"))
    except sqlglot.errors.SqlglotError:
        return None
    before = ctx.run(middle.draft.sql)
    if view is None or not before:
        return None
    feasibility = score_feasibility(view, ctx)
    seconds = sorted(
        (s for s in STRUCTURAL if s is not op and feasibility.get(s, 0.0) > 0.0),
        key=lambda s: -feasibility[s],
    )
    close = family.question_check(config.close_to_parent)
    sql_close = family.sql_check(config.sql_close_to_parent)
    reword = config.reword
    for second in seconds[: step.seconds]:
        for candidate in islice(propose(second, view, ctx, rng), step.tries):
            candidate = situated(candidate, view, ctx)
            draft = check_candidate(
                middle,
                candidate,
                ctx,
                before,
                rng,
                log,
                reword,
                close,
                allowed,
                sql_close=sql_close,
            )
            if draft is None:
                continue
            rows = ctx.run(draft.sql)
            if rows is not None and sorted_rows(rows) == sorted_rows(trial.before):
                continue  # the two steps undid each other: the parent's own result
            return evolved_draft(parent, replace(candidate, sql=draft.sql), draft, (op, second))
    return None
