"""Expansion (SQL-Factory §4.3, the Expansion Team): the same query structure on other tables,
columns (shared.evolution.reschema) or values.

A parent's comparison literals (`col = 'a'`, `col > 10`) are swapped for other values its rows
hold; the structural pattern stays, so the variant costs no model call and no new structure.
The question is the parent's with the literal swapped in place; a literal the question does not
spell is not swapped (the variant could not be worded). Each variant passes the same trial run
as an evolution before the pipeline sees it.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from itertools import islice

from sqlglot import exp

from proto.common import ExpansionKind, SeedMode
from proto.sample import Draft, Scalar
from shared.evolution.build import literal
from shared.evolution.context import EvolveContext, Kind, QueryView
from shared.evolution.evolve import MAX_TRIES, EvolvedDraft, EvolveLog, check_candidate, open_trial
from shared.evolution.expand_sense import makes_sense
from shared.evolution.model import Change, ChangeKind, Evolution, Operator
from shared.evolution.parents import Parent
from shared.evolution.reschema import propose_column_swaps, propose_table_swaps
from shared.evolution.wording import Reword

_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)


def _column_of(literal_node: exp.Literal) -> exp.Column | None:
    """The column a literal is compared with: `col = v`, `col BETWEEN v AND w`, `col IN (v)`."""
    owner = literal_node.parent
    compared = isinstance(owner, _COMPARISONS) and owner.expression is literal_node
    listed = isinstance(owner, exp.Between | exp.In) and literal_node is not owner.this
    if owner is None or not (compared or listed):
        return None
    column = owner.this
    return column if isinstance(column, exp.Column) else None


def _swappable(view: QueryView, ctx: EvolveContext) -> list[tuple[int, str, str, Scalar]]:
    """(index among the WHERE's literals, table, column, current value) of the literals
    compared with a column of the query's own tables (not those of a subquery)."""
    where = view.select.args.get("where") if view.select is not None else None
    found = []
    for index, node in enumerate(where.find_all(exp.Literal) if where is not None else []):
        column = _column_of(node)
        table = view.sources.get(column.table) if column is not None else None
        if column is None or table is None:
            continue
        name = column.name.lower()
        if ctx.kind(table, name) in (Kind.KEY, Kind.OTHER):
            continue
        current: Scalar = node.this if node.is_string else float(node.this)
        found.append((index, table, name, current))
    return found


def propose_swaps(view: QueryView, ctx: EvolveContext, rng: random.Random) -> Iterator[Evolution]:
    targets = _swappable(view, ctx)
    rng.shuffle(targets)
    for index, table, name, current in targets:
        if ctx.kind(table, name) is Kind.TEXT and not ctx.categorical(table, name):
            continue
        others = [v for v in ctx.values(table, name) if v != current and str(v) != str(current)]
        rng.shuffle(others)
        for other in others[:3]:
            tree = view.tree.copy()
            node = list(tree.args["where"].find_all(exp.Literal))[index]
            node.replace(literal(other))
            change = Change(ChangeKind.SWAP_VALUE, label=name, values=(current, other))
            # Expansion is not one of the six operators; Operator.OP only types the container.
            yield Evolution(tree.sql(dialect="sqlite"), Operator.OP, change)


# Variants that passed the trial run among which the farthest is kept.
PICK_FROM = 4
# The enum lives in proto (the blueprint carries it); named here for short.
ExpandKind = ExpansionKind


def _proposals(
    kind: ExpandKind, view: QueryView, ctx: EvolveContext, rng: random.Random
) -> Iterator[Evolution]:
    if kind is ExpandKind.TABLE:
        return propose_table_swaps(view, ctx, rng)
    if kind is ExpandKind.COLUMN:
        return propose_column_swaps(view, ctx, rng)
    return propose_swaps(view, ctx, rng)


def expand_pattern(
    parent: Parent,
    rng: random.Random,
    log: EvolveLog,
    reword: Reword = Reword.REALIZED,
    first: ExpandKind | None = None,
) -> tuple[ExpandKind, Draft] | None:
    """One variant of an accepted sample's pattern along the schema (tables, then columns, then
    values: the order SQL-Factory's expansion moves away from its seed; from `first` on, then
    round, when a seed is expanded again), through the trial run: the first kind with a
    passing variant gives it. None when no variant passes (the caller rejects the sample)."""
    trial = open_trial(parent, log)
    if trial is None:
        return None
    view, ctx, before = trial.view, trial.ctx, trial.before
    with ctx:
        passed: list[tuple[ExpandKind, Draft]] = []
        kinds = list(ExpandKind)
        if first is not None:
            start = kinds.index(first)
            kinds = kinds[start:] + kinds[:start]
        for kind in kinds:
            for candidate in islice(_proposals(kind, view, ctx, rng), MAX_TRIES):
                if not makes_sense(parent.draft.sql, candidate.sql, ctx):
                    log.dropped["expansion_out_of_role"] += 1
                    continue
                draft = check_candidate(
                    parent, candidate, ctx, before, rng, log, reword, None, trial.warnings
                )
                if draft is not None:
                    passed.append((kind, draft))
                if len(passed) >= PICK_FROM:
                    break
            if passed:
                break  # the first kind that yields is the variant's kind: a later one is not
    if not passed:
        return None
    # The variant whose question shares the fewest words with the parent's: SQL-Factory keeps
    # only novel expansions (§4.1.2), and the dedup service would refuse a near-copy anyway.
    return min(passed, key=lambda found: word_overlap(parent.draft.question, found[1].question))


def has_variants(parent: Parent, tries: int = 8) -> bool:
    """Whether the pattern offers a variant worth trying: one of its first `tries` proposals
    keeps the roles of the parent's columns. Session 11's run: 9 of 24 expansions rejected at
    the generator had no variant to try at all; such a seed only costs a planned sample."""
    trial = open_trial(parent, EvolveLog())
    if trial is None:
        return False
    with trial.ctx:
        rng = random.Random(0)
        return any(
            makes_sense(parent.draft.sql, candidate.sql, trial.ctx)
            for kind in ExpandKind
            for candidate in islice(_proposals(kind, trial.view, trial.ctx, rng), tries)
        )


def word_overlap(a: str, b: str) -> float:
    """Jaccard overlap of the two texts' lowercased word sets."""
    left, right = set(re.findall(r"\w+", a.lower())), set(re.findall(r"\w+", b.lower()))
    return len(left & right) / len(left | right) if left | right else 1.0


def expand_parent(
    parent: Parent, variants: int, rng: random.Random, log: EvolveLog
) -> list[EvolvedDraft]:
    """Up to `variants` value variants of one parent, each through the trial run."""
    trial = open_trial(parent, log)
    if trial is None:
        return []
    view, ctx, before = trial.view, trial.ctx, trial.before
    out: list[EvolvedDraft] = []
    with ctx:
        swaps = islice(propose_swaps(view, ctx, rng), MAX_TRIES * variants)
        for n, candidate in enumerate(swaps):
            draft = check_candidate(
                parent, candidate, ctx, before, rng, log, allowed_warnings=trial.warnings
            )
            if draft is None:
                continue
            blueprint = parent.blueprint.model_copy(
                update={"parent_id": parent.id, "seed_id": parent.id, "seed_mode": SeedMode.EXPAND}
            )
            out.append(EvolvedDraft(f"{parent.id}~x{n}", parent, candidate, draft, blueprint))
            if len(out) >= variants:
                break
    return out
