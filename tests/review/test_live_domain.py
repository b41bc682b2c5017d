"""Live review without a broker: which samples wait for a person, the held store across a
reopen, and what a decision turns the envelope into (the NATS path: tests/e2e/test_live_review)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from proto import subjects
from proto.common import Engine, Level, Outcome, ReviewMode, Stage
from proto.sample import EngineCheck, SampleEnvelope, Validation
from shared.review.held import HeldSamples
from shared.review.live import item_of, needs_person, settle
from shared.review.store import Action, Decision, ReviewStore, sqlite_url
from tests.unit.pipeline.conftest import make_envelope

WHEN = datetime(2026, 1, 1, tzinfo=UTC)


def held_envelope(mode: ReviewMode, sample_id: str = "s1") -> SampleEnvelope:
    envelope = make_envelope(sample_id=sample_id)
    envelope.review_mode = mode
    return envelope


def decision(action: Action, **values: str) -> Decision:
    return Decision(
        run_id="r1",
        record_id="s1",
        reviewer="Ada",
        cycle=1,
        action=action,
        question=values.get("question", "How many orders are there?"),
        sql=values.get("sql", "SELECT COUNT(*) FROM orders"),
        edits=0,
        decided_at=WHEN,
        reason=values.get("reason"),
        explanation=values.get("explanation"),
    )


def test_review_mode_decides_who_waits() -> None:
    assert not needs_person(held_envelope(ReviewMode.OFF))
    assert needs_person(held_envelope(ReviewMode.ALL))
    clean = held_envelope(ReviewMode.WARNINGS)
    assert not needs_person(clean)
    disagreeing = held_envelope(ReviewMode.WARNINGS)
    disagreeing.validation = Validation(
        level=Level.FULL,
        checks=[EngineCheck(engine=Engine.MYSQL, level=Level.FULL, ok=False, message="1064")],
    )
    assert needs_person(disagreeing)
    repaired = held_envelope(ReviewMode.WARNINGS)
    repaired.attempt = 2
    assert needs_person(repaired)
    assert [f.need.slug for f in item_of(repaired, 0).findings] == ["repair"]


def test_held_samples_survive_a_reopen_and_keep_the_first_copy(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "review.sqlite")
    store = ReviewStore(url)
    held = HeldSamples(store)
    assert held.hold(held_envelope(ReviewMode.ALL, "s1"))
    again = held_envelope(ReviewMode.ALL, "s1")
    again.draft.question = "a redelivered copy"  # type: ignore[union-attr]
    assert not held.hold(again)
    assert held.hold(held_envelope(ReviewMode.ALL, "s2"))
    held.mark_published("r1", "s1", WHEN)
    store.close()

    reopened = HeldSamples(ReviewStore(url))
    samples = reopened.list("r1")
    assert [(s.envelope.sample_id, s.published) for s in samples] == [("s1", True), ("s2", False)]
    assert samples[0].envelope.draft.question == "How many orders are there?"  # type: ignore[union-attr]
    assert reopened.list("another run") == []


def test_a_rejection_carries_the_reviewer_and_reason() -> None:
    settled = settle(held_envelope(ReviewMode.ALL), decision(Action.REJECT, reason="vague"))
    assert (settled.subject, settled.outcome) == (subjects.SAMPLE_REJECTED, Outcome.REJECTED)
    last = settled.envelope.history[-1]
    assert (last.stage, last.outcome, last.reason) == (
        Stage.REVIEW,
        Outcome.REJECTED,
        "reviewed by Ada: vague",
    )


def test_an_edit_is_applied_and_the_dialects_rendered_again() -> None:
    original = held_envelope(ReviewMode.ALL)
    edited = decision(
        Action.EDIT,
        question="How many orders cost more than 5?",
        sql="SELECT COUNT(*) FROM orders WHERE total > 5",
        explanation="Counts the orders above 5.",
    )
    settled = settle(original, edited)
    draft = settled.envelope.draft
    assert draft is not None and settled.subject == subjects.SAMPLE_ACCEPTED
    assert (draft.question, draft.sql, draft.explanation) == (
        "How many orders cost more than 5?",
        "SELECT COUNT(*) FROM orders WHERE total > 5",
        "Counts the orders above 5.",
    )
    assert "total > 5" in draft.sql_by_dialect[Engine.POSTGRES]
    assert settled.envelope.history[-1].reason == "reviewed by Ada (edited)"
    # The held copy is untouched: a second publish of the same decision is the same message.
    assert original.draft is not None and original.draft.question == "How many orders are there?"
    assert settled.envelope.message_id(Outcome.ACCEPTED).endswith(":1:accepted")
