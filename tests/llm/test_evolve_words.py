"""The LLM path of evolution against the fake Messages API (real SDK, real client, limiter and
ledger): the evolved question rewritten by the model, the operators scored by it, and every way
its answer can be unusable ending as the offline wording (or the programmatic feasibility) with
the reason, the calls' cost accounted either way."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from proto import subjects
from proto.common import SeedMode
from proto.sample import SampleEnvelope, TokenCost
from shared.evolution.direction import DirectionConfig, OperatorTally
from shared.evolution.evolve import EvolvedDraft, EvolveLog, open_trial
from shared.evolution.model import Operator
from shared.evolution.model_words import WORDING_PROPERTY, ModelEvolution
from shared.evolution.operators import score_feasibility
from shared.evolution.parents import Parent, parent_from_record
from shared.evolution.plan_evolve import choose_operator
from shared.evolution.rounds import draft_emits
from shared.evolution.step import evolve_parent
from shared.generation.claude.engine import ClaudeDraftEngine
from shared.llm.client import LlmClient
from shared.pipeline.generate import GeneratorStage
from tests.conftest import FIXTURES
from tests.fakes.llm import FakeAnthropic, FakeConfig, ModelTurn
from tests.fakes.scripted import ScriptedModel
from tests.llm.conftest import make_settings

RECORDS = FIXTURES / "evolution" / "parents.jsonl"


def load_parents(n: int = 6) -> list[Parent]:
    parents = []
    for line in RECORDS.read_text().splitlines():
        parent = parent_from_record(json.loads(line))
        if isinstance(parent, Parent):
            parents.append(parent)
    return parents[:n]


def evolve_some(parents: list[Parent], n: int = 4) -> list[EvolvedDraft]:
    rng, tally, log = random.Random(3), OperatorTally(), EvolveLog()
    out: list[EvolvedDraft] = []
    for parent in parents:
        out += evolve_parent(parent, tally, DirectionConfig(top_k=1), rng, log)
        if len(out) >= n:
            break
    assert out, log
    return out[:n]


def answered(fake: FakeAnthropic) -> int:
    return sum(1 for c in fake.calls if c.status == 200 and c.path == "/v1/messages")


@pytest.fixture
def parents() -> list[Parent]:
    return load_parents()


async def test_the_model_rewrites_the_evolved_question(
    fake: FakeAnthropic, scripted: ScriptedModel, parents: list[Parent]
) -> None:
    client = LlmClient(make_settings(fake))
    model = ModelEvolution(client)
    try:
        drafts = evolve_some(parents)
        worded = [await model.reword(d) for d in drafts]
    finally:
        await client.aclose()
    assert all(w.by_model for w in worded), [w.note for w in worded]
    for w, before in zip(worded, drafts, strict=True):
        draft = w.evolved.draft
        assert draft.question in scripted.evolved_questions
        assert draft.question != before.draft.question
        assert draft.sql == before.draft.sql  # the words change, never the checked SQL
        assert w.evolved.blueprint.properties[WORDING_PROPERTY] == "claude"
        assert w.evolved.blueprint.parent_id == before.blueprint.parent_id
        assert w.evolved.blueprint.evolution == before.blueprint.evolution
        assert w.cost.calls == 1 and w.cost.usd > 0
        assert draft.reasoning and draft.reasoning.startswith("question by claude:")
    # What the samples carry is what the ledger and the server counted: every call accepted.
    total = TokenCost()
    for w in worded:
        total = total.add(w.cost)
    assert total.calls == client.ledger.total.calls == answered(fake) == len(drafts)
    assert abs(total.usd - client.ledger.by_purpose["evolve_question"].usd) < 1e-12
    assert not fake.state.violations  # the requests keep the documented API rules
    body = fake.calls[0].body
    assert body is not None and body["tool_choice"]["name"] == "submit_evolved_question"
    text = body["messages"][0]["content"][0]["text"]
    assert "<evolved_sql>" in text and drafts[0].evolution.sql in text


@pytest.mark.parametrize("answer_retries", [0])
async def test_refused_and_malformed_answers_keep_the_offline_wording(
    parents: list[Parent], answer_retries: int
) -> None:
    drafts = evolve_some(parents, 2)
    # Refuses everything: the offline question stays, the refused call is still paid for.
    with FakeAnthropic(ScriptedModel(evolve_refusal_rate=1.0), FakeConfig()) as fake:
        client = LlmClient(make_settings(fake))
        try:
            refused = await ModelEvolution(client).reword(drafts[0])
        finally:
            await client.aclose()
    assert not refused.by_model and "refused" in refused.note
    assert refused.evolved.draft.question == drafts[0].draft.question
    assert refused.evolved.draft.reasoning == refused.note
    assert refused.cost.calls == 1 and refused.cost.usd > 0
    # Breaks the schema of its answer, with no re-ask allowed: MalformedOutput, offline words.
    with FakeAnthropic(ScriptedModel(malformed_rate=1.0), FakeConfig()) as fake:
        client = LlmClient(make_settings(fake, answer_retries=answer_retries))
        try:
            broken = await ModelEvolution(client).reword(drafts[1])
        finally:
            await client.aclose()
    assert not broken.by_model and "MalformedOutput" in broken.note
    assert broken.evolved.draft.question == drafts[1].draft.question
    assert broken.cost.calls == 1


async def test_a_question_failing_the_sense_checks_is_not_used(parents: list[Parent]) -> None:
    """A question that says a value the SQL does not hold (the sense check's error) gives way
    to the offline question that passed the trial run."""

    def vague(body: dict[str, Any]) -> ModelTurn:
        answer = {
            "reasoning": "r",
            "question": "Which rows have the code 'ZZ-999' and the date 1999-01-01?",
            "explanation": "e",
        }
        block = {"type": "tool_use", "id": "t1", "name": "submit_evolved_question", "input": answer}
        return ModelTurn([block], "tool_use")

    drafts = evolve_some(parents, 1)
    with FakeAnthropic(vague, FakeConfig()) as fake:
        client = LlmClient(make_settings(fake))
        try:
            worded = await ModelEvolution(client).reword(drafts[0])
        finally:
            await client.aclose()
    assert not worded.by_model and "sense check" in worded.note, worded.note
    assert worded.evolved.draft.question == drafts[0].draft.question
    assert worded.cost.calls == 1


async def test_the_strategy_model_scores_where_operators_can_apply(
    fake: FakeAnthropic, parents: list[Parent]
) -> None:
    client = LlmClient(make_settings(fake))
    model = ModelEvolution(client, score=True)
    try:
        scored = await model.score(parents[0])
        log, tally = EvolveLog(), OperatorTally()
        # The trial run's warning gate off: with it this parent gives no evolution, and this
        # test is about the model's wiring, not the gate (tests/unit/evolution/test_sense_parity).
        config = DirectionConfig(no_new_warnings=False)
        emits = await draft_emits(parents[1], tally, config, random.Random(1), log, "r", [], model)
    finally:
        await client.aclose()
    assert scored.scores is not None and set(scored.scores) == set(Operator)
    assert all(0.0 <= s <= 1.0 for s in scored.scores.values()) and scored.cost.calls == 1
    # A parent through the rounds' helper: scored by the model, each evolution worded by it;
    # the scoring call is billed on the first evolved sample, each rewrite on its own.
    assert log.scored["model"] == 1 and emits
    assert log.worded["claude"] == len(emits)
    costs = [e.envelope.cost.calls for e in emits]
    assert costs[0] == 2 and all(c == 1 for c in costs[1:])
    assert sum(costs) + scored.cost.calls == client.ledger.total.calls
    for emit in emits:
        assert "question by claude" in (emit.envelope.history[-1].reason or "")
        assert emit.envelope.blueprint.parent_id == parents[1].id


def test_model_scores_only_reach_operators_the_tree_allows(parents: list[Parent]) -> None:
    """The model's score replaces the programmatic one only where a transform can apply: an
    operator the tree cannot take stays at 0 whatever the model says."""
    parent = parents[0]
    log = EvolveLog()
    trial = open_trial(parent, log)
    assert trial is not None
    with trial.ctx:
        programmatic = score_feasibility(trial.view, trial.ctx)
    impossible = [op for op, s in programmatic.items() if s == 0.0]
    everything = {op: 1.0 for op in Operator}
    drafted = evolve_parent(
        parent,
        OperatorTally(),
        DirectionConfig(top_k=6),
        random.Random(0),
        log,
        everything,
    )
    assert not {d.evolution.operator for d in drafted} & set(impossible)
    # A model that scores every operator 0 leaves nothing to choose.
    nothing = {op: 0.0 for op in Operator}
    config = DirectionConfig()
    assert evolve_parent(parent, OperatorTally(), config, random.Random(0), log, nothing) == []


async def test_the_generator_stage_words_planned_evolutions_with_its_llm(
    engine: ClaudeDraftEngine, scripted: ScriptedModel, parents: list[Parent]
) -> None:
    """`--evolve-share` on a Claude run: the generator applies the planner's operator and the
    run's engine rewrites the question; the call's cost is on the sample."""
    stage = GeneratorStage(engine)
    drafted = []
    for i, parent in enumerate(parents):
        op = choose_operator(parent.draft, {})
        if op is None:  # no operator applies to this parent's tree
            continue
        blueprint = parent.blueprint.model_copy(
            update={
                "seed_mode": SeedMode.EVOLVE,
                "parent_id": parent.id,
                "evolution": [*parent.blueprint.evolution, op],
            }
        )
        envelope = SampleEnvelope(
            run_id="r", sample_id=f"s{i}", max_attempts=1, blueprint=blueprint, draft=parent.draft
        )
        [emit] = await stage(envelope)
        if emit.subject == subjects.SAMPLE_DRAFTED:
            drafted.append(emit.envelope)
        else:  # no candidate passed the trial run: rejected with why, no call made
            assert "passed the trial run" in (emit.envelope.history[-1].reason or "")
            assert emit.envelope.cost.calls == 0
    assert drafted
    for env in drafted:
        assert env.draft is not None and env.draft.question in scripted.evolved_questions
        assert env.draft.engine == "evolver" and env.cost.calls == 1 and env.cost.usd > 0
        assert env.blueprint.properties[WORDING_PROPERTY] == "claude"
        assert "question by claude" in (env.history[-1].reason or "")
