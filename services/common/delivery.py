"""How a sample message is handled: decode, run the stage, publish, then ack — or retry/reject.

One policy for every service (HOUSE_STYLE 6 and 7):
- the stage function returns the messages to publish; they are published with a Nats-Msg-Id
  before the input is acked, so a crash in between only causes a deduplicated republish;
- a retryable error (engine down, rate limit) is a delayed nak with exponential backoff, until
  JetStream's max_deliver: then the sample is rejected with the last reason;
- any other exception is a bug or poison for this sample: it is rejected with its reason;
- bytes that are not a sample envelope go to the poison subject with the error, then ack.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence

import structlog
from faststream.nats import NatsBroker
from faststream.nats.annotations import NatsMessage
from nats.errors import NotJSMessageError
from pydantic import ValidationError

from proto import subjects
from proto.common import Outcome, Stage
from proto.sample import ErrorClass, SampleEnvelope
from shared.errors import is_retryable
from shared.logging import bind_sample
from shared.metrics import Metrics
from shared.pipeline.emit import Emit, reject
from shared.settings import ServiceSettings

POISON_SUBJECT = subjects.POISON


StageFn = Callable[[SampleEnvelope], Awaitable[Sequence[Emit]]]


async def publish_sample(broker: NatsBroker, emit: Emit) -> None:
    await broker.publish(
        emit.envelope.model_dump_json().encode(),
        emit.subject,
        headers={"Nats-Msg-Id": emit.envelope.message_id(emit.outcome)},
        stream=subjects.STREAM,
    )


def delivery_count(msg: NatsMessage) -> int:
    """How many times JetStream delivered this message (1 for a core/in-memory message)."""
    try:
        return int(msg.raw_message.metadata.num_delivered)
    except NotJSMessageError:
        return 1


def backoff_delay(settings: ServiceSettings, delivered: int) -> float:
    return float(min(settings.backoff_max_s, settings.backoff_base_s * 2 ** max(0, delivered - 1)))


class SampleDelivery:
    """Wraps a stage function with the delivery policy above."""

    def __init__(
        self,
        stage: Stage,
        broker: NatsBroker,
        settings: ServiceSettings,
        metrics: Metrics,
    ) -> None:
        self.stage = stage
        self.broker = broker
        self.settings = settings
        self.metrics = metrics
        self.log = structlog.get_logger(stage=stage.value)

    async def handle(self, msg: NatsMessage, fn: StageFn) -> None:
        started = time.perf_counter()
        try:
            envelope = SampleEnvelope.model_validate_json(msg.body)
        except ValidationError as exc:
            await self._poison(msg, exc)
            return
        bind_sample(envelope.run_id, envelope.sample_id, attempt=envelope.attempt)
        delivered = delivery_count(msg)
        self.metrics.in_flight.labels(self.stage.value).inc()
        try:
            emits = await fn(envelope)
        except Exception as exc:  # sorted below: retry, or reject with the reason
            await self._on_error(msg, envelope, exc, delivered)
            return
        finally:
            self.metrics.in_flight.labels(self.stage.value).dec()
        for emit in emits:
            await publish_sample(self.broker, emit)
            self.metrics.samples.labels(self.stage.value, emit.outcome.value).inc()
        await msg.ack()
        self.metrics.stage_seconds.labels(self.stage.value).observe(time.perf_counter() - started)

    async def _on_error(
        self, msg: NatsMessage, envelope: SampleEnvelope, exc: Exception, delivered: int
    ) -> None:
        reason = f"{type(exc).__name__}: {exc}"
        if is_retryable(exc) and delivered < self.settings.max_deliver:
            delay = backoff_delay(self.settings, delivered)
            self.metrics.retries.labels(self.stage.value, type(exc).__name__).inc()
            self.log.warning("retrying", reason=reason, delivered=delivered, delay_s=delay)
            await msg.nack(delay=delay)
            return
        if is_retryable(exc):
            reason = f"retries exhausted after {delivered} deliveries: {reason}"
            error_class = ErrorClass.ENGINE_UNAVAILABLE
        else:
            self.log.exception("stage failed", reason=reason)
            error_class = (
                ErrorClass.GENERATION if self.stage is Stage.GENERATOR else (ErrorClass.MALFORMED)
            )
        emit = reject(envelope, self.stage, reason, error_class)
        await publish_sample(self.broker, emit)
        self.metrics.samples.labels(self.stage.value, Outcome.REJECTED.value).inc()
        await msg.ack()

    async def _poison(self, msg: NatsMessage, exc: ValidationError) -> None:
        """Undecodable bytes: keep them with the reason on the poison subject, never drop."""
        self.log.error("malformed message", error=str(exc)[:500], subject=msg.raw_message.subject)
        await self.broker.publish(
            msg.body,
            POISON_SUBJECT,
            headers={
                "Sqlsynth-Error": str(exc).replace("\n", " ")[:1000],
                "Sqlsynth-Subject": msg.raw_message.subject,
                "Sqlsynth-Stage": self.stage.value,
            },
            stream=subjects.STREAM,
        )
        self.metrics.samples.labels(self.stage.value, "poison").inc()
        await msg.ack()
