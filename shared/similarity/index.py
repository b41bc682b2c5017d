"""The accepted samples' vectors in Qdrant, scoped per run and schema.

Each accepted sample is one point with two named vectors, `question` and `sql`, and a payload
(run_id, scope, sample_id, the SQL and its dialect, the question) so that the hybrid re-scoring
needs no second lookup. The point id is a UUID derived from (run, sample): re-adding a sample
after a redelivery overwrites the same point.

Two layouts, chosen by where Qdrant runs:
- a Qdrant server (`url`): one collection, a keyword payload index on run_id and scope, and every
  search filtered on both, as Qdrant is built to do;
- local mode (`path`, or in memory): qdrant-client's embedded engine evaluates payload filters
  in Python, point by point (0.5 s per search at 10k points, measured; bench/README.md), so each
  (run, scope) gets its own collection and searches need no filter. Local mode is single-process
  (Qdrant locks the folder), so several dedup replicas need a server.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from numpy.typing import NDArray
from qdrant_client import AsyncQdrantClient, models
from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

from shared.errors import RetryableError

VectorName = Literal["question", "sql"]
_POINT_NAMESPACE = uuid.UUID("6f1c1f2e-3d0b-4b7e-9a51-5e3c2b1d0a77")
_PAYLOAD_FIELDS = ["sample_id", "sql", "dialect", "question"]


class ScopeLayout(StrEnum):
    FILTER = "filter"
    COLLECTIONS = "collections"


@dataclass(frozen=True)
class IndexedSample:
    """What the index keeps of an accepted sample."""

    sample_id: str
    run_id: str
    scope: str
    sql: str
    dialect: str = "sqlite"
    question: str | None = None
    region: str = ""


@dataclass(frozen=True)
class Neighbour:
    sample_id: str
    cosine: float
    sql: str
    dialect: str
    question: str | None


class IndexUnavailable(RetryableError):
    """The Qdrant server did not answer, or answered 429/5xx (restarting, overloaded): the
    sample is retried later, not rejected (a Qdrant pod moved by a node drain is routine)."""


@contextlib.contextmanager
def server_errors_as_retryable() -> Iterator[None]:
    """qdrant-client's transport errors, wrapped at the boundary as retryable ones."""
    try:
        yield
    except ResponseHandlingException as exc:  # no HTTP answer: refused, reset, timed out
        raise IndexUnavailable(f"qdrant unreachable: {exc}") from exc
    except UnexpectedResponse as exc:
        status = exc.status_code or 0
        if status == 429 or status >= 500:
            raise IndexUnavailable(f"qdrant answered {status}") from exc
        raise


def point_id(run_id: str, sample_id: str) -> str:
    return str(uuid.uuid5(_POINT_NAMESPACE, f"{run_id}/{sample_id}"))


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


class SimilarityIndex:
    """Nearest accepted samples by question or SQL embedding, within one run and schema."""

    def __init__(
        self,
        client: AsyncQdrantClient,
        dim: int,
        model: str,
        layout: ScopeLayout,
        prefix: str = "sqlsynth",
    ) -> None:
        self.client = client
        self.dim = dim
        self.layout = layout
        self.base = f"{slug(prefix)}_{slug(model)}_{dim}"
        self._ready: set[str] = set()

    @classmethod
    def open(
        cls,
        *,
        dim: int,
        model: str,
        url: str | None = None,
        path: Path | None = None,
        api_key: str | None = None,
        prefix: str = "sqlsynth",
    ) -> SimilarityIndex:
        """A server when `url` is given, else local mode on `path` (persisted) or in memory."""
        if url:
            client = AsyncQdrantClient(url=url, api_key=api_key)
            return cls(client, dim, model, ScopeLayout.FILTER, prefix)
        if path is not None:
            path.mkdir(parents=True, exist_ok=True)
            client = AsyncQdrantClient(path=str(path))
        else:
            client = AsyncQdrantClient(location=":memory:")
        return cls(client, dim, model, ScopeLayout.COLLECTIONS, prefix)

    async def close(self) -> None:
        await self.client.close()

    def collection(self, run_id: str, scope: str) -> str:
        if self.layout is ScopeLayout.FILTER:
            return self.base
        digest = hashlib.blake2b(f"{run_id}\0{scope}".encode(), digest_size=10).hexdigest()
        return f"{self.base}_{digest}"

    async def _ensure(self, name: str) -> None:
        if name in self._ready:
            return
        with server_errors_as_retryable():
            await self._create(name)
        self._ready.add(name)

    async def _create(self, name: str) -> None:
        if not await self.client.collection_exists(name):
            vector = models.VectorParams(size=self.dim, distance=models.Distance.COSINE)
            try:
                await self.client.create_collection(
                    name, vectors_config={"question": vector, "sql": vector}
                )
            except Exception:  # another replica created it first: fine if it exists now
                if not await self.client.collection_exists(name):
                    raise
            if self.layout is ScopeLayout.FILTER:
                for field in ("run_id", "scope"):
                    await self.client.create_payload_index(
                        name, field, models.PayloadSchemaType.KEYWORD
                    )

    async def _exists(self, name: str) -> bool:
        if name in self._ready:
            return True
        with server_errors_as_retryable():
            exists = await self.client.collection_exists(name)
        if exists:
            self._ready.add(name)
        return exists

    def _scope_filter(self, run_id: str, scope: str) -> models.Filter | None:
        if self.layout is ScopeLayout.COLLECTIONS:
            return None
        return models.Filter(
            must=[
                models.FieldCondition(key="run_id", match=models.MatchValue(value=run_id)),
                models.FieldCondition(key="scope", match=models.MatchValue(value=scope)),
            ]
        )

    async def nearest(
        self,
        using: VectorName,
        vector: NDArray[Any],
        run_id: str,
        scope: str,
        limit: int,
        exclude: str | None = None,
    ) -> list[Neighbour]:
        """Up to `limit` accepted samples of (run, scope) by cosine, best first.

        `exclude` (the sample being judged) is dropped in Python: a redelivered sample must not
        find itself, and a `must_not` id filter would be another per-point Python check locally.
        """
        name = self.collection(run_id, scope)
        if not await self._exists(name):
            return []
        with server_errors_as_retryable():
            response = await self.client.query_points(
                name,
                query=[float(x) for x in vector],
                using=using,
                query_filter=self._scope_filter(run_id, scope),
                limit=limit + (1 if exclude else 0),
                with_payload=_PAYLOAD_FIELDS,
            )
        found = []
        for point in response.points:
            payload = point.payload or {}
            sample_id = str(payload.get("sample_id", ""))
            if sample_id == exclude:
                continue
            question = payload.get("question")
            found.append(
                Neighbour(
                    sample_id=sample_id,
                    cosine=float(point.score),
                    sql=str(payload.get("sql", "")),
                    dialect=str(payload.get("dialect", "sqlite")),
                    question=question if isinstance(question, str) else None,
                )
            )
        return found[:limit]

    async def add(
        self,
        sample: IndexedSample,
        sql_vector: NDArray[Any],
        question_vector: NDArray[Any] | None = None,
    ) -> None:
        await self.add_many([(sample, sql_vector, question_vector)])

    async def add_many(
        self, items: Sequence[tuple[IndexedSample, NDArray[Any], NDArray[Any] | None]]
    ) -> None:
        """Upsert accepted samples (waits for the write: the next search must see them)."""
        by_collection: dict[str, list[models.PointStruct]] = {}
        for sample, sql_vector, question_vector in items:
            vectors: dict[str, Any] = {"sql": [float(x) for x in sql_vector]}
            if question_vector is not None:
                vectors["question"] = [float(x) for x in question_vector]
            payload = {
                "sample_id": sample.sample_id,
                "run_id": sample.run_id,
                "scope": sample.scope,
                "sql": sample.sql,
                "dialect": sample.dialect,
                "question": sample.question,
                "region": sample.region,
            }
            name = self.collection(sample.run_id, sample.scope)
            point = models.PointStruct(
                id=point_id(sample.run_id, sample.sample_id), vector=vectors, payload=payload
            )
            by_collection.setdefault(name, []).append(point)
        for name, points in by_collection.items():
            await self._ensure(name)
            with server_errors_as_retryable():
                await self.client.upsert(name, points, wait=True)

    async def count(self, run_id: str, scope: str) -> int:
        name = self.collection(run_id, scope)
        if not await self._exists(name):
            return 0
        with server_errors_as_retryable():
            result = await self.client.count(
                name, count_filter=self._scope_filter(run_id, scope), exact=True
            )
        return int(result.count)
