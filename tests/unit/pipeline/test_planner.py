from __future__ import annotations

from proto import RunRequest, RunStatus
from proto.common import Outcome
from shared.pipeline.planner import MAX_PLANNED_FACTOR, RunPlanner, new_plan


def request(count: int = 10, window: int = 4) -> RunRequest:
    return RunRequest(run_id="r", count=count, max_in_flight=window, seed=5)


def status(accepted: int = 0, duplicate: int = 0, rejected: int = 0) -> RunStatus:
    return RunStatus(
        run_id="r", target=10, accepted=accepted, duplicate=duplicate, rejected=rejected
    )


def test_plans_up_to_the_window_then_follows_progress() -> None:
    planner = RunPlanner(new_plan(request()))
    first = planner.advance(None)
    assert [e.envelope.sample_id for e in first] == [f"r-{i:07d}" for i in range(4)]
    assert all(e.outcome is Outcome.PLANNED for e in first)
    assert planner.advance(status(accepted=2)) and planner.plan.planned == 6
    assert not planner.plan.done


def test_replaces_duplicates_and_rejections_until_target() -> None:
    planner = RunPlanner(new_plan(request(count=3, window=100)))
    assert len(planner.advance(None)) == 3
    # one duplicate and one rejected: two replacements, and the run is not done yet
    assert len(planner.advance(status(accepted=1, duplicate=1, rejected=1))) == 2
    assert planner.plan.planned == 5
    planner.advance(status(accepted=3, duplicate=1, rejected=1))
    assert planner.plan.done and not planner.plan.exhausted


def test_same_index_same_blueprint_so_replanning_is_idempotent() -> None:
    a = RunPlanner(new_plan(request())).advance(None)
    b = RunPlanner(new_plan(request())).advance(None)
    assert [e.envelope.blueprint for e in a] == [e.envelope.blueprint for e in b]
    assert len({e.envelope.blueprint.model_dump_json() for e in a}) > 1  # not one blueprint


def test_runaway_guard_stops_planning_and_ends_the_run() -> None:
    planner = RunPlanner(new_plan(request(count=1, window=10_000)))
    limit = planner.plan.max_planned
    assert limit == 1 * MAX_PLANNED_FACTOR + 100
    planner.advance(None)
    planner.advance(status(rejected=10_000))
    assert planner.plan.planned == limit
    planner.advance(status(rejected=limit))
    assert planner.plan.exhausted and planner.plan.done


def test_anchors_spread_over_the_least_covered_tables() -> None:
    planner = RunPlanner(new_plan(request(count=600, window=600)))
    emits = planner.advance(None)
    anchored = [e.envelope.blueprint for e in emits if e.envelope.blueprint.tables]
    joined = [e.envelope.blueprint for e in emits if e.envelope.blueprint.num_tables > 1]
    assert len(anchored) == len(joined) > 300  # every joined template blueprint is anchored
    by_domain: dict[str, list[int]] = {}
    for key, count in planner.plan.coverage.items():
        by_domain.setdefault(key.split(".")[0], []).append(count)
    # Least-covered first: within a domain no table anchors two samples more than another.
    spreads = [max(c) - min(c) for c in by_domain.values()]
    assert spreads and max(spreads) <= 1, planner.plan.coverage
    assert sum(planner.plan.coverage.values()) == len(joined)


def test_no_anchor_for_llm_generated_schemas() -> None:
    plan = new_plan(RunRequest(run_id="r", count=5, generator="claude"))
    emits = RunPlanner(plan).advance(None)
    assert all(not e.envelope.blueprint.tables for e in emits)
    assert plan.coverage == {}


def test_a_reached_budget_stops_planning_and_the_run_ends_when_in_flight_finish() -> None:
    from shared.pipeline.budget import Spent

    request = RunRequest(run_id="b", count=10, max_in_flight=3, budget_usd=0.5, budget_tokens=900)
    planner = RunPlanner(new_plan(request))
    assert len(planner.advance(None, Spent(0.1, 100))) == 3
    assert planner.plan.budget_reasons == []
    status = RunStatus(run_id="b", target=10, planned=3, accepted=1)
    assert planner.advance(status, Spent(0.2, 900)) == []  # the token budget is reached
    assert planner.plan.budget_reasons == ["spent 900 of the 900 token budget"]
    assert not planner.plan.done  # two samples still in flight
    done = RunStatus(run_id="b", target=10, planned=3, accepted=2, rejected=1)
    assert planner.advance(done, Spent(0.6, 950)) == [] and planner.plan.done
    assert not planner.plan.exhausted
    assert planner.plan.budget_reasons == ["spent 900 of the 900 token budget"]  # the first cause
