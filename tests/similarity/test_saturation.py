"""Rolling windows and the advice the planner acts on (SQL-Factory's stopping criterion)."""

from __future__ import annotations

from shared.similarity.saturation import (
    Observation,
    RunSaturation,
    SaturationPolicy,
    SaturationTracker,
    merge_saturation,
    observation_from_scores,
    saturation_advice,
)

POLICY = SaturationPolicy(min_samples=10)


def feed(tracker: SaturationTracker, schema: str, region: str, n: int, dup_every: int) -> None:
    for i in range(n):
        duplicate = dup_every > 0 and i % dup_every == 0
        similarity = 0.97 if duplicate else 0.4
        tracker.observe("r", schema, region, Observation(duplicate, similarity, similarity))


def test_windows_roll_and_count_everything_seen() -> None:
    tracker = SaturationTracker(run_window=10, key_window=5)
    feed(tracker, "s", "g", 10, dup_every=0)
    feed(tracker, "s", "g", 10, dup_every=1)
    stats = tracker.stats("r")
    assert stats.run.seen == 20 and stats.run.window == 10
    assert stats.run.duplicate_rate == 1.0  # the old, fresh samples rolled out
    assert stats.schemas["s"].window == 5


def test_the_trend_is_positive_when_new_samples_get_closer() -> None:
    tracker = SaturationTracker()
    for i in range(20):
        tracker.observe("r", "s", "g", Observation(False, 0.3 + 0.03 * i))
    assert tracker.stats("r").run.similarity_trend > 0


def test_fresh_runs_get_no_advice() -> None:
    tracker = SaturationTracker()
    feed(tracker, "a", "g1", 40, dup_every=0)
    advice = saturation_advice(tracker.stats("r"), POLICY)
    assert not advice.stop and advice.avoid_schemas == () and advice.avoid_regions == ()


def test_a_redundant_schema_is_avoided_while_others_continue() -> None:
    tracker = SaturationTracker()
    feed(tracker, "orders", "retail/analytics/easy", 30, dup_every=1)
    feed(tracker, "flights", "travel/retrieval/hard", 30, dup_every=0)
    advice = saturation_advice(tracker.stats("r"), POLICY)
    assert advice.avoid_schemas == ("orders",)
    assert advice.avoid_regions == ("retail/analytics/easy",)
    assert not advice.stop


def test_a_run_whose_new_samples_are_mostly_redundant_stops() -> None:
    tracker = SaturationTracker()
    feed(tracker, "orders", "g", 50, dup_every=1)
    feed(tracker, "flights", "h", 50, dup_every=1)
    advice = saturation_advice(tracker.stats("r"), POLICY)
    assert advice.stop and advice.reasons
    assert set(advice.avoid_schemas) == {"orders", "flights"}


def test_rising_similarity_alone_stops_a_run() -> None:
    tracker = SaturationTracker()
    for i in range(40):
        tracker.observe("r", f"s{i % 4}", "g", Observation(False, 0.86 + 0.003 * i))
    advice = saturation_advice(tracker.stats("r"), POLICY)
    assert advice.stop and any("rising" in r for r in advice.reasons)


def test_views_of_several_replicas_merge_and_round_trip() -> None:
    one, two = SaturationTracker(), SaturationTracker()
    feed(one, "a", "g", 10, dup_every=1)
    feed(two, "b", "g", 30, dup_every=0)
    merged = merge_saturation([RunSaturation.from_json(one.stats("r").to_json()), two.stats("r")])
    assert merged is not None
    assert merged.run.seen == 40 and merged.run.duplicate_rate == 10 / 40
    assert set(merged.schemas) == {"a", "b"} and merged.regions["g"].window == 40
    assert merge_saturation([]) is None


def test_a_verdicts_scores_are_an_observation() -> None:
    near = observation_from_scores(True, {"question_cosine": 0.93, "sql_hybrid": 0.7})
    assert near == Observation(True, 0.7, 0.93)
    exact = observation_from_scores(True, {"similarity": 1.0}, has_question=False)
    assert exact == Observation(True, 1.0, None)
