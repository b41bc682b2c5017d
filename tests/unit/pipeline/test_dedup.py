from __future__ import annotations

from proto import Outcome, subjects
from shared.pipeline.dedup import ExactDedupStage, MemoryClaimStore, normalize_question
from tests.unit.pipeline.conftest import make_envelope


async def test_first_is_accepted_and_same_question_is_duplicate() -> None:
    stage = ExactDedupStage(MemoryClaimStore())
    [first] = await stage(make_envelope("a", question="How many orders are there?"))
    [second] = await stage(
        make_envelope("b", question="how many ORDERS are there", sql="SELECT COUNT(id) FROM orders")
    )
    assert first.subject == subjects.SAMPLE_ACCEPTED
    assert second.subject == subjects.SAMPLE_DUPLICATE
    assert second.envelope.dedup is not None
    assert second.envelope.dedup.nearest_sample_id == "a"
    assert second.envelope.dedup.layer == "exact_question"


async def test_same_sql_different_question_is_duplicate() -> None:
    stage = ExactDedupStage(MemoryClaimStore())
    await stage(make_envelope("a", question="Count the orders", sql="SELECT COUNT(*) FROM orders"))
    [emit] = await stage(
        make_envelope("b", question="Number of orders?", sql="select count(*)   from ORDERS")
    )
    assert emit.outcome is Outcome.DUPLICATE
    assert emit.envelope.dedup and emit.envelope.dedup.layer == "exact_sql"


async def test_redelivered_sample_is_not_its_own_duplicate() -> None:
    stage = ExactDedupStage(MemoryClaimStore())
    await stage(make_envelope("a"))
    [again] = await stage(make_envelope("a"))
    assert again.outcome is Outcome.ACCEPTED


async def test_scope_is_per_run() -> None:
    stage = ExactDedupStage(MemoryClaimStore())
    await stage(make_envelope("a", run_id="r1"))
    [other_run] = await stage(make_envelope("a2", run_id="r2"))
    assert other_run.outcome is Outcome.ACCEPTED


def test_normalize_question_ignores_case_and_punctuation() -> None:
    assert normalize_question("What's the  TOTAL?") == normalize_question("what s the total")
