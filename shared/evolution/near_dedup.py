"""Evolved drafts meet the same near-duplicate search as every sample (the dedup service's
three layers: exact, question cosine, SQL hybrid), over an in-memory Qdrant index seeded with
their parents, so an evolution that reads like its parent is a duplicate, not a new sample."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any

import numpy as np

from shared.evolution.parents import split_context
from shared.pipeline.dedup import MemoryClaimStore, schema_scope
from shared.pipeline.near_dedup import Candidate, NearDedupStage, NearDuplicateJudge
from shared.similarity.embedders import Embedder, load_embedder
from shared.similarity.hybrid import HybridWeights, describe_sql, hybrid_similarity
from shared.similarity.index import SimilarityIndex
from shared.similarity.locks import MemoryScopeLock

EMBED_BATCH = 64


def parent_candidate(record: Mapping[str, Any], run_id: str) -> Candidate:
    ddl, _ = split_context(str(record.get("sql_context") or ""))
    return Candidate(
        sample_id=str(record.get("id")),
        run_id=run_id,
        scope=schema_scope(ddl),
        sql=str(record.get("sql") or ""),
        question=str(record.get("sql_prompt") or "") or None,
        schema_label=str(record.get("domain") or ""),
    )


async def seed_parents(
    judge: NearDuplicateJudge, records: Iterable[Mapping[str, Any]], run_id: str
) -> int:
    """The parents into the pool (as the dedup service holds a run's accepted samples); the
    ones that are themselves near-duplicates of an earlier parent are not added twice."""
    candidates = [parent_candidate(r, run_id) for r in records]
    added = 0
    for start in range(0, len(candidates), EMBED_BATCH):
        batch = candidates[start : start + EMBED_BATCH]
        vectors = await judge.embed(batch)
        for offset, candidate in enumerate(batch):
            judged = await judge.judge(candidate, vectors[2 * offset : 2 * offset + 2])
            added += not judged.duplicate
    return added


def parent_closeness(embedder: Embedder, threshold: float) -> Callable[[str, str], bool]:
    """Whether a candidate's question is within the question layer's τ of its parent's: the
    near-duplicate search below would call it a duplicate of the parent, which the pool holds.
    The parent's vector is kept (one parent is asked about for all its candidates)."""

    @lru_cache(maxsize=4096)
    def vector(text: str) -> Any:
        return embedder.embed([text])[0]

    def close(parent_question: str, question: str) -> bool:
        # A candidate's question is asked against each of its relatives: embedded once.
        cosine = float(np.dot(vector(parent_question), vector(question)))
        return cosine >= threshold

    return close


def parent_sql_closeness(
    embedder: Embedder, threshold: float, weights: HybridWeights | None = None
) -> Callable[[str, str], bool]:
    """Whether a candidate's SQL scores the SQL layer's hybrid similarity (0.6 token-sort +
    0.3 AST + 0.1 cosine) at or above its threshold against the parent's: the layer's own
    score, so the rule is the search's, asked early."""

    @lru_cache(maxsize=4096)
    def vector(text: str) -> Any:
        return embedder.embed([text])[0]

    def close(parent_sql: str, sql: str) -> bool:
        shapes = describe_sql(parent_sql), describe_sql(sql)
        # The cosine weighs 0.1: without it the score is known to stay below the threshold.
        if hybrid_similarity(*shapes, 1.0, weights).total < threshold:
            return False
        cosine = float(np.dot(vector(parent_sql), vector(sql)))
        return hybrid_similarity(*shapes, cosine, weights).total >= threshold

    return close


@asynccontextmanager
async def near_dedup_stage(
    records: Iterable[Mapping[str, Any]], run_id: str, embedder: Embedder | None = None
) -> AsyncIterator[NearDedupStage]:
    """The dedup service's stage over a local index holding the parents; closed on exit."""
    model = embedder if embedder is not None else await asyncio.to_thread(load_embedder)
    index = SimilarityIndex.open(dim=model.dim, model=model.name)
    try:
        judge = NearDuplicateJudge(index, model, MemoryClaimStore(), MemoryScopeLock())
        await seed_parents(judge, records, run_id)
        yield NearDedupStage(judge)
    finally:
        await index.close()
