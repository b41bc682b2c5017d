"""Rounds of evolution (Algorithm 1): each round evolves the previous round's accepted samples
(the first round: the run's accepted records), sends every evolved draft through the pipeline's
own stages from `sample.drafted` (three engines, sense checks, review, dedup), and counts
C(φ) over the evolutions the pipeline accepted."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from proto import subjects
from proto.common import Engine, Outcome, Stage
from proto.sample import SampleEnvelope, TokenCost
from shared.evolution.direction import DirectionConfig, OperatorTally
from shared.evolution.evolve import EvolvedDraft, EvolveLog
from shared.evolution.model import Operator
from shared.evolution.model_words import ModelEvolution
from shared.evolution.parents import Parent, parent_from_record
from shared.evolution.step import evolve_parent
from shared.pipeline.emit import Emit

# The stages from sample.drafted to a final subject (a PipelineDriver's `run`).
Check = Callable[[Sequence[Emit]], Awaitable[list[Emit]]]


@dataclass
class RoundResult:
    round: int
    parents: int
    drafted: int
    final: list[Emit] = field(default_factory=list)
    log: EvolveLog = field(default_factory=EvolveLog)

    def by_subject(self, subject: str) -> list[SampleEnvelope]:
        return [e.envelope for e in self.final if e.subject == subject]

    @property
    def accepted(self) -> list[SampleEnvelope]:
        return self.by_subject(subjects.SAMPLE_ACCEPTED)

    def operators(self, subject: str = subjects.SAMPLE_ACCEPTED) -> Counter[Operator]:
        return Counter(env.blueprint.evolution[-1] for env in self.by_subject(subject))


def envelope_of(
    evolved: EvolvedDraft,
    run_id: str,
    engines: Sequence[Engine],
    cost: TokenCost | None = None,
    note: str = "",
) -> SampleEnvelope:
    """One attempt only: the reviser's repair regenerates a draft from its plan, which for an
    evolved sample would be an unrelated query; a failing evolution is rejected with its reason
    (the other chosen operators are this parent's other chances)."""
    envelope = SampleEnvelope(
        run_id=run_id,
        sample_id=evolved.sample_id,
        max_attempts=1,
        engines=list(engines),
        blueprint=evolved.blueprint,
        draft=evolved.draft,
        cost=cost or TokenCost(),
    )
    chain = " > ".join(op.value for op in evolved.blueprint.evolution)
    said = f"; {note}" if note else ""
    return envelope.record(
        Stage.GENERATOR, Outcome.DRAFTED, f"evolved from {evolved.parent.id}: {chain}{said}"
    )


async def draft_emits(
    parent: Parent,
    tally: OperatorTally,
    config: DirectionConfig,
    rng: random.Random,
    log: EvolveLog,
    run_id: str,
    engines: Sequence[Engine],
    model: ModelEvolution | None = None,
    relatives: Sequence[tuple[str, str]] = (),
) -> list[Emit]:
    """One parent's evolved drafts as `sample.drafted` emits: with a model, its feasibility
    scores choose the operators and its words replace the offline question (each call's cost on
    the sample it served; a parent's scoring call on its first evolved sample)."""
    scores = None
    pending = TokenCost()
    if model is not None and model.score_operators:
        scored = await model.score(parent)
        scores, pending = scored.scores, scored.cost
        log.scored["model" if scores is not None else "programmatic_fallback"] += 1
    emits: list[Emit] = []
    for evolved in evolve_parent(parent, tally, config, rng, log, scores, relatives):
        # Counted as soon as the trial run passes (Algorithm 1 line 23), so the next parent's
        # choice already sees it; taken back by the caller if the pipeline refuses it.
        for op in evolved.operators:
            tally.add(op)
        cost, note = pending, ""
        if model is not None:
            worded = await model.reword(evolved)
            evolved, cost, note = worded.evolved, cost.add(worded.cost), worded.note
            log.worded[model.client.engine_name if worded.by_model else "offline_fallback"] += 1
        pending = TokenCost()
        envelope = envelope_of(evolved, run_id, engines, cost, note)
        emits.append(Emit(subjects.SAMPLE_DRAFTED, envelope, Outcome.DRAFTED))
    log.unbilled = log.unbilled.add(pending)
    return emits


def parents_of(records: Iterable[Mapping[str, Any]], log: EvolveLog) -> list[Parent]:
    parents: list[Parent] = []
    for record in records:
        parent = parent_from_record(record)
        if isinstance(parent, Parent):
            parents.append(parent)
        else:
            log.skipped[parent.value] += 1
    return parents


def parent_of_envelope(envelope: SampleEnvelope) -> Parent:
    assert envelope.draft is not None, "accepted samples carry a draft"
    return Parent(id=envelope.sample_id, draft=envelope.draft, blueprint=envelope.blueprint)


def step_operators(envelope: SampleEnvelope, lineage: Mapping[str, int]) -> list[Operator]:
    """The operators of this round's step (one, or two composed): the blueprint's chain past
    its parent's (`lineage`: parent id -> the length of the parent's chain)."""
    chain = envelope.blueprint.evolution
    start = lineage.get(envelope.blueprint.parent_id or "", len(chain) - 1)
    return list(chain[start:])


async def evolve_rounds(
    records: Iterable[Mapping[str, Any]],
    check: Check,
    *,
    run_id: str,
    engines: Sequence[Engine],
    config: DirectionConfig,
    seed: int = 0,
    on_round: Callable[[RoundResult], None] | None = None,
    model: ModelEvolution | None = None,
) -> list[RoundResult]:
    rng = random.Random(seed)
    tally = OperatorTally()
    first_log = EvolveLog()
    parents = parents_of(records, first_log)
    results: list[RoundResult] = []
    # Each first-generation record's family: (question, sql) of it and of every evolution of
    # it drafted so far, which the near-duplicate search compares a new evolution with.
    root_of = {parent.id: parent.id for parent in parents}
    kin: dict[str, list[tuple[str, str]]] = {
        parent.id: [(parent.draft.question, parent.draft.sql)] for parent in parents
    }
    for number in range(1, config.rounds + 1):
        result = RoundResult(number, len(parents), 0, log=first_log if number == 1 else EvolveLog())
        emits: list[Emit] = []
        for parent in parents:
            root = root_of.get(parent.id, parent.id)
            family = kin.setdefault(root, [])
            drafted = await draft_emits(
                parent, tally, config, rng, result.log, run_id, engines, model, family
            )
            for emit in drafted:
                draft = emit.envelope.draft
                assert draft is not None, "an evolved draft carries its draft"
                root_of[emit.envelope.sample_id] = root
                family.append((draft.question, draft.sql))
            emits += drafted
        result.drafted = len(emits)
        result.final = await check(emits)
        lineage = {parent.id: len(parent.blueprint.evolution) for parent in parents}
        for emit in result.final:
            if emit.subject != subjects.SAMPLE_ACCEPTED:
                for op in step_operators(emit.envelope, lineage):
                    tally.counts[op] -= 1
        results.append(result)
        if on_round is not None:
            on_round(result)
        parents = [parent_of_envelope(env) for env in result.accepted]
        if not parents:
            break
    return results
