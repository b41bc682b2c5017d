"""The three layers on real embeddings, and the stage's envelope bookkeeping."""

from __future__ import annotations

from proto import Outcome, subjects
from shared.pipeline.dedup import MemoryClaimStore
from shared.pipeline.near_dedup import NearDedupStage
from shared.similarity.saturation import SaturationTracker
from tests.similarity.conftest import JudgeFactory, candidate
from tests.unit.pipeline.conftest import make_envelope

PARIS = "List the names of customers from Paris."
PARIS_SQL = "SELECT name FROM customers WHERE city = 'Paris'"


async def test_the_first_sample_is_accepted_with_empty_scores(make_judge: JudgeFactory) -> None:
    judge = make_judge()
    judgement = await judge.judge(candidate("a", PARIS, PARIS_SQL))
    assert not judgement.duplicate and judgement.layer is None
    assert judgement.nearest_sample_id is None
    assert judgement.scores["question_cosine"] == 0.0


async def test_a_paraphrased_question_is_a_question_layer_duplicate(
    make_judge: JudgeFactory,
) -> None:
    judge = make_judge()
    await judge.judge(candidate("a", PARIS, PARIS_SQL))
    later = await judge.judge(
        candidate(
            "b",
            "List the names of the customers from Paris",
            "SELECT c.name FROM customers AS c WHERE c.city = 'Paris' ORDER BY c.name",
        )
    )
    assert later.duplicate and later.layer == "question"
    assert later.nearest_sample_id == "a"
    assert later.scores["question_cosine"] >= judge.question_threshold


async def test_a_literal_variant_of_the_sql_is_a_sql_layer_duplicate(
    make_judge: JudgeFactory,
) -> None:
    judge = make_judge()
    sql = "SELECT name, total FROM orders WHERE total > 100 ORDER BY total DESC"
    await judge.judge(candidate("a", "Which orders are large?", sql))
    later = await judge.judge(
        candidate("b", "Show me the biggest spenders please", sql.replace("100", "250"))
    )
    assert later.duplicate and later.layer == "sql"
    assert later.nearest_sample_id == "a"
    scores = later.scores
    assert scores["sql_hybrid"] >= judge.config.sql_threshold
    weighted = 0.6 * scores["sql_token"] + 0.3 * scores["sql_ast"] + 0.1 * scores["sql_cosine"]
    assert abs(scores["sql_hybrid"] - weighted) < 1e-5


async def test_different_samples_are_accepted_and_name_their_nearest(
    make_judge: JudgeFactory,
) -> None:
    judge = make_judge()
    await judge.judge(candidate("a", PARIS, PARIS_SQL))
    other = await judge.judge(
        candidate(
            "b",
            "What is the total revenue per product category?",
            "SELECT category, SUM(price * quantity) FROM order_items GROUP BY category",
        )
    )
    assert not other.duplicate
    assert other.nearest_sample_id == "a"
    assert 0.0 < other.scores["sql_hybrid"] < judge.config.sql_threshold


async def test_thresholds_are_configurable(make_judge: JudgeFactory) -> None:
    strict = make_judge(question_threshold=0.999, sql_threshold=0.999)
    await strict.judge(candidate("a", PARIS, PARIS_SQL))
    judged = await strict.judge(
        candidate("b", "List the names of the customers from Paris", PARIS_SQL.replace("'", '"'))
    )
    assert not judged.duplicate


async def test_scopes_are_per_run_and_per_schema(make_judge: JudgeFactory) -> None:
    judge = make_judge()
    await judge.judge(candidate("a", PARIS, PARIS_SQL))
    other_schema = await judge.judge(candidate("b", PARIS, PARIS_SQL, scope="schema-b"))
    other_run = await judge.judge(candidate("c", PARIS, PARIS_SQL, run_id="r2"))
    assert not other_schema.duplicate and not other_run.duplicate


async def test_a_redelivered_sample_is_not_its_own_duplicate(make_judge: JudgeFactory) -> None:
    judge = make_judge()
    first = await judge.judge(candidate("a", PARIS, PARIS_SQL))
    again = await judge.judge(candidate("a", PARIS, PARIS_SQL))
    assert not first.duplicate and not again.duplicate
    assert await judge.index.count("r1", "schema-a") == 1


async def test_only_accepted_samples_own_exact_fingerprints(make_judge: JudgeFactory) -> None:
    """A near-duplicate claims nothing, so a later exact copy of it names the accepted sample."""
    claims = MemoryClaimStore()
    judge = make_judge(claims=claims)
    await judge.judge(candidate("a", PARIS, PARIS_SQL))
    near = "List the names of the customers from Paris"
    assert (await judge.judge(candidate("b", near, PARIS_SQL + " ORDER BY name"))).duplicate
    copy = await judge.judge(candidate("c", near, PARIS_SQL))
    assert copy.layer == "exact_sql" and copy.nearest_sample_id == "a"
    assert set(claims.owners.values()) == {"a"}


async def test_rows_without_a_question_use_the_sql_layers_only(make_judge: JudgeFactory) -> None:
    judge = make_judge()
    sql = "SELECT name, total FROM orders WHERE total > 100 ORDER BY total DESC"
    await judge.judge(candidate("a", None, sql))
    judged = await judge.judge(candidate("b", None, sql.replace("100", "250")))
    assert judged.duplicate and judged.layer == "sql"
    assert "question_cosine" in judged.scores


async def test_each_verdict_feeds_the_saturation_windows(make_judge: JudgeFactory) -> None:
    tracker = SaturationTracker()
    judge = make_judge(tracker=tracker)
    await judge.judge(candidate("a", PARIS, PARIS_SQL))
    await judge.judge(candidate("b", PARIS, PARIS_SQL))
    stats = tracker.stats("r1")
    assert stats.run.seen == 2 and stats.run.duplicate_rate == 0.5
    assert stats.schemas["schema-a"].window == 2
    assert stats.regions["retail/data retrieval/easy"].duplicate_rate == 0.5


async def test_the_stage_records_the_verdict_in_the_envelope(make_judge: JudgeFactory) -> None:
    stage = NearDedupStage(make_judge())
    [first] = await stage(make_envelope("a", question=PARIS, sql=PARIS_SQL))
    [second] = await stage(
        make_envelope("b", question="List the names of the customers from Paris", sql=PARIS_SQL)
    )
    assert first.subject == subjects.SAMPLE_ACCEPTED and first.outcome is Outcome.ACCEPTED
    assert first.envelope.dedup is not None and not first.envelope.dedup.duplicate
    assert second.subject == subjects.SAMPLE_DUPLICATE
    verdict = second.envelope.dedup
    assert verdict is not None and verdict.duplicate
    assert verdict.layer == "exact_sql" and verdict.nearest_sample_id == "a"
    last = second.envelope.history[-1]
    assert last.outcome is Outcome.DUPLICATE and last.reason and "a" in last.reason
