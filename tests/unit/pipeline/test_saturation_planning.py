"""The planner acts on the sink's saturation signal: shift away from redundant regions and
schemas, and stop a run started with until_saturated (SQL-Factory's stopping criterion)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from proto import RunRequest, RunStatus
from proto.common import Outcome, Stage
from proto.run import Saturation, SaturationWindow
from proto.sample import DedupVerdict
from shared.pipeline.planner import RunPlanner, new_plan, region_of
from shared.pipeline.saturation import SaturationMonitor
from shared.pipeline.sink import DatasetSink
from shared.similarity.saturation import Observation, SaturationPolicy
from tests.unit.pipeline.conftest import make_envelope


def request(**overrides: object) -> RunRequest:
    values: dict[str, object] = {"run_id": "r", "count": 400, "max_in_flight": 400, "seed": 3}
    return RunRequest.model_validate({**values, **overrides})


def status_with(saturation: Saturation, accepted: int = 0, duplicate: int = 0) -> RunStatus:
    return RunStatus(
        run_id="r", target=400, accepted=accepted, duplicate=duplicate, saturation=saturation
    )


def test_redundant_domains_and_regions_are_planned_around() -> None:
    baseline = RunPlanner(new_plan(request())).advance(None)
    domains = Counter(e.envelope.blueprint.domain for e in baseline)
    busiest = [d for d, _ in domains.most_common(3)]
    region = region_of(baseline[0].envelope.blueprint)

    planner = RunPlanner(new_plan(request()))
    saturation = Saturation(redundant_schemas=busiest, redundant_regions=[region])
    shifted = planner.advance(status_with(saturation))
    assert len(shifted) == len(baseline)
    blueprints = [e.envelope.blueprint for e in shifted]
    assert not [b for b in blueprints if b.domain in busiest]
    assert not [b for b in blueprints if region_of(b) == region]
    assert planner.plan.shifted >= sum(domains[d] for d in busiest)
    # Same index, same advice: the same blueprint (replanning stays idempotent).
    again = RunPlanner(new_plan(request())).advance(status_with(saturation))
    assert [e.envelope.blueprint for e in again] == blueprints


def test_when_everything_is_redundant_the_spec_draw_is_kept() -> None:
    baseline = RunPlanner(new_plan(request(count=20))).advance(None)
    every_domain = sorted({e.envelope.blueprint.domain for e in baseline})
    planner = RunPlanner(new_plan(request(count=20)))
    emits = planner.advance(status_with(Saturation(redundant_schemas=every_domain)))
    assert len(emits) == 20  # planning goes on: a redundant plan is better than none


def test_until_saturated_stops_planning_and_ends_when_in_flight_samples_finish() -> None:
    planner = RunPlanner(new_plan(request(count=100, max_in_flight=10, until_saturated=True)))
    assert len(planner.advance(None)) == 10
    stop = Saturation(
        run=SaturationWindow(seen=40, window=40, duplicate_rate=0.8),
        stop_reasons=["duplicate rate 0.80 >= 0.70 over the last 40 samples"],
    )
    assert planner.advance(status_with(stop, accepted=2, duplicate=6)) == []
    assert planner.plan.saturated_reasons == stop.stop_reasons
    assert not planner.plan.done  # two samples still in flight
    planner.advance(status_with(stop, accepted=3, duplicate=7))
    assert planner.plan.done and not planner.plan.exhausted and planner.plan.planned == 10


def test_without_until_saturated_the_signal_only_shifts() -> None:
    planner = RunPlanner(new_plan(request(count=30, max_in_flight=10)))
    planner.advance(None)
    stop = Saturation(stop_reasons=["saturated"])
    assert planner.advance(status_with(stop, accepted=5, duplicate=5))
    assert planner.plan.saturated_reasons == [] and not planner.plan.done


def observe(monitor: SaturationMonitor, n: int, duplicate: bool, schema: str = "s") -> None:
    for _ in range(n):
        monitor.observe("r", schema, f"{schema}/t/easy", Observation(duplicate, 0.9, 0.9))


def test_monitor_marks_redundant_keys_and_the_run_stop() -> None:
    monitor = SaturationMonitor(SaturationPolicy(min_samples=10))
    observe(monitor, 9, duplicate=True)
    assert monitor.snapshot("r").redundant_schemas == []  # too few to judge
    observe(monitor, 1, duplicate=True)
    observe(monitor, 10, duplicate=False, schema="fresh")
    snap = monitor.snapshot("r")
    assert snap.redundant_schemas == ["s"] and snap.redundant_regions == ["s/t/easy"]
    assert snap.run.window == 20 and snap.run.duplicate_rate == 0.5
    assert snap.stop_reasons == []  # half the run is new: not saturated
    observe(monitor, 30, duplicate=True, schema="fresh")
    snap = monitor.snapshot("r")
    assert "fresh" in snap.redundant_schemas and snap.stop_reasons
    # A schema that recovers leaves the redundant set.
    observe(monitor, 50, duplicate=False)
    assert "s" not in monitor.snapshot("r").redundant_schemas


def test_sink_status_carries_saturation_and_rebuilds_it_after_restart(tmp_path: Path) -> None:
    sink = DatasetSink(tmp_path, saturation=SaturationMonitor(SaturationPolicy(min_samples=4)))
    sink.open()
    for i in range(6):
        dup = make_envelope(f"d{i}", question=f"q{i}")
        dup.dedup = DedupVerdict(duplicate=True, layer="question", scores={"question_cosine": 0.97})
        dup.record(Stage.DEDUP, Outcome.DUPLICATE, "near-duplicate question")
        sink.write(Outcome.DUPLICATE, dup)
    accepted = make_envelope("a0")
    accepted.record(Stage.DEDUP, Outcome.ACCEPTED)
    status = sink.write(Outcome.ACCEPTED, accepted)
    assert status is not None
    saturation = status.saturation
    assert saturation.run.window == 7 and round(saturation.run.duplicate_rate, 3) == round(6 / 7, 3)
    assert saturation.redundant_schemas == ["retail"]
    sink.close()
    again = DatasetSink(tmp_path, saturation=SaturationMonitor(SaturationPolicy(min_samples=4)))
    again.open()
    assert again.status["r1"].saturation == saturation
    again.close()
