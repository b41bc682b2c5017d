"""Near-duplicate removal: three layers, cheapest first, within one run and schema.

1. exact (shared/pipeline/dedup.py): the normalised question, or the normalised SQL (its
   pattern with literals), was already accepted;
2. question (EvolSQL): cosine of the question embeddings >= τ (0.9 for the full model;
   the distilled model's τ is calibrated against it: shared/similarity/calibration.py);
3. SQL (SQL-Factory): the k x 20 nearest SQL embeddings come from Qdrant, the top k by
   a cheap bound are re-scored with the hybrid similarity (0.6 token-sort + 0.3 AST + 0.1
   cosine), and a score >= the SQL threshold is a duplicate.

Layers 2 and 3 run under a lock on (run, schema) held from the search to the insert: otherwise
two near-duplicates judged at once both miss each other and both are accepted (see
shared/similarity/locks.py and tests/similarity/test_concurrency.py). Claims of layer 1 are made
under the same lock once a sample is accepted, so only accepted samples own fingerprints and
`nearest_sample_id` always names a sample of the dataset.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from proto import subjects
from proto.common import Outcome, Stage
from proto.sample import DedupVerdict, SampleEnvelope
from shared.errors import RetryableError
from shared.pipeline.dedup import (
    ClaimStore,
    claim_exact,
    find_exact,
    fingerprint_keys,
    schema_scope,
)
from shared.pipeline.emit import Emit
from shared.review.live import needs_person
from shared.similarity.calibration import question_threshold_for
from shared.similarity.embedders import Embedder
from shared.similarity.hybrid import (
    HybridScore,
    HybridWeights,
    cheap_bound,
    describe_sql,
    hybrid_similarity,
)
from shared.similarity.index import IndexedSample, Neighbour, SimilarityIndex
from shared.similarity.locks import ScopeLock
from shared.similarity.saturation import SaturationTracker, observation_from_scores
from shared.sql.dialects import sqlglot_dialect


class LeaseLost(RetryableError):
    """The scope lock expired while the sample was judged: judge it again later."""


@dataclass(frozen=True)
class Candidate:
    """One sample as the layers see it, from an envelope or from any dataset row."""

    sample_id: str
    run_id: str
    scope: str
    sql: str
    dialect: str = "sqlite"
    question: str | None = None
    # Planner vocabulary for saturation: the schema (schema_id or domain) and property region.
    schema_label: str = ""
    region: str = ""


def candidate_of(envelope: SampleEnvelope) -> Candidate:
    draft = envelope.draft
    assert draft is not None, "a reviewed sample carries its draft"
    blueprint = envelope.blueprint
    return Candidate(
        sample_id=envelope.sample_id,
        run_id=envelope.run_id,
        scope=schema_scope(draft.schema_ddl),
        sql=draft.sql,
        dialect=sqlglot_dialect(draft.sql_dialect),
        question=draft.question,
        schema_label=blueprint.schema_id or draft.domain,
        region=f"{draft.domain}/{draft.task_type.value}/{draft.complexity.value}",
    )


@dataclass(frozen=True)
class NearDedupConfig:
    # None: the embedder's own calibrated threshold (0.9 for the full model, EvolSQL).
    question_threshold: float | None = None
    sql_threshold: float = 0.95
    top_k: int = 5
    candidate_factor: int = 20
    weights: HybridWeights = field(default_factory=HybridWeights)


@dataclass(frozen=True)
class Judgement:
    duplicate: bool
    layer: str | None
    nearest_sample_id: str | None
    scores: dict[str, float]
    # Seconds per step (embed, lock, search, rescore, commit), for the service's histogram.
    timings: dict[str, float] = field(default_factory=dict)

    def verdict(self) -> DedupVerdict:
        return DedupVerdict(
            duplicate=self.duplicate,
            layer=self.layer,
            nearest_sample_id=self.nearest_sample_id,
            scores=self.scores,
        )


@dataclass(frozen=True)
class _Nearest:
    question: Neighbour | None
    sql: Neighbour | None
    hybrid: HybridScore | None


# Called after the search and before the commit: tests use it to force an interleaving.
CheckedHook = Callable[[Candidate], Awaitable[None]]


class NearDuplicateJudge:
    """Judges candidates against the accepted pool and adds the accepted ones to it."""

    def __init__(
        self,
        index: SimilarityIndex,
        embedder: Embedder,
        claims: ClaimStore,
        lock: ScopeLock,
        config: NearDedupConfig | None = None,
        tracker: SaturationTracker | None = None,
        on_checked: CheckedHook | None = None,
    ) -> None:
        self.index = index
        self.embedder = embedder
        self.claims = claims
        self.lock = lock
        self.config = config or NearDedupConfig()
        self.tracker = tracker
        self.on_checked = on_checked
        self.question_threshold = question_threshold_for(
            embedder.name, self.config.question_threshold
        )

    async def embed(self, candidates: Sequence[Candidate]) -> NDArray[np.float32]:
        """Question and SQL embeddings, rows [q0, s0, q1, s1, ...] (off the event loop)."""
        texts = [text for c in candidates for text in (c.question or "", c.sql)]
        return await asyncio.to_thread(self.embedder.embed, texts)

    async def judge(
        self, candidate: Candidate, vectors: NDArray[np.float32] | None = None
    ) -> Judgement:
        """`vectors`: this candidate's [question, sql] rows when embedded in a batch."""
        keys = fingerprint_keys(
            f"{candidate.run_id}.{candidate.scope}",
            candidate.question,
            candidate.sql,
            candidate.dialect,
        )
        exact = await find_exact(self.claims, keys, candidate.sample_id)
        if exact is not None:
            return self._observe(candidate, Judgement(True, exact[0], exact[1], _EXACT_SCORES))
        timings: dict[str, float] = {}
        clock = time.perf_counter()
        if vectors is None:
            vectors = await self.embed([candidate])
            clock = _lap(timings, "embed", clock)
        question_vector = vectors[0] if candidate.question else None
        sql_vector = vectors[1]
        async with self.lock.hold(f"{candidate.run_id}.{candidate.scope}") as handle:
            clock = _lap(timings, "lock", clock)
            nearest = await self._search(candidate, question_vector, sql_vector, timings)
            clock = time.perf_counter()
            judgement = self._decide(nearest, timings)
            if not judgement.duplicate:
                if self.on_checked is not None:
                    await self.on_checked(candidate)
                if not await handle.still_held():
                    raise LeaseLost(f"lock on {candidate.scope} lost before commit")
                lost = await claim_exact(self.claims, keys, candidate.sample_id)
                if lost is not None:  # only if a lock was bypassed; the claim is the truth
                    judgement = Judgement(True, lost[0], lost[1], _EXACT_SCORES, timings)
                else:
                    await self._add(candidate, question_vector, sql_vector)
                _lap(timings, "commit", clock)
        return self._observe(candidate, judgement)

    async def _search(
        self,
        candidate: Candidate,
        question_vector: NDArray[np.float32] | None,
        sql_vector: NDArray[np.float32],
        timings: dict[str, float],
    ) -> _Nearest:
        run, scope, me = candidate.run_id, candidate.scope, candidate.sample_id
        clock = time.perf_counter()
        question = None
        if question_vector is not None:
            found = await self.index.nearest("question", question_vector, run, scope, 1, me)
            question = found[0] if found else None
        pool = await self.index.nearest(
            "sql", sql_vector, run, scope, self.config.top_k * self.config.candidate_factor, me
        )
        clock = _lap(timings, "search", clock)
        # Inline: bounded, the re-scoring costs ~1 ms, less than a hop to a thread.
        sql, hybrid = self._rescore(candidate, pool)
        _lap(timings, "rescore", clock)
        return _Nearest(question, sql, hybrid)

    def _rescore(
        self, candidate: Candidate, pool: list[Neighbour]
    ) -> tuple[Neighbour | None, HybridScore | None]:
        """SQL-Factory: of the k x 20 retrieved, the best hybrid score among the top k.

        Candidates go in order of an upper bound of their score (shared.similarity.hybrid
        cheap_bound); the tree edit distance, the expensive term, is computed only while a
        bound can still beat the best exact score, which gives the same maximum.
        """
        if not pool:
            return None, None
        weights = self.config.weights
        mine = describe_sql(candidate.sql, candidate.dialect)
        bounded = sorted(
            (
                (cheap_bound(mine, shape, n.cosine, weights), n, shape)
                for n in pool
                for shape in [describe_sql(n.sql, n.dialect)]
            ),
            key=lambda item: item[0],
            reverse=True,
        )[: self.config.top_k]
        best: tuple[Neighbour, HybridScore] | None = None
        for bound, neighbour, shape in bounded:
            if best is not None and bound <= best[1].total:
                break
            score = hybrid_similarity(mine, shape, neighbour.cosine, weights)
            if best is None or score.total > best[1].total:
                best = (neighbour, score)
        assert best is not None
        return best

    def _decide(self, nearest: _Nearest, timings: dict[str, float]) -> Judgement:
        scores: dict[str, float] = {
            "question_threshold": self.question_threshold,
            "sql_threshold": self.config.sql_threshold,
        }
        question_score = nearest.question.cosine if nearest.question else 0.0
        scores["question_cosine"] = round(question_score, 6)
        sql_score = nearest.hybrid.total if nearest.hybrid else 0.0
        if nearest.hybrid is not None:
            scores.update(nearest.hybrid.as_scores())
        else:
            scores["sql_hybrid"] = 0.0
        if nearest.question is not None and question_score >= self.question_threshold:
            return Judgement(True, "question", nearest.question.sample_id, scores, timings)
        if nearest.sql is not None and sql_score >= self.config.sql_threshold:
            return Judgement(True, "sql", nearest.sql.sample_id, scores, timings)
        # Accepted: name the neighbour that came closest, relative to its layer's threshold.
        closest = None
        if nearest.question is not None or nearest.sql is not None:
            by_question = question_score / self.question_threshold
            by_sql = sql_score / self.config.sql_threshold
            closest = (
                nearest.question if by_question >= by_sql and nearest.question else nearest.sql
            )
        return Judgement(False, None, closest.sample_id if closest else None, scores, timings)

    async def _add(
        self,
        candidate: Candidate,
        question_vector: NDArray[np.float32] | None,
        sql_vector: NDArray[np.float32],
    ) -> None:
        sample = IndexedSample(
            sample_id=candidate.sample_id,
            run_id=candidate.run_id,
            scope=candidate.scope,
            sql=candidate.sql,
            dialect=candidate.dialect,
            question=candidate.question,
            region=candidate.region,
        )
        await self.index.add(sample, sql_vector, question_vector)

    def _observe(self, candidate: Candidate, judgement: Judgement) -> Judgement:
        if self.tracker is not None:
            observation = observation_from_scores(
                judgement.duplicate, judgement.scores, candidate.question is not None
            )
            label = candidate.schema_label or candidate.scope
            self.tracker.observe(candidate.run_id, label, candidate.region, observation)
        return judgement


_EXACT_SCORES = {"similarity": 1.0}


def _lap(timings: dict[str, float], step: str, since: float) -> float:
    now = time.perf_counter()
    timings[step] = now - since
    return now


# Called with every verdict: the service updates its metrics and saturation view with it.
JudgedHook = Callable[[SampleEnvelope, Judgement], Awaitable[None]]


class NearDedupStage:
    """The dedup service's stage: sample.reviewed → sample.accepted | sample.duplicate."""

    def __init__(self, judge: NearDuplicateJudge, on_judged: JudgedHook | None = None) -> None:
        self.judge = judge
        self.on_judged = on_judged

    async def __call__(self, envelope: SampleEnvelope) -> list[Emit]:
        judgement = await self.judge.judge(candidate_of(envelope))
        envelope.dedup = judgement.verdict()
        if self.on_judged is not None:
            await self.on_judged(envelope, judgement)
        if judgement.duplicate:
            reason = f"{judgement.layer} duplicate of {judgement.nearest_sample_id}"
            envelope.record(Stage.DEDUP, Outcome.DUPLICATE, reason)
            return [Emit(subjects.SAMPLE_DUPLICATE, envelope, Outcome.DUPLICATE)]
        if needs_person(envelope):
            # The run asked for review: a person accepts it (the review app publishes it on).
            envelope.record(Stage.DEDUP, Outcome.AWAITING_REVIEW)
            return [Emit(subjects.SAMPLE_AWAITING_REVIEW, envelope, Outcome.AWAITING_REVIEW)]
        envelope.record(Stage.DEDUP, Outcome.ACCEPTED)
        return [Emit(subjects.SAMPLE_ACCEPTED, envelope, Outcome.ACCEPTED)]
