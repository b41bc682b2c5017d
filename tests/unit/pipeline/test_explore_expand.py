"""The explore-expand planner (SQL-Factory §4.1.1/§4.3) and the generator's expansion path, pure:
rounds wait for the sink's verdicts, expansion starts after the exploring rounds with promising
accepted samples as seeds, and falls back to exploring when a round's evaluation trips."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from dataclasses import replace

from proto import RunRequest, RunStatus, subjects
from proto.common import ExpansionKind, SeedMode
from proto.run import GrowthMode
from proto.sample import SampleEnvelope
from shared.evolution.evolve import EvolveLog
from shared.evolution.expand import expand_pattern, has_variants
from shared.evolution.parents import Parent, parent_from_record
from shared.pipeline.emit import Emit
from shared.pipeline.generate import GeneratorStage
from shared.pipeline.planner import RunPlanner, new_plan
from shared.pipeline.template_adapter import TemplateDraftEngine
from shared.sql.features import analyze_query
from tests.unit.evolution.test_operators import load_records

PARENTS = [p for r in load_records() if isinstance(p := parent_from_record(r), Parent)]


def planner(count: int = 20, size: int = 4, ratio: float = 0.5) -> RunPlanner:
    request = RunRequest(
        run_id="r", count=count, seed=3, expand_ratio=ratio, round_size=size, max_in_flight=64
    )
    return RunPlanner(new_plan(request))


def status(accepted: int, duplicate: int = 0, rejected: int = 0) -> RunStatus:
    return RunStatus(
        run_id="r", target=20, accepted=accepted, duplicate=duplicate, rejected=rejected
    )


def accept(runner: RunPlanner, emits: list[Emit], first: int) -> None:
    """Every planned sample accepted, with a real template record's draft as what was written."""
    for n, emit in enumerate(emits):
        parent = PARENTS[(first + n) % len(PARENTS)]
        envelope = emit.envelope.model_copy(deep=True)
        if envelope.draft is None:
            envelope.blueprint = parent.blueprint
            envelope.draft = parent.draft
        runner.observe_accepted(envelope)


def test_rounds_wait_for_the_sink_then_expand_after_two_exploring_rounds() -> None:
    runner = planner()
    first = runner.advance(None)
    assert len(first) == 4 and all(e.envelope.draft is None for e in first)
    accept(runner, first, 0)
    assert runner.advance(status(accepted=3)) == []  # one sample still in flight
    second = runner.advance(status(accepted=4))
    assert len(second) == 4 and runner.plan.planned == 8
    accept(runner, second, 4)
    third = runner.advance(status(accepted=8))
    growth = runner.plan.growth
    assert growth is not None
    assert [r.mode for r in growth.rounds] == [GrowthMode.EXPLORE] * 2 + [GrowthMode.EXPAND]
    expansions = [e.envelope for e in third if e.envelope.blueprint.seed_mode is SeedMode.PATTERN]
    assert len(expansions) == 2  # half of the round (expand_ratio 0.5)
    for envelope in expansions:
        assert envelope.draft is not None and envelope.max_attempts == 1
        assert envelope.blueprint.parent_id in {e.envelope.sample_id for e in first + second}
    assert len(set(growth.used)) == 2
    assert growth.rounds[0].closed and growth.rounds[0].accepted == 4
    assert growth.rounds[1].decision.startswith("2 exploring rounds")


def test_a_failing_expanding_round_sends_the_next_one_back_to_exploring() -> None:
    runner = planner()
    for done in (0, 4):
        emits = runner.advance(status(accepted=done) if done else None)
        accept(runner, emits, done)
    runner.advance(status(accepted=8))  # the expanding round
    # Half of it rejected: pass rate 0.5 < 0.7.
    nxt = runner.advance(status(accepted=10, rejected=2))
    growth = runner.plan.growth
    assert growth is not None and growth.rounds[-1].mode is GrowthMode.EXPLORE
    assert "pass rate" in growth.rounds[-2].decision
    assert all(e.envelope.blueprint.seed_mode is not SeedMode.PATTERN for e in nxt)


def test_exactly_the_target_is_planned_with_replacements() -> None:
    runner = planner(count=6, size=4)
    emits = runner.advance(None)
    accept(runner, emits, 0)
    # One duplicate: 3 accepted of 4, so 3 more wanted (2 + 1 replacement).
    assert len(runner.advance(status(accepted=3, duplicate=1))) == 3
    runner.advance(status(accepted=6, duplicate=1))
    assert runner.plan.done and runner.plan.planned == 7


def test_redelivered_acceptances_count_once() -> None:
    runner = planner()
    emits = runner.advance(None)
    accept(runner, emits, 0)
    accept(runner, emits, 0)
    growth = runner.plan.growth
    assert growth is not None and growth.rounds[0].observed == 4
    assert sum(growth.patterns.values()) == 4


def test_the_generator_expands_without_a_model_and_keeps_the_skeleton() -> None:
    stage = GeneratorStage(TemplateDraftEngine())
    kinds: set[ExpansionKind] = set()
    drafted = 0
    for n, parent in enumerate(PARENTS):
        blueprint = parent.blueprint.model_copy(
            update={"seed_mode": SeedMode.PATTERN, "parent_id": parent.id}
        )
        envelope = SampleEnvelope(
            run_id="r", sample_id=f"r-{n:07d}", blueprint=blueprint, draft=parent.draft
        )
        (out,) = asyncio.run(stage(envelope))
        if out.subject != subjects.SAMPLE_DRAFTED:
            assert out.subject == subjects.SAMPLE_REJECTED
            assert "no variant" in (out.envelope.history[-1].reason or "")
            continue
        drafted += 1
        variant = out.envelope
        assert variant.draft is not None and variant.draft.engine == "expander"
        assert variant.cost.calls == 0
        assert variant.draft.sql != parent.draft.sql
        assert variant.blueprint.expansion is not None
        kinds.add(variant.blueprint.expansion)
        before = analyze_query(parent.draft.sql).features
        after = analyze_query(variant.draft.sql).features
        assert before is not None and after is not None
        # The same skeleton: clauses, joins, functions, nesting, as the pattern hash sees them.
        assert after.features == before.features and after.num_joins == before.num_joins
    assert drafted >= len(PARENTS) // 2
    assert {ExpansionKind.TABLE, ExpansionKind.COLUMN, ExpansionKind.VALUE} <= kinds


def test_the_evolver_option_plans_operators_by_scarcity_and_the_generator_applies_them() -> None:
    request = RunRequest(
        run_id="r",
        count=20,
        seed=3,
        expand_ratio=1.0,
        round_size=4,
        evolve_share=1.0,
        max_in_flight=64,
    )
    runner = RunPlanner(new_plan(request))
    for done in (0, 4):
        emits = runner.advance(status(accepted=done) if done else None)
        accept(runner, emits, done)
    planned = [e.envelope for e in runner.advance(status(accepted=8))]
    evolving = [e for e in planned if e.blueprint.seed_mode is SeedMode.EVOLVE]
    assert evolving, [e.blueprint.seed_mode for e in planned]
    growth = runner.plan.growth
    assert growth is not None and growth.rounds[-1].evolve == len(evolving)
    stage = GeneratorStage(TemplateDraftEngine())
    drafted = 0
    for envelope in evolving:
        op = envelope.blueprint.evolution[-1]
        (out,) = asyncio.run(stage(envelope.model_copy(deep=True)))
        if out.subject != subjects.SAMPLE_DRAFTED:
            assert f"no {op.value}" in (out.envelope.history[-1].reason or "")
            continue
        drafted += 1
        variant = out.envelope
        assert variant.draft is not None and variant.draft.engine == "evolver"
        assert variant.blueprint.evolution[-1] is op and variant.cost.calls == 0
        assert variant.blueprint.parent_id == envelope.blueprint.parent_id
        # Its acceptance counts toward C(φ): the next choice weighs that operator down.
        runner.observe_accepted(variant)
        assert growth.operators[op.value] >= 1
    assert drafted >= 1


def test_expansion_keeps_its_share_as_seeds_are_reused_and_refilled() -> None:
    """Session 10: each seed expanded once and used seeds kept their place in the capped pool,
    so expanding rounds shrank (24 -> 12 -> 4 -> 2). A seed now serves up to `seed_uses`
    expansions, each trying another kind of variant first, and leaves the pool used up."""
    runner = planner(count=400, size=10, ratio=0.6)
    # Only the pool is under test: every round's quality holds.
    runner.growth_config = replace(runner.growth_config, max_redundancy=2.0)
    config = runner.growth_config
    planned = accepted = 0
    expansions: list[SampleEnvelope] = []
    for _ in range(14):
        emits = runner.advance(status(accepted=accepted) if planned else None)
        accept(runner, emits, planned)
        planned += len(emits)
        accepted = planned
        expansions += [
            e.envelope for e in emits if e.envelope.blueprint.seed_mode is SeedMode.PATTERN
        ]
        growth = runner.plan.growth
        assert growth is not None
        uses = Counter(growth.used)
        assert all(uses[s.sample_id] < config.seed_uses for s in growth.pool)
    growth = runner.plan.growth
    assert growth is not None
    expanding = [r for r in growth.rounds if r.mode is GrowthMode.EXPAND]
    assert len(expanding) >= 10
    assert [r.expand for r in expanding] == [6] * len(expanding), "no round runs dry"
    by_seed: dict[str | None, list[ExpansionKind | None]] = {}
    for envelope in expansions:
        by_seed.setdefault(envelope.blueprint.parent_id, []).append(envelope.blueprint.expansion)
    reused = [kinds for kinds in by_seed.values() if len(kinds) > 1]
    assert reused, "a good seed is expanded more than once"
    assert max(len(k) for k in by_seed.values()) <= config.seed_uses
    for kinds in reused:
        assert len(set(kinds)) == len(kinds), "each use of a seed tries another kind first"


def test_a_preferred_kind_is_tried_first() -> None:
    found: dict[ExpansionKind, list[ExpansionKind]] = {}
    for first in (ExpansionKind.COLUMN, ExpansionKind.VALUE):
        for parent in PARENTS[:12]:
            made = expand_pattern(parent, random.Random(4), EvolveLog(), first=first)
            if made is not None:
                found.setdefault(first, []).append(made[0])
    for first, kinds in found.items():
        assert kinds.count(first) > len(kinds) / 2, (first, kinds)


def test_a_seed_without_a_variant_is_not_pooled() -> None:
    """Session 11's run: 9 of 24 expansions rejected at the generator had no variant to try (a
    summary CTE, a COUNT(*) over one filter): such a seed costs a planned sample for nothing."""
    runner = planner()
    emits = runner.advance(None)
    for n, parent in enumerate(PARENTS):
        envelope = emits[0].envelope.model_copy(
            deep=True, update={"sample_id": f"r-{n:07d}", "draft": parent.draft}
        )
        envelope.blueprint = parent.blueprint
        runner.observe_accepted(envelope)
    growth = runner.plan.growth
    assert growth is not None
    pooled = {s.draft.sql for s in growth.pool}
    left_out = [p for p in PARENTS if p.draft.sql not in pooled]
    assert pooled and left_out
    for parent in left_out:
        assert not has_variants(parent)
        found = expand_pattern(parent, random.Random(1), EvolveLog())
        assert found is None, parent.draft.sql
