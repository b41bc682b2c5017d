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


def consumer_config(settings: ServiceSettings) -> ConsumerConfig:
    """Explicit acks, bounded redelivery: after max_deliver the delivery helper rejects."""
    return ConsumerConfig(
        ack_policy=JsAckPolicy.EXPLICIT,
        max_deliver=settings.max_deliver,
        ack_wait=settings.ack_wait_s,
        max_ack_pending=max(settings.workers * 16, 256),
    )


def pull(settings: ServiceSettings) -> PullSub:
    return PullSub(batch_size=min(64, settings.workers * 4), timeout=1.0)
