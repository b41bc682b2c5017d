"""The JetStream stream and consumer definitions, the broker factory, and the per-message
rate-limit nak counts the delivery helper keeps in a KV bucket."""

from __future__ import annotations

import logging
from typing import Protocol

from faststream.nats import ConsumerConfig, JStream, NatsBroker, PullSub
from faststream.nats.prometheus import NatsPrometheusMiddleware
from nats.js import JetStreamContext
from nats.js.api import AckPolicy as JsAckPolicy
from nats.js.api import DiscardPolicy, StorageType, StreamConfig
from nats.js.errors import KeyNotFoundError, NotFoundError
from nats.js.kv import KeyValue
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from proto import subjects
from shared.metrics import Metrics
from shared.settings import ServiceSettings

# File storage so a broker restart loses nothing; the duplicate window makes Nats-Msg-Id
# republishing harmless for ten minutes (a crashed publisher restarts well within that).
DUPLICATE_WINDOW_S = 600


class StreamSettings(BaseSettings):
    """Replication and limits of the stream (env SQLSYNTH_STREAM_*): one replica and no limits
    on a laptop; three replicas and limits in Kubernetes (k8s/base/config.yaml)."""

    model_config = SettingsConfigDict(env_prefix="SQLSYNTH_STREAM_", extra="ignore")

    replicas: int = Field(default=1, ge=1, le=5)
    # -1: no limit. At the limit JetStream discards the OLDEST messages (limits retention keeps
    # acked ones too), so size it far above a run's backlog: docs/kubernetes.md.
    max_bytes: int = Field(default=-1, ge=-1)
    # 0: no limit; must outlast the longest run (and the duplicate window).
    max_age_s: float = Field(default=0.0, ge=0.0)


def kv_replicas() -> int:
    """Key-value buckets (run status and plan, dedup claims, seeds, delivery counts) are streams
    too: replicated like the stream, or losing the one node that holds a bucket stalls the run."""
    return StreamSettings().replicas


class LazyBucket:
    """A KV bucket opened (and created, replicated as the stream) on first use, then kept."""

    def __init__(self, broker: NatsBroker, name: str) -> None:
        self.broker = broker
        self.name = name
        self._kv: KeyValue | None = None

    async def get(self) -> KeyValue:
        if self._kv is None:
            self._kv = await self.broker.key_value(self.name, replicas=kv_replicas())
        return self._kv


def stream_config() -> JStream:
    """The stream every subscriber declares: a fresh object per broker, because FastStream marks
    a JStream as declared after its first broker declares it (a second broker on another server,
    as in tests, would otherwise find no stream)."""
    limits = StreamSettings()
    return JStream(
        name=subjects.STREAM,
        subjects=subjects.STREAM_SUBJECTS,
        storage=StorageType.FILE,
        duplicate_window=DUPLICATE_WINDOW_S,
        num_replicas=limits.replicas,
        max_bytes=limits.max_bytes,
        max_age=limits.max_age_s,
        discard=DiscardPolicy.OLD,
    )


async def ensure_stream(js: JetStreamContext) -> None:
    """The same stream for a plain nats-py client (the runner, the seed publisher), which may
    publish before any service has declared it."""
    try:
        await js.stream_info(subjects.STREAM)
    except NotFoundError:
        limits = StreamSettings()
        await js.add_stream(
            StreamConfig(
                name=subjects.STREAM,
                subjects=subjects.STREAM_SUBJECTS,
                storage=StorageType.FILE,
                duplicate_window=DUPLICATE_WINDOW_S,
                num_replicas=limits.replicas,
                max_bytes=limits.max_bytes,
                max_age=limits.max_age_s,
                discard=DiscardPolicy.OLD,
            )
        )


def build_broker(settings: ServiceSettings, metrics: Metrics, app_name: str) -> NatsBroker:
    # FastStream logs every subscriber task at INFO; our structlog lines say what matters.
    logging.getLogger("faststream").setLevel(logging.WARNING)
    return NatsBroker(
        settings.nats_url,
        middlewares=[NatsPrometheusMiddleware(registry=metrics.registry, app_name=app_name)],
        # Per-message "Received/Processed" lines would drown the JSON logs at 100+ samples/s.
        log_level=logging.DEBUG,
        max_reconnect_attempts=-1,
    )


# Rate-limit naks do not spend a sample's retry budget (`settings.max_deliver`, enforced by the
# delivery helper), but JetStream counts every delivery against the consumer's max_deliver and
# silently stops redelivering at it. So the consumer allows this many deliveries on top of the
# budget, for rate limits only; the helper rejects (with the reason) on the last delivery
# JetStream would make, so that cap can never drop a sample. With rate-limit delays growing to
# `backoff_max_s` (15 s) this is about 50 minutes of continuous 429s for one sample.
RATE_LIMIT_DELIVERIES = 200
# Rate-limit naks per message, shared by the replicas of a consumer (a redelivery can land on any
# replica) and kept across restarts. Belongs in proto/subjects.py with the other buckets.
DELIVERY_BUCKET = "sqlsynth_delivery"
DELIVERY_BUCKET_TTL_S = 24 * 3600.0


def consumer_max_deliver(settings: ServiceSettings) -> int:
    """JetStream's own cap: always above the helper's budget (see RATE_LIMIT_DELIVERIES)."""
    return settings.max_deliver + RATE_LIMIT_DELIVERIES


def consumer_config(settings: ServiceSettings) -> ConsumerConfig:
    """Explicit acks, bounded redelivery: the delivery helper rejects before JetStream gives up."""
    return ConsumerConfig(
        ack_policy=JsAckPolicy.EXPLICIT,
        max_deliver=consumer_max_deliver(settings),
        ack_wait=settings.ack_wait_s,
        max_ack_pending=max(settings.workers * 16, 256),
    )


def pull(settings: ServiceSettings) -> PullSub:
    # A fetched message waits for a free worker without in-progress acks (FastStream hands it
    # to the handler only then), and JetStream redelivers it after the ack wait: with slow
    # handlers (an LLM sample takes seconds to minutes) a deep prefetch means double work and
    # double spend. So fetch about a quarter of the workers at a time: enough to keep them
    # busy, shallow enough that a fetched message waits a fraction of one handler's time.
    return PullSub(batch_size=max(1, min(64, settings.workers // 4)), timeout=1.0)


class NakCounter(Protocol):
    """Rate-limit naks per message (see RATE_LIMIT_DELIVERIES and services.common.delivery)."""

    async def get(self, key: str) -> int: ...

    async def add(self, key: str) -> int: ...


class MemoryNakCounter:
    """Per process: the fallback when the KV bucket cannot be reached."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    async def get(self, key: str) -> int:
        return self.counts.get(key, 0)

    async def add(self, key: str) -> int:
        self.counts[key] = self.counts.get(key, 0) + 1
        return self.counts[key]


class KvNakCounter:
    """In JetStream KV. One worker holds a message at a time (in-progress acks), so a plain
    read-then-write is enough; the bucket's TTL forgets messages long finished."""

    def __init__(self, kv: KeyValue) -> None:
        self.kv = kv

    async def get(self, key: str) -> int:
        try:
            entry = await self.kv.get(key)
        except KeyNotFoundError:
            return 0
        return int(entry.value or b"0")

    async def add(self, key: str) -> int:
        count = await self.get(key) + 1
        await self.kv.put(key, str(count).encode())
        return count
