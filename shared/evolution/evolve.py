"""One parent into evolved drafts: feasibility, top-K by utility, and for each chosen operator
the first candidate that passes the trial run (EvolSQL's execution-grounded refinement, here a
filter: runs on the record's rows, returns rows, changes the parent's result, can be worded,
and has no error-level sense finding). The pipeline then checks it like any draft."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from itertools import islice

import sqlglot

from proto.sample import Blueprint, Draft, TokenCost
from shared.evolution.context import (
    EvolveContext,
    FixtureError,
    QueryView,
    Row,
    view_query,
    words,
)
from shared.evolution.direction import DirectionConfig, OperatorTally
from shared.evolution.model import ChangeKind, Evolution, Operator
from shared.evolution.operators import OPERATORS, score_feasibility
from shared.evolution.parents import Parent
from shared.evolution.wording import Reword, explain_change, realize_sql, reword_question
from shared.sense import Origin, SenseInput, analyse_record
from shared.sql.features import analyze_query

# Candidates tried per chosen operator before it is given up for this parent.
MAX_TRIES = 8
CODES: dict[Operator, str] = {
    Operator.FUNC: "fn",
    Operator.OP: "op",
    Operator.LOGIC: "lg",
    Operator.JOIN: "jn",
    Operator.NEST: "ns",
    Operator.SET: "st",
}


@dataclass(frozen=True)
class EvolvedDraft:
    sample_id: str
    parent: Parent
    evolution: Evolution
    draft: Draft
    blueprint: Blueprint


@dataclass
class EvolveLog:
    """What happened to the candidates (why the ones not kept were dropped), per operator."""

    chosen: Counter[Operator] = field(default_factory=Counter)
    kept: Counter[Operator] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    # How candidates' questions were worded (realized from the tree, or in place; then by a
    # model, or left offline when the model's answer was not usable).
    worded: Counter[str] = field(default_factory=Counter)
    # Whose feasibility chose the operators (the strategy model's, or programmatic after a
    # failed scoring call), and what scoring calls cost with no evolved sample to carry it.
    scored: Counter[str] = field(default_factory=Counter)
    unbilled: TokenCost = field(default_factory=TokenCost)


def _sorted_rows(rows: Iterable[Row]) -> list[str]:
    return sorted(repr(r) for r in rows)


@dataclass(frozen=True)
class Trial:
    """A parent ready to evolve: its query's view, a SQLite fixture of its rows (the caller
    closes it, e.g. `with trial.ctx:`) and the parent's own result there."""

    view: QueryView
    ctx: EvolveContext
    before: list[Row]


def open_trial(parent: Parent, log: EvolveLog) -> Trial | None:
    """The parent's trial ground, or None with the reason counted in `log`: SQL sqlglot cannot
    read, not a SELECT, a fixture that does not load, or no rows on SQLite to change."""
    try:
        tree = sqlglot.parse_one(parent.draft.sql, read="sqlite")
    except sqlglot.errors.SqlglotError:
        log.skipped["unparsable"] += 1
        return None
    view = view_query(tree)
    if view is None:
        log.skipped["not_a_select"] += 1
        return None
    try:
        ctx = EvolveContext.open(parent.draft.schema_ddl, tuple(parent.draft.rows))
    except FixtureError:
        log.skipped["fixture"] += 1
        return None
    before = ctx.run(parent.draft.sql)
    if not before:
        ctx.close()
        log.skipped["parent_empty_on_sqlite"] += 1
        return None
    return Trial(view, ctx, before)


def evolve_parent(
    parent: Parent,
    tally: OperatorTally,
    config: DirectionConfig,
    rng: random.Random,
    log: EvolveLog,
    model_scores: Mapping[Operator, float] | None = None,
) -> list[EvolvedDraft]:
    """`model_scores`: a strategy model's feasibility (EvolSQL G.4), used where an operator can
    apply at all (the programmatic score is above 0: the transforms exist only there)."""
    trial = open_trial(parent, log)
    if trial is None:
        return []
    view, ctx, before = trial.view, trial.ctx, trial.before
    with ctx:
        feasibility = score_feasibility(view, ctx)
        if model_scores is not None:
            feasibility = {
                op: (model_scores.get(op, 0.0) if s > 0.0 else 0.0) for op, s in feasibility.items()
            }
        ranked = tally.rank(feasibility, config)
        chosen = ranked if config.fall_through else ranked[: config.top_k]
        out: list[EvolvedDraft] = []
        for op in chosen:
            if len(out) >= config.top_k:
                break
            log.chosen[op] += 1
            for candidate in islice(OPERATORS[op].propose(view, ctx, rng), MAX_TRIES):
                candidate = situated(candidate, view)
                evolved = try_candidate(
                    parent, candidate, ctx, before, rng, log, config.reword, config.close_to_parent
                )
                if evolved is not None:
                    log.kept[op] += 1
                    out.append(evolved)
                    break
        return out


_OWN_ROWS = frozenset({ChangeKind.ADD_FILTER, ChangeKind.ADD_BETWEEN, ChangeKind.ABOVE_AVERAGE})


def situated(candidate: Evolution, view: QueryView) -> Evolution:
    """The change with what the question needs to know of the query around it."""
    select = view.select
    main = words(view.main[1]) if view.main is not None else ""
    # An aggregate counts the rows of the table a filter reads (a child's rows when the filter
    # is on the child), not necessarily the FROM table's.
    own = candidate.change.noun if candidate.change.kind in _OWN_ROWS else ""
    counted = (own or main) if view.aggregated else ""
    limited = select is not None and select.args.get("limit") is not None
    change = replace(candidate.change, counted=counted, limited=limited)
    return replace(candidate, change=change)


def try_candidate(
    parent: Parent,
    candidate: Evolution,
    ctx: EvolveContext,
    before: list[Row],
    rng: random.Random,
    log: EvolveLog,
    reword: Reword = Reword.REALIZED,
    close_to_parent: Callable[[str, str], bool] | None = None,
) -> EvolvedDraft | None:
    checked = check_candidate(parent, candidate, ctx, before, rng, log, reword, close_to_parent)
    return None if checked is None else _evolved(parent, candidate, checked)


def check_candidate(
    parent: Parent,
    candidate: Evolution,
    ctx: EvolveContext,
    before: list[Row],
    rng: random.Random,
    log: EvolveLog,
    reword: Reword = Reword.IN_PLACE,
    close_to_parent: Callable[[str, str], bool] | None = None,
) -> Draft | None:
    """The trial run; the candidate's draft when it passes, else None (the reason logged)."""
    rows = ctx.run(candidate.sql)
    if rows is None:
        log.dropped["fails_on_sqlite"] += 1
        return None
    if not rows:
        log.dropped["empty_result"] += 1
        return None
    if _sorted_rows(rows) == _sorted_rows(before):
        log.dropped["unchanged_result"] += 1
        return None
    draft = parent.draft
    question = None
    if reword is Reword.REALIZED:
        question = realize_sql(candidate.sql, ctx, draft.prompt_style, rng, draft.domain)
        log.worded[reword.value if question is not None else Reword.IN_PLACE.value] += 1
    if question is None:
        question = reword_question(draft.question, candidate.change, draft.prompt_style, rng)
    if question is None:
        log.dropped["unworded"] += 1
        return None
    sense = analyse_record(
        SenseInput(
            question=question,
            sql=candidate.sql,
            schema_ddl=draft.schema_ddl,
            rows=tuple(draft.rows),
            origin=Origin.GENERATED,
            planned_style=draft.prompt_style,
        ),
        stop_early=True,
    )
    if sense.error or sense.errors:
        first = sense.errors[0].check.value if sense.errors else "sense_unparsable"
        log.dropped[f"sense:{first}"] += 1
        return None
    if close_to_parent is not None and close_to_parent(draft.question, question):
        # The near-duplicate search would refuse it as its parent's duplicate (EvolSQL's
        # schema-aware dedup): try the next candidate instead of spending the pipeline on it.
        log.dropped["close_to_parent"] += 1
        return None
    return parent.draft.model_copy(
        update={
            "sql": candidate.sql,
            "question": question,
            "explanation": explain_change(parent.draft.explanation, candidate.change, rng),
            "sql_by_dialect": {},
            "sql_context_by_dialect": {},
            "reasoning": None,
        }
    )


def _evolved(parent: Parent, candidate: Evolution, draft: Draft) -> EvolvedDraft:
    features = analyze_query(candidate.sql).features
    updates: dict[str, object] = {
        "parent_id": parent.id,
        "evolution": [*parent.blueprint.evolution, candidate.operator],
    }
    if features is not None:
        # The plan of an evolved sample is what it has: conformance then holds by construction.
        updates["num_tables"] = max(1, min(8, features.num_tables))
        updates["features"] = sorted(features.features, key=lambda f: f.value)
        updates["tables"] = []
    blueprint = parent.blueprint.model_copy(update=updates)
    sample_id = f"{parent.id}~{CODES[candidate.operator]}"
    return EvolvedDraft(sample_id, parent, candidate, draft, blueprint)
