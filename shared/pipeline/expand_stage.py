"""The generator's expansion path (SQL-Factory §4.3.2): a planned envelope in PATTERN mode
carries an accepted sample's draft; it becomes a variant of the same skeleton on another table,
column or value of its schema, with no model call (so no token cost)."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from proto import subjects
from proto.common import Outcome, Stage
from proto.sample import ErrorClass, SampleEnvelope
from shared.evolution.evolve import EvolveLog
from shared.evolution.expand import expand_pattern
from shared.evolution.parents import Parent
from shared.evolution.plan_evolve import apply_operator
from shared.pipeline.emit import Emit, reject, sample_seed
from shared.sql.features import analyze_query

if TYPE_CHECKING:  # the Claude SDK behind it costs seconds; only a Claude run passes one
    from shared.evolution.model_words import ModelEvolution

ENGINE_NAME = "expander"
EVOLVER_NAME = "evolver"


def expand_envelope(envelope: SampleEnvelope) -> list[Emit]:
    """The drafted variant, or the sample rejected with why no variant passed the trial run."""
    if envelope.draft is None or envelope.blueprint.parent_id is None:
        reason = "an expansion needs the accepted sample's draft and id"
        return [reject(envelope, Stage.GENERATOR, reason, ErrorClass.GENERATION)]
    parent = Parent(envelope.blueprint.parent_id, envelope.draft, envelope.blueprint)
    log = EvolveLog()
    rng = random.Random(sample_seed(envelope))
    # The planner's kind to try first (a seed expanded again moves another way).
    found = expand_pattern(parent, rng, log, first=envelope.blueprint.expansion)
    if found is None:
        why = ", ".join(f"{k} {n}" for k, n in (log.dropped + log.skipped).most_common(3))
        reason = f"no variant of {parent.id}'s pattern passed the trial run ({why or 'none'})"
        return [reject(envelope, Stage.GENERATOR, reason, ErrorClass.GENERATION)]
    kind, draft = found
    features = analyze_query(draft.sql).features
    updates: dict[str, object] = {"tables": [], "expansion": kind}
    if features is not None:
        # The plan of a variant is what it has: conformance then holds by construction.
        updates["num_tables"] = max(1, min(8, features.num_tables))
        updates["features"] = sorted(features.features, key=lambda f: f.value)
    envelope.blueprint = envelope.blueprint.model_copy(update=updates)
    envelope.draft = draft.model_copy(update={"engine": ENGINE_NAME})
    reason = f"engine={ENGINE_NAME} kind={kind.value} from={parent.id}"
    envelope.record(Stage.GENERATOR, Outcome.DRAFTED, reason)
    return [Emit(subjects.SAMPLE_DRAFTED, envelope, Outcome.DRAFTED)]


async def evolve_envelope(
    envelope: SampleEnvelope, model: ModelEvolution | None = None
) -> list[Emit]:
    """The planner's chosen operator (the last of `blueprint.evolution`) applied to the carried
    draft, or the sample rejected with why no candidate of it passed the trial run. With the
    run's LLM (`model`), the evolved question is rewritten by it (the offline wording stays when
    its answer is unusable, the reason in the history) and the call's cost is on the sample."""
    blueprint = envelope.blueprint
    if envelope.draft is None or blueprint.parent_id is None or not blueprint.evolution:
        reason = "an evolution needs the accepted sample's draft, id and chosen operator"
        return [reject(envelope, Stage.GENERATOR, reason, ErrorClass.GENERATION)]
    op = blueprint.evolution[-1]
    before = blueprint.model_copy(update={"evolution": blueprint.evolution[:-1]})
    parent = Parent(blueprint.parent_id, envelope.draft, before)
    log = EvolveLog()
    evolved = apply_operator(parent, op, random.Random(sample_seed(envelope)), log)
    if evolved is None:
        why = ", ".join(f"{k} {n}" for k, n in (log.dropped + log.skipped).most_common(3))
        reason = f"no {op.value} of {parent.id} passed the trial run ({why or 'none'})"
        return [reject(envelope, Stage.GENERATOR, reason, ErrorClass.GENERATION)]
    note = ""
    if model is not None:
        worded = await model.reword(evolved)
        evolved, note = worded.evolved, f" ({worded.note})"
        envelope.cost = envelope.cost.add(worded.cost)
    envelope.blueprint = evolved.blueprint
    envelope.draft = evolved.draft.model_copy(update={"engine": EVOLVER_NAME})
    reason = f"engine={EVOLVER_NAME} op={op.value}{note}"
    envelope.record(Stage.GENERATOR, Outcome.DRAFTED, reason)
    return [Emit(subjects.SAMPLE_DRAFTED, envelope, Outcome.DRAFTED)]
