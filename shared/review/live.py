"""Review inside the pipeline (`sqlsynth run --review warnings|all`), broker-free parts.

Dedup asks `needs_person` before accepting; the review app keeps the held envelopes in its
store, shows them as queue items (`item_of`, the dataset line the sink would write) and, once a
person decided, turns the decision into the envelope and subject to publish (`settle`).
"""

from __future__ import annotations

from dataclasses import dataclass

from proto import subjects
from proto.common import Outcome, ReviewMode, Stage
from proto.sample import SampleEnvelope
from shared.pipeline.records import dataset_record
from shared.review.items import ReviewItem, classify_record
from shared.review.revalidate import render_dialects
from shared.review.store import Action, Decision


def needs_person(envelope: SampleEnvelope) -> bool:
    """Whether this sample waits for a person before acceptance, under its run's review mode."""
    mode = envelope.review_mode
    if mode is ReviewMode.OFF or envelope.draft is None:
        return False
    return mode is ReviewMode.ALL or bool(classify_record(dataset_record(envelope)))


def item_of(envelope: SampleEnvelope, position: int) -> ReviewItem:
    """The held sample as a queue item: the line the sink would write, with its findings."""
    record = dataset_record(envelope)
    return ReviewItem(envelope.sample_id, position, record, tuple(classify_record(record)))


@dataclass(frozen=True)
class Settled:
    """What to publish for a decided sample."""

    subject: str
    outcome: Outcome
    envelope: SampleEnvelope


def settle(envelope: SampleEnvelope, decision: Decision) -> Settled:
    """The envelope after a person's decision: accepted (with the edited question, SQL and
    explanation applied, other dialects rendered again) or rejected with the person's reason."""
    settled = envelope.model_copy(deep=True)
    who = f"reviewed by {decision.reviewer}"
    if decision.action is Action.REJECT:
        settled.record(Stage.REVIEW, Outcome.REJECTED, f"{who}: {decision.reason or 'rejected'}")
        return Settled(subjects.SAMPLE_REJECTED, Outcome.REJECTED, settled)
    draft = settled.draft
    assert draft is not None, "a held sample always carries a draft"
    if decision.action is Action.EDIT:
        if decision.sql != draft.sql:
            draft.sql_by_dialect = render_dialects(decision.sql, draft.sql_dialect)
        draft.question, draft.sql = decision.question, decision.sql
        if decision.explanation is not None:
            draft.explanation = decision.explanation
        who = f"{who} (edited)"
    settled.record(Stage.REVIEW, Outcome.ACCEPTED, who)
    return Settled(subjects.SAMPLE_ACCEPTED, Outcome.ACCEPTED, settled)
