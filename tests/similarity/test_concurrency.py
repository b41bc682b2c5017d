"""Two replicas, two near-duplicates at the same moment: the race, and the lock that closes it.

The interleaving is forced, not hoped for: each judge stops after its search and before its
commit until both have searched (or a patience runs out). Without exclusion both get there, both
saw an empty pool, both are accepted. With the scope lock the second cannot search until the
first has committed, so it finds the first and is a duplicate.
"""

from __future__ import annotations

import asyncio
import contextlib

from shared.pipeline.dedup import MemoryClaimStore
from shared.pipeline.near_dedup import Candidate, Judgement
from shared.similarity.embedders import Embedder
from shared.similarity.index import SimilarityIndex
from shared.similarity.locks import MemoryScopeLock, ScopeLock
from tests.similarity.conftest import JudgeFactory, NullScopeLock, candidate

FIRST = candidate("a", "List the names of customers from Paris.", "SELECT name FROM customers")
# A paraphrase with other SQL: no exact fingerprint in common, only the question layer sees it.
SECOND = candidate(
    "b",
    "List the names of the customers from Paris",
    "SELECT c.name FROM customers AS c WHERE c.city = 'Paris' ORDER BY c.name",
)


class Rendezvous:
    """Hold each arrival until `parties` have arrived, or `patience` seconds have passed."""

    def __init__(self, parties: int = 2, patience: float = 1.0) -> None:
        self.parties = parties
        self.patience = patience
        self.arrivals: list[str] = []
        self.all_here = asyncio.Event()

    async def __call__(self, judged: Candidate) -> None:
        self.arrivals.append(judged.sample_id)
        if len(self.arrivals) >= self.parties:
            self.all_here.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.all_here.wait(), self.patience)


async def judge_at_once(
    make_judge: JudgeFactory,
    embedder: Embedder,
    lock_for: list[ScopeLock],
    pair: tuple[Candidate, Candidate] = (FIRST, SECOND),
) -> tuple[list[Judgement], Rendezvous, SimilarityIndex]:
    """Two judges (replicas) over one index and claim store, each with its lock object."""
    index = SimilarityIndex.open(dim=embedder.dim, model=embedder.name)
    claims = MemoryClaimStore()
    meeting = Rendezvous()
    replicas = [
        make_judge(index=index, claims=claims, lock=lock, on_checked=meeting) for lock in lock_for
    ]
    judged = await asyncio.gather(replicas[0].judge(pair[0]), replicas[1].judge(pair[1]))
    return list(judged), meeting, index


async def test_without_exclusion_both_near_duplicates_are_accepted(
    make_judge: JudgeFactory, static_embedder: Embedder
) -> None:
    judged, meeting, index = await judge_at_once(
        make_judge, static_embedder, [NullScopeLock(), NullScopeLock()]
    )
    try:
        assert sorted(meeting.arrivals) == ["a", "b"]  # both searched before either committed
        assert [j.duplicate for j in judged] == [False, False]
        assert await index.count("r1", "schema-a") == 2
        # Judged one after the other, the same pair is a duplicate: the race is the only cause.
        sequential = make_judge()
        await sequential.judge(FIRST)
        assert (await sequential.judge(SECOND)).layer == "question"
    finally:
        await index.close()


async def test_with_the_scope_lock_exactly_one_is_accepted(
    make_judge: JudgeFactory, static_embedder: Embedder
) -> None:
    shared_lock = MemoryScopeLock()
    judged, meeting, index = await judge_at_once(
        make_judge, static_embedder, [shared_lock, shared_lock]
    )
    try:
        assert len(meeting.arrivals) == 1  # the second never got past the lock meanwhile
        assert sorted(j.duplicate for j in judged) == [False, True]
        duplicate = next(j for j in judged if j.duplicate)
        accepted_id = ({"a", "b"} - {duplicate.nearest_sample_id}).pop()
        assert duplicate.layer == "question" and accepted_id != duplicate.nearest_sample_id
        assert await index.count("r1", "schema-a") == 1
    finally:
        await index.close()


async def test_exact_copies_are_caught_by_their_claims_even_without_the_lock(
    make_judge: JudgeFactory, static_embedder: Embedder
) -> None:
    copy = candidate("c", FIRST.question, FIRST.sql)
    judged, meeting, index = await judge_at_once(
        make_judge, static_embedder, [NullScopeLock(), NullScopeLock()], (FIRST, copy)
    )
    try:
        assert sorted(meeting.arrivals) == ["a", "c"]
        assert sorted(j.duplicate for j in judged) == [False, True]
        assert next(j for j in judged if j.duplicate).layer.startswith("exact_")  # type: ignore[union-attr]
    finally:
        await index.close()
