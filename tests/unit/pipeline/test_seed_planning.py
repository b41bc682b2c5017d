"""Planning from seeds (SQL-Factory): expansion over the seeds' schemas, back-translation of
question-less seeds with an LLM engine, least-used seeds first, idempotent replanning."""

from __future__ import annotations

import asyncio
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from proto import RunRequest
from proto.common import SeedMode
from proto.seed import SeedEvent
from shared.ingest.run_seeds import load_run_seeds
from shared.pipeline.planner import RunPlanner, new_plan
from shared.pipeline.seed_plan import (
    schema_tables,
    seed_domain,
    template_reach,
    usable,
    usable_by,
)

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"


@cache
def seeds_of(name: str) -> tuple[SeedEvent, ...]:
    return tuple(asyncio.run(load_run_seeds(DATA / name, "pool")).seeds)


def seeded_planner(seeds: tuple[SeedEvent, ...], count: int, **overrides: object) -> RunPlanner:
    values: dict[str, object] = {
        "run_id": "r",
        "count": count,
        "max_in_flight": count,
        "seed": 11,
        "seed_pool": "pool",
        "seed_count": len(seeds),
    }
    request = RunRequest.model_validate({**values, **overrides})
    plan = new_plan(request)
    good = {s.seed_id: s for s in seeds if usable_by(s, request.generator)}
    plan.seed_ids = sorted(good)
    return RunPlanner(plan, good)


def test_template_runs_expand_every_seed_before_reusing_one() -> None:
    seeds = seeds_of("spider/dev.json")
    planner = seeded_planner(seeds, count=len(seeds) + 40)
    blueprints = [e.envelope.blueprint for e in planner.advance(None)]
    assert {b.seed_mode for b in blueprints} == {SeedMode.EXPAND}
    by_id = {s.seed_id: s for s in seeds}
    for blueprint in blueprints:
        seed = by_id[blueprint.seed_id or ""]
        assert blueprint.seed_schema == seed.schema_ddl and blueprint.seed_sql == seed.sql
        assert blueprint.domain == seed_domain(seed) == f"seed_{seed.db_id}"
        # No more tables than the template engine can link by foreign keys on that schema.
        reach = template_reach(seed.schema_ddl or "", tuple(blueprint.seed_examples))
        assert 1 <= blueprint.num_tables <= reach <= schema_tables(seed.schema_ddl or "")
        assert (blueprint.join_kind is None) == (blueprint.num_tables == 1)
    # Samples on one schema share its examples (so one domain and one fixture serve them all).
    examples: dict[str, set[tuple[str, ...]]] = {}
    for blueprint in blueprints:
        examples.setdefault(blueprint.seed_schema or "", set()).add(tuple(blueprint.seed_examples))
    assert all(len(shared) == 1 for shared in examples.values())
    assert len(examples) == len({s.schema_ddl for s in seeds})
    uses = Counter(b.seed_id for b in blueprints)
    assert len(uses) == len(seeds) and max(uses.values()) - min(uses.values()) <= 1
    # The rest of each blueprint is the spec's: styles and complexities still vary.
    assert len({b.prompt_style for b in blueprints}) == 6
    assert len({b.complexity for b in blueprints}) == 3


def test_llm_runs_back_translate_a_share_of_question_less_seeds_once_each() -> None:
    seeds = seeds_of("querylogs/googleplus_queries.csv")
    assert all(s.question is None for s in seeds)
    planner = seeded_planner(seeds, count=3 * len(seeds), generator="claude")
    blueprints = [e.envelope.blueprint for e in planner.advance(None)]
    kept = [b for b in blueprints if b.seed_mode is SeedMode.BACK_TRANSLATE]
    usable_count = sum(usable(s) for s in seeds)
    assert 0.1 * usable_count <= len(kept) <= 0.4 * usable_count  # share 0.25
    assert len({b.seed_id for b in kept}) == len(kept)  # never the same SQL twice
    again = seeded_planner(seeds, count=3 * len(seeds), generator="claude").advance(None)
    assert [e.envelope.blueprint for e in again] == blueprints


def test_seeds_with_questions_are_only_expanded() -> None:
    seeds = seeds_of("spider/dev.json")
    planner = seeded_planner(seeds[:50], count=100, generator="claude", back_translate_share=1.0)
    modes = {e.envelope.blueprint.seed_mode for e in planner.advance(None)}
    assert modes == {SeedMode.EXPAND}


def test_a_run_waiting_for_its_seeds_plans_nothing_and_is_not_done() -> None:
    plan = new_plan(RunRequest(run_id="r", count=5, seed_pool="pool", seed_count=3))
    plan.waiting_for_seeds = True
    planner = RunPlanner(plan)
    assert planner.advance(None) == [] and not plan.done


def test_a_pool_without_usable_seeds_ends_the_run() -> None:
    plan = new_plan(RunRequest(run_id="r", count=5, seed_pool="pool", seed_count=3))
    plan.problems.append("no usable seed in pool 'pool'")
    planner = RunPlanner(plan)
    assert planner.advance(None) == [] and plan.done


@pytest.mark.parametrize("ddl", ["", "SELECT 1", "CREATE VIEW v AS SELECT 1"])
def test_seeds_without_a_table_are_not_usable(ddl: str) -> None:
    seed = SeedEvent(seed_id="x", sql="SELECT 1", source="t", schema_ddl=ddl or None)
    assert not usable(seed)


def test_template_reach_is_the_largest_group_linked_by_foreign_keys() -> None:
    linked = (
        "CREATE TABLE a (id INTEGER PRIMARY KEY, name TEXT);"
        "CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a(id), v INTEGER);"
        "CREATE TABLE c (id INTEGER PRIMARY KEY, b_id INTEGER REFERENCES b(id), w INTEGER);"
        "CREATE TABLE lone (id INTEGER PRIMARY KEY, note TEXT);"
    )
    assert template_reach(linked, ("SELECT name FROM a",)) == 3
    assert template_reach("not ddl at all", ("SELECT 1",)) == 0
    seed = SeedEvent(seed_id="x", sql="SELECT 1", source="t", schema_ddl="garbage; CREATE TABLE")
    assert not usable_by(seed, "template")
