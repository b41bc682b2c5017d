"""The trial run's parent check: a candidate whose question the near-duplicate search would call
a duplicate of its parent (question cosine >= τ with the real static embedder) is not drafted,
the operator's next candidate is; what is drafted is below τ, and what the check refused would
have been refused by the search."""

from __future__ import annotations

import json
import random

import numpy as np

from shared.evolution.direction import DirectionConfig, OperatorTally
from shared.evolution.evolve import EvolvedDraft, EvolveLog
from shared.evolution.near_dedup import parent_closeness, parent_sql_closeness
from shared.evolution.parents import Parent, parent_from_record
from shared.evolution.step import evolve_parent
from shared.pipeline.near_dedup import NearDedupConfig
from shared.similarity.calibration import question_threshold_for
from shared.similarity.embedders import Embedder
from shared.similarity.hybrid import describe_sql, hybrid_similarity
from tests.conftest import FIXTURES

RECORDS = FIXTURES / "evolution" / "parents.jsonl"


def test_candidates_close_to_their_parent_are_replaced(static_embedder: Embedder) -> None:
    parents = [
        p
        for line in RECORDS.read_text().splitlines()
        if isinstance(p := parent_from_record(json.loads(line)), Parent)
    ]
    tau = question_threshold_for(static_embedder.name)
    seen: list[tuple[str, str, bool]] = []
    check = parent_closeness(static_embedder, tau)

    def close(parent_question: str, question: str) -> bool:
        verdict = check(parent_question, question)
        seen.append((parent_question, question, verdict))
        return verdict

    checked, unchecked = EvolveLog(), EvolveLog()
    with_check = DirectionConfig(top_k=6, close_to_parent=close)
    kept: list[EvolvedDraft] = []
    plain: list[EvolvedDraft] = []
    for parent in parents:
        kept += evolve_parent(parent, OperatorTally(), with_check, random.Random(7), checked)
        evolve_parent(
            parent, OperatorTally(), DirectionConfig(top_k=6), random.Random(7), unchecked
        )
    assert checked.dropped["close_to_parent"] > 0 and kept
    refused = [(p, q) for p, q, verdict in seen if verdict]
    assert len(refused) == checked.dropped["close_to_parent"]
    for evolved in kept:
        vectors = static_embedder.embed([evolved.parent.draft.question, evolved.draft.question])
        assert float(np.dot(vectors[0], vectors[1])) < tau, evolved.draft.question
    for parent_question, question in refused[:20]:
        vectors = static_embedder.embed([parent_question, question])
        assert float(np.dot(vectors[0], vectors[1])) >= tau
    # A refused candidate gives the operator another try: more evolutions the search would
    # keep than without the check (where the first candidate is drafted however close it is).
    far_without = sum(
        float(np.dot(*static_embedder.embed([e.parent.draft.question, e.draft.question]))) < tau
        for e in plain
    )
    assert len(kept) > far_without, (len(kept), far_without)


def test_sql_closeness_is_the_sql_layers_own_score(static_embedder: Embedder) -> None:
    """One filter on a long query stays above the SQL layer's threshold (the search would call
    it its parent's duplicate, session 9: 0.96); a nested rewrite of a short one does not."""
    threshold = NearDedupConfig().sql_threshold
    close = parent_sql_closeness(static_embedder, threshold)
    long_sql = (
        "SELECT c.name, COUNT(*) AS order_count, SUM(o.total) AS total_spent FROM orders AS o "
        "INNER JOIN customers AS c ON o.customer_id = c.id INNER JOIN stores AS s ON "
        "o.store_id = s.id WHERE s.region = 'North' AND o.placed_at >= '2024-01-01' "
        "GROUP BY c.id, c.name ORDER BY total_spent DESC, c.name LIMIT 10"
    )
    narrowed = long_sql.replace("GROUP BY", "AND o.total > 10 GROUP BY")
    short_sql = "SELECT o.id FROM orders AS o WHERE o.total > 10"
    nested = (
        "SELECT o.id FROM orders AS o WHERE o.total > (SELECT AVG(o2.total) FROM orders AS o2) "
        "AND EXISTS (SELECT 1 FROM refunds AS r WHERE r.order_id = o.id)"
    )
    for parent_sql, sql in ((long_sql, narrowed), (short_sql, nested)):
        vectors = static_embedder.embed([parent_sql, sql])
        cosine = float(np.dot(vectors[0], vectors[1]))
        score = hybrid_similarity(describe_sql(parent_sql), describe_sql(sql), cosine).total
        assert close(parent_sql, sql) == (score >= threshold), (score, sql)
    assert close(long_sql, narrowed)
    assert not close(short_sql, nested)
