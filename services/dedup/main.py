"""Dedup service: sample.reviewed → sample.accepted | sample.duplicate (three layers, Qdrant).

Where the index lives (settings, env prefix SQLSYNTH_):
- QDRANT_URL set: a Qdrant server, shared by every replica; replicas serialise each schema with
  a lease in NATS KV (services/dedup/kv.py), so any number of replicas is safe;
- else Qdrant local mode in QDRANT_PATH (default `<OUT_DIR>/.state/qdrant`, beside the run's
  NATS state), persisted across restarts. Local mode is single-process: Qdrant locks the folder,
  so a second replica fails at start-up with Qdrant's own message. One replica, in-process lock.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import structlog
from faststream import FastStream
from nats.js.kv import KeyValue
from pydantic import SecretStr

from proto import subjects
from proto.common import Stage
from proto.sample import SampleEnvelope
from services.common.app import Service, create_app, create_service
from services.common.broker import kv_replicas
from services.dedup.kv import KvClaimStore, KvLease
from shared.metrics import Metrics
from shared.pipeline.near_dedup import (
    CheckedHook,
    Judgement,
    NearDedupConfig,
    NearDedupStage,
    NearDuplicateJudge,
)
from shared.settings import ServiceSettings
from shared.similarity.embedders import DEFAULT_EMBEDDER, Embedder, load_embedder
from shared.similarity.hybrid import HybridWeights
from shared.similarity.index import SimilarityIndex
from shared.similarity.locks import MemoryScopeLock, ScopeLock
from shared.similarity.saturation import SaturationTracker

# The runner keeps a run's server state here (services/runner/run.py STATE_DIR); services do
# not import each other, so the name is repeated.
STATE_DIR = ".state"
SATURATION_PREFIX = "_saturation."


class DedupSettings(ServiceSettings):
    out_dir: Path = Path("out")
    qdrant_url: str | None = None
    qdrant_api_key: SecretStr | None = None
    qdrant_path: Path | None = None
    qdrant_prefix: str = "sqlsynth"
    embed_model: str = DEFAULT_EMBEDDER
    model_cache: Path | None = None
    question_threshold: float | None = None
    sql_threshold: float = 0.95
    top_k: int = 5
    candidate_factor: int = 20
    weight_token: float = 0.6
    weight_ast: float = 0.3
    weight_embedding: float = 0.1
    # auto: a KV lease with a Qdrant server (replicas), an in-process lock in local mode.
    lock: Literal["auto", "kv", "memory"] = "auto"
    lock_ttl_s: float = 15.0
    lock_wait_s: float = 30.0
    # How often each replica writes its saturation view of a run to the KV bucket.
    saturation_every_s: float = 1.0

    def index_path(self) -> Path:
        return self.qdrant_path or self.out_dir / STATE_DIR / "qdrant"

    def near_config(self) -> NearDedupConfig:
        return NearDedupConfig(
            question_threshold=self.question_threshold,
            sql_threshold=self.sql_threshold,
            top_k=self.top_k,
            candidate_factor=self.candidate_factor,
            weights=HybridWeights(self.weight_token, self.weight_ast, self.weight_embedding),
        )


def saturation_key(run_id: str, instance: str) -> str:
    """One key per run and replica; the planner merges them (shared merge_saturation)."""
    return f"{SATURATION_PREFIX}{run_id}.{instance}"


class DedupObserver:
    """After each verdict: metrics, and the replica's saturation view in KV (at most 1/s)."""

    def __init__(
        self,
        tracker: SaturationTracker,
        kv: KeyValue,
        metrics: Metrics,
        instance: str,
        every_s: float,
    ) -> None:
        self.tracker = tracker
        self.kv = kv
        self.metrics = metrics
        self.instance = instance
        self.every_s = every_s
        self._last: dict[str, float] = {}
        self.log = structlog.get_logger(stage="dedup")

    async def after(self, envelope: SampleEnvelope, judgement: Judgement) -> None:
        self.metrics.dedup_verdicts.labels(judgement.layer or "accepted").inc()
        for step, seconds in judgement.timings.items():
            self.metrics.dedup_seconds.labels(step).observe(seconds)
        run_id = envelope.run_id
        run = self.tracker.run_stats(run_id)
        self.metrics.dedup_duplicate_rate.labels(run_id).set(run.duplicate_rate)
        similarity = self.metrics.dedup_mean_similarity
        similarity.labels(run_id, "sql").set(run.mean_sql_similarity)
        similarity.labels(run_id, "question").set(run.mean_question_similarity)
        now = time.monotonic()
        if now - self._last.get(run_id, float("-inf")) < self.every_s:
            return
        self._last[run_id] = now
        body = json.dumps(self.tracker.stats(run_id).to_json(), separators=(",", ":")).encode()
        try:
            await self.kv.put(saturation_key(run_id, self.instance), body)
        except Exception as exc:  # a missed update is replaced within a second: never fail a sample
            self.log.warning("saturation not published", run_id=run_id, error=str(exc))


def build_lock(settings: DedupSettings, kv: KeyValue) -> ScopeLock:
    use_kv = settings.lock == "kv" or (settings.lock == "auto" and settings.qdrant_url)
    if use_kv:
        owner = f"{settings.instance}-{uuid.uuid4().hex[:8]}"
        return KvLease(kv, owner, ttl_s=settings.lock_ttl_s, wait_s=settings.lock_wait_s)
    return MemoryScopeLock()


def open_index(settings: DedupSettings, embedder: Embedder) -> SimilarityIndex:
    return SimilarityIndex.open(
        dim=embedder.dim,
        model=embedder.name,
        url=settings.qdrant_url,
        path=None if settings.qdrant_url else settings.index_path(),
        api_key=settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None,
        prefix=settings.qdrant_prefix,
    )


def build_stage(
    settings: DedupSettings,
    kv: KeyValue,
    metrics: Metrics,
    embedder: Embedder,
    index: SimilarityIndex,
    on_checked: CheckedHook | None = None,
) -> NearDedupStage:
    """The stage with its KV claims, lock, saturation tracking and metrics (tests inject)."""
    tracker = SaturationTracker()
    judge = NearDuplicateJudge(
        index,
        embedder,
        KvClaimStore(kv),
        build_lock(settings, kv),
        settings.near_config(),
        tracker,
        on_checked,
    )
    observer = DedupObserver(tracker, kv, metrics, settings.instance, settings.saturation_every_s)
    return NearDedupStage(judge, on_judged=observer.after)


@dataclass
class DedupState:
    index: SimilarityIndex
    stage: NearDedupStage


DedupService = Service[DedupSettings, DedupState]


async def start(service: DedupService) -> None:
    settings = service.settings
    kv = await service.broker.key_value(subjects.DEDUP_BUCKET, replicas=kv_replicas())
    started = time.perf_counter()
    # The first start on a machine distils the static model (about a minute): off the loop.
    embedder = await asyncio.to_thread(load_embedder, settings.embed_model, settings.model_cache)
    index = open_index(settings, embedder)
    stage = build_stage(settings, kv, service.metrics, embedder, index)
    service.started = DedupState(index, stage)
    structlog.get_logger().info(
        "dedup ready",
        model=embedder.name,
        question_threshold=stage.judge.question_threshold,
        sql_threshold=settings.sql_threshold,
        qdrant=settings.qdrant_url or str(settings.index_path()),
        load_s=round(time.perf_counter() - started, 2),
    )


async def stop(service: DedupService) -> None:
    state, service.started = service.started, None
    if state is not None:
        await state.index.close()


def main() -> FastStream:
    service: DedupService = create_service("dedup", DedupSettings())
    service.subscribe_routes(Stage.DEDUP, {subjects.SAMPLE_REVIEWED: lambda: service.state.stage})
    return create_app(service, on_startup=start, on_shutdown=stop)
