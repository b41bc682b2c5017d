"""Evolved samples meet the dedup service's near-duplicate layers, with their parents in the
pool: a copy of a parent with a word changed is a duplicate; a real evolution that reads
differently, and one evolution after another that copies it, are told apart."""

from __future__ import annotations

from proto import subjects
from proto.sample import SampleEnvelope
from shared.evolution.near_dedup import near_dedup_stage
from shared.evolution.parents import Parent, parent_from_record
from shared.similarity.embedders import Embedder
from tests.unit.evolution.test_operators import load_records

RUN = "evolve-test"


def envelope(parent: Parent, sample_id: str, question: str, sql: str) -> SampleEnvelope:
    draft = parent.draft.model_copy(update={"question": question, "sql": sql})
    return SampleEnvelope(run_id=RUN, sample_id=sample_id, blueprint=parent.blueprint, draft=draft)


async def test_evolved_drafts_are_judged_against_their_parents(static_embedder: Embedder) -> None:
    records = load_records()
    parent = parent_from_record(records[0])
    assert isinstance(parent, Parent)
    question = parent.draft.question.rstrip(".?")
    async with near_dedup_stage(records, RUN, static_embedder) as stage:
        # The parent's own SQL and question again: an exact duplicate of the seeded parent.
        (same,) = await stage(envelope(parent, "e1", parent.draft.question, parent.draft.sql))
        assert same.subject == subjects.SAMPLE_DUPLICATE
        assert same.envelope.dedup is not None
        assert same.envelope.dedup.nearest_sample_id == records[0]["id"]
        # A nearly identical question over a changed query: the question layer's duplicate.
        near_sql = parent.draft.sql.replace("SELECT", "SELECT DISTINCT", 1)
        (near,) = await stage(envelope(parent, "e2", f"{question}, please.", near_sql))
        assert near.subject == subjects.SAMPLE_DUPLICATE
        assert near.envelope.dedup is not None and near.envelope.dedup.layer in {
            "question",
            "sql",
            "exact_sql",
        }
        # A different question and SQL on the same schema is accepted, and then owns its place.
        other = "How many rows does the first table hold in total?"
        first_table = parent.draft.rows[0].table
        count_sql = f"SELECT COUNT(*) AS n FROM {first_table}"
        (fresh,) = await stage(envelope(parent, "e3", other, count_sql))
        assert fresh.subject == subjects.SAMPLE_ACCEPTED
        (again,) = await stage(envelope(parent, "e4", other, count_sql))
        assert again.subject == subjects.SAMPLE_DUPLICATE
        assert again.envelope.dedup is not None and again.envelope.dedup.nearest_sample_id == "e3"
