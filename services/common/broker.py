"""The JetStream stream and consumer definitions, and the broker factory."""

from __future__ import annotations

import logging

from faststream.nats import ConsumerConfig, JStream, NatsBroker, PullSub
from faststream.nats.prometheus import NatsPrometheusMiddleware
from nats.js.api import AckPolicy as JsAckPolicy
from nats.js.api import StorageType

from proto import subjects
from shared.metrics import Metrics
from shared.settings import ServiceSettings

# File storage so a broker restart loses nothing; the duplicate window makes Nats-Msg-Id
# republishing harmless for ten minutes (a crashed publisher restarts well within that).
STREAM = JStream(
    name=subjects.STREAM,
    subjects=subjects.STREAM_SUBJECTS,
    storage=StorageType.FILE,
    duplicate_window=600,
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
    return PullSub(batch_size=min(64, settings.workers * 4), timeout=1.0)
