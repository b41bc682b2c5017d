"""Fixtures for the similarity tests: the real embedding models (loaded once) and judges."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from shared.pipeline.dedup import ClaimStore, MemoryClaimStore
from shared.pipeline.near_dedup import (
    Candidate,
    CheckedHook,
    NearDedupConfig,
    NearDuplicateJudge,
)
from shared.similarity.embedders import FULL, STATIC, Embedder, load_embedder
from shared.similarity.index import SimilarityIndex
from shared.similarity.locks import LockHandle, MemoryScopeLock, ScopeLock
from shared.similarity.saturation import SaturationTracker


@pytest.fixture(scope="session")
def static_embedder() -> Embedder:
    # The first use on a machine distils the model from the wheel (about a minute), then cached.
    return load_embedder(STATIC)


@pytest.fixture(scope="session")
def full_embedder() -> Embedder:
    return load_embedder(FULL)


class _Unguarded:
    async def still_held(self) -> bool:
        return True


class NullScopeLock:
    """No exclusion at all: the baseline that shows what the lock prevents."""

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[LockHandle]:
        yield _Unguarded()


def candidate(
    sample_id: str,
    question: str | None,
    sql: str,
    *,
    run_id: str = "r1",
    scope: str = "schema-a",
    region: str = "retail/data retrieval/easy",
) -> Candidate:
    return Candidate(
        sample_id=sample_id,
        run_id=run_id,
        scope=scope,
        sql=sql,
        question=question,
        schema_label=scope,
        region=region,
    )


JudgeFactory = Callable[..., NearDuplicateJudge]


@pytest.fixture
async def make_judge(static_embedder: Embedder) -> AsyncIterator[JudgeFactory]:
    """Judges over in-memory Qdrant indexes (closed at teardown)."""
    opened: list[SimilarityIndex] = []

    def build(
        *,
        embedder: Embedder | None = None,
        lock: ScopeLock | None = None,
        claims: ClaimStore | None = None,
        index: SimilarityIndex | None = None,
        tracker: SaturationTracker | None = None,
        on_checked: CheckedHook | None = None,
        **config: Any,
    ) -> NearDuplicateJudge:
        model = embedder or static_embedder
        if index is None:
            index = SimilarityIndex.open(dim=model.dim, model=model.name)
            opened.append(index)
        return NearDuplicateJudge(
            index,
            model,
            claims or MemoryClaimStore(),
            lock or MemoryScopeLock(),
            NearDedupConfig(**config),
            tracker,
            on_checked,
        )

    yield build
    for index in opened:
        await index.close()
