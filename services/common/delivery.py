"""How a sample message is handled: decode, run the stage, publish, then ack — or retry/reject.

One policy for every service, with the ack set explicitly (FastStream's NATS default would
terminate a message whose handler raised) and errors sorted once (shared.errors):
- the stage function returns the messages to publish; they are published with a Nats-Msg-Id
  before the input is acked, so a crash in between only causes a deduplicated republish;
- while the stage runs, the message is kept alive with in-progress acks: an LLM sample takes
  several calls (and waits in the rate limiter), far longer than the ack wait that brings a
  crashed worker's messages back quickly. Without them the message would be redelivered to a
  second worker while the first still works on it: paid twice, and counted as a retry;
- a retryable error is a delayed nak with exponential backoff, until the sample's retry budget
  (`settings.max_deliver` deliveries) is spent: then it is rejected with the last reason;
- a rate limit is a delayed nak of at least the provider's retry-after that does *not* spend the
  budget (a long 429 storm must slow the run, not reject its samples: NeMo DataDesigner #575).
  JetStream cannot be told which deliveries to count, so the helper counts rate-limit naks per
  message in a KV bucket (shared by replicas, kept across restarts) and charges the budget with
  the other deliveries only. The consumer's own max_deliver sits far above the budget
  (broker.RATE_LIMIT_DELIVERIES), and the helper rejects on the last delivery JetStream would
  make, so no sample is ever dropped silently by the broker;
- any other exception is a bug or poison for this sample: it is rejected with its reason;
- bytes that are not a sample envelope go to the poison subject with the error, then ack;
- a redelivery of a message this process is still handling (it waited for a worker past its ack
  wait) is left to that handler, and one of a message it already acked is acked again: the
  stage never runs twice at once for one message here, which would pay the LLM twice.
Whatever a failed attempt had spent on an LLM (`exc.cost`) is added to a rejected envelope.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass

import structlog
from faststream.nats import NatsBroker
from faststream.nats.annotations import NatsMessage
from nats.errors import Error as NatsError
from nats.errors import MaxPayloadError, NotJSMessageError
from pydantic import ValidationError

from proto import subjects
from proto.common import Outcome, Stage
from proto.sample import ErrorClass, SampleEnvelope, TokenCost
from proto.versions import UnsupportedVersion, decode
from services.common.broker import (
    DELIVERY_BUCKET,
    DELIVERY_BUCKET_TTL_S,
    KvNakCounter,
    MemoryNakCounter,
    NakCounter,
    consumer_max_deliver,
    kv_replicas,
)
from services.common.spend import SpendCounter
from shared.errors import (
    Outage,
    OversizedMessage,
    ProviderUnavailable,
    RateLimited,
    is_retryable,
)
from shared.logging import bind_sample
from shared.metrics import Metrics
from shared.pipeline.budget import Spent, spent_between
from shared.pipeline.emit import Emit, reject
from shared.pipeline.engines import spent_by
from shared.settings import ServiceSettings

POISON_SUBJECT = subjects.POISON
# Rate-limit delays are spread by up to this fraction, so a storm's naks do not all come back
# in the same instant and hit the provider together again.
RATE_LIMIT_JITTER = 0.2
# A handler still running after this long is presumed hung: stop the in-progress acks so
# JetStream hands the message to another worker.
KEEP_ALIVE_MAX_S = 900.0
# Messages this process acked, remembered so a stale redelivery of one is acked, not redone.
FINISHED_MEMORY = 10_000


StageFn = Callable[[SampleEnvelope], Awaitable[Sequence[Emit]]]


async def publish_sample(broker: NatsBroker, emit: Emit) -> None:
    await broker.publish(
        emit.envelope.model_dump_json().encode(),
        emit.subject,
        headers={"Nats-Msg-Id": emit.envelope.message_id(emit.outcome)},
        stream=subjects.STREAM,
    )


@dataclass(frozen=True)
class Delivery:
    """Where a message stands with JetStream: its delivery count, and who consumes it."""

    delivered: int
    # "<consumer>.<stream sequence>": names this message for this consumer (None: not JetStream).
    key: str | None = None
    consumer: str | None = None


def describe_delivery(msg: NatsMessage) -> Delivery:
    """JetStream's delivery count and the message's key (count 1, no key: core/in-memory)."""
    try:
        meta = msg.raw_message.metadata
    except NotJSMessageError:
        return Delivery(1)
    return Delivery(
        int(meta.num_delivered), f"{meta.consumer}.{meta.sequence.stream}", meta.consumer
    )


def backoff_delay(settings: ServiceSettings, delivered: int) -> float:
    return float(min(settings.backoff_max_s, settings.backoff_base_s * 2 ** max(0, delivered - 1)))


def retry_delay(
    exc: BaseException,
    *,
    delivered: int,
    rate_limited: int,
    settings: ServiceSettings,
    cap: int,
    jitter: float = 0.0,
) -> float | None:
    """The nak delay after a failed delivery, or None when the sample must be rejected now.

    `delivered` counts this delivery; `rate_limited` the earlier ones that ended in a rate-limit
    nak; `cap` is the consumer's max_deliver (<= 0: unlimited). Only the other deliveries spend
    the budget of `settings.max_deliver`.
    """
    if not is_retryable(exc) or (cap > 0 and delivered >= cap):
        return None  # final, or JetStream would never deliver it again
    if isinstance(exc, Outage):
        backoff = backoff_delay(settings, rate_limited + 1)
        return max(retry_after(exc), backoff) * (1.0 + jitter)
    spent = delivered - min(rate_limited, delivered - 1)
    if spent >= settings.max_deliver:
        return None
    return backoff_delay(settings, spent)


def retry_after(exc: BaseException) -> float:
    value = getattr(exc, "retry_after_s", None)
    return float(value) if isinstance(value, int | float) else 0.0


def final_error_class(exc: BaseException, stage: Stage) -> ErrorClass:
    if isinstance(exc, RateLimited | ProviderUnavailable):
        return ErrorClass.LLM  # the provider's trouble, not an engine's
    if is_retryable(exc):
        return ErrorClass.ENGINE_UNAVAILABLE
    return ErrorClass.GENERATION if stage is Stage.GENERATOR else ErrorClass.MALFORMED


class SampleDelivery:
    """Wraps a stage function with the delivery policy above."""

    def __init__(
        self,
        stage: Stage,
        broker: NatsBroker,
        settings: ServiceSettings,
        metrics: Metrics,
        counter: NakCounter | None = None,
    ) -> None:
        self.stage = stage
        self.broker = broker
        self.settings = settings
        self.metrics = metrics
        metrics.prime(stage.value, [*(o.value for o in Outcome), "poison", "redelivery_skipped"])
        self.log = structlog.get_logger(stage=stage.value)
        self.counter = counter
        self.fallback = MemoryNakCounter()
        self.caps: dict[str, int] = {}
        self.active: dict[str, float] = {}
        self.spend = SpendCounter(broker)
        self.finished: OrderedDict[str, None] = OrderedDict()

    async def _charge(self, run_id: str, before: TokenCost, emits: Sequence[Emit]) -> None:
        """Add what this stage spent to the run's shared counter (its budget is read by the
        planner). Before publishing: a crash in between re-runs the stage, which is paid again."""
        delta = max(
            (spent_between(before, e.envelope.cost) for e in emits),
            key=lambda s: (s.usd, s.tokens),
            default=Spent(),
        )
        if delta.usd > 0 or delta.tokens > 0:
            try:
                await self.spend.add(run_id, delta)
            except Exception as exc:  # the sample must not be lost to the counter: say so
                self.log.error("spend counter not updated", error=repr(exc)[:300])

    async def handle(self, msg: NatsMessage, fn: StageFn) -> None:
        started = time.perf_counter()
        try:
            envelope = decode(SampleEnvelope, msg.body)
        except (ValidationError, UnsupportedVersion) as exc:
            await self._poison(msg, exc)
            return
        bind_sample(envelope.run_id, envelope.sample_id, attempt=envelope.attempt)
        delivery = describe_delivery(msg)
        if await self._skip_redelivery(msg, delivery):
            return
        if delivery.key is not None:
            self.active[delivery.key] = time.monotonic()
        try:
            await self._run(msg, envelope, fn, delivery, started)
        finally:
            if delivery.key is not None:
                self.active.pop(delivery.key, None)

    async def _run(
        self,
        msg: NatsMessage,
        envelope: SampleEnvelope,
        fn: StageFn,
        delivery: Delivery,
        started: float,
    ) -> None:
        """Run the stage, publish what it asks, ack; or hand the failure to `_on_error`."""
        self.metrics.in_flight.labels(self.stage.value).inc()
        before = envelope.cost  # stages replace envelope.cost in place; keep the old total
        try:
            async with self._keep_alive(msg, delivery):
                emits = await fn(envelope)
        except Exception as exc:  # sorted below: retry, or reject with the reason
            await self._on_error(msg, envelope, exc, delivery)
            return
        finally:
            self.metrics.in_flight.labels(self.stage.value).dec()
        await self._charge(envelope.run_id, before, emits)
        try:
            for emit in emits:
                await publish_sample(self.broker, emit)
                self.metrics.samples.labels(self.stage.value, emit.outcome.value).inc()
        except MaxPayloadError:
            # Redelivering would rebuild the same output: reject the sample (its input fitted).
            size = max(len(emit.envelope.model_dump_json()) for emit in emits)
            reason = f"this stage's output is {size} bytes, over the broker's payload limit"
            await self._on_error(msg, envelope, OversizedMessage(reason), delivery)
            return
        await self._ack(msg, delivery)
        self.metrics.stage_seconds.labels(self.stage.value).observe(time.perf_counter() - started)

    async def _skip_redelivery(self, msg: NatsMessage, delivery: Delivery) -> bool:
        key = delivery.key
        # Any copy, not only a redelivery: when both copies wait for a worker, the redelivered
        # one may get a worker first, and the original then arrives second.
        if key is None:
            return False
        if key in self.finished:
            await msg.ack()  # the first delivery was handled and acked; this one is stale
        else:
            started = self.active.get(key)
            # A handler past KEEP_ALIVE_MAX_S is presumed hung: let this delivery run.
            if started is None or time.monotonic() - started > KEEP_ALIVE_MAX_S:
                return False
        self.log.warning("redelivery of a message handled here", delivered=delivery.delivered)
        self.metrics.samples.labels(self.stage.value, "redelivery_skipped").inc()
        return True

    async def _ack(self, msg: NatsMessage, delivery: Delivery) -> None:
        await msg.ack()
        if delivery.key is not None:
            self.finished[delivery.key] = None
            while len(self.finished) > FINISHED_MEMORY:
                self.finished.popitem(last=False)

    @contextlib.asynccontextmanager
    async def _keep_alive(self, msg: NatsMessage, delivery: Delivery) -> AsyncIterator[None]:
        if delivery.key is None:  # not a JetStream message: nothing to keep alive
            yield
            return
        task = asyncio.create_task(self._beat(msg, max(0.5, self.settings.ack_wait_s / 3)))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _beat(self, msg: NatsMessage, interval_s: float) -> None:
        deadline = time.monotonic() + KEEP_ALIVE_MAX_S
        while time.monotonic() < deadline:
            await asyncio.sleep(interval_s)
            try:
                await msg.in_progress()
            except (NatsError, NotJSMessageError, OSError) as exc:
                # The connection is gone: the message comes back after its ack wait anyway.
                self.log.warning("in-progress ack failed", error=str(exc))
                return

    async def _on_error(
        self, msg: NatsMessage, envelope: SampleEnvelope, exc: Exception, delivery: Delivery
    ) -> None:
        reason = f"{type(exc).__name__}: {exc}"
        delivered, rate_limited, cap = delivery.delivered, 0, consumer_max_deliver(self.settings)
        if is_retryable(exc) and delivery.key is not None:
            rate_limited = await self._count(delivery.key, add=False)
            cap = await self._cap(delivery.consumer)
        jitter = RATE_LIMIT_JITTER * random.random()
        delay = retry_delay(
            exc,
            delivered=delivered,
            rate_limited=rate_limited,
            settings=self.settings,
            cap=cap,
            jitter=jitter,
        )
        if delay is not None:
            limited = isinstance(exc, Outage)
            if limited and delivery.key is not None:
                await self._count(delivery.key, add=True)
            self.metrics.retries.labels(self.stage.value, type(exc).__name__).inc()
            self.log.warning(
                "retrying", reason=reason, delivered=delivered, rate_limited=limited, delay_s=delay
            )
            await msg.nack(delay=delay)
            return
        if isinstance(exc, Outage):
            waited = "rate limited" if isinstance(exc, RateLimited) else "unavailable"
            reason = f"{waited} on all {delivered} deliveries JetStream allows: {reason}"
        elif is_retryable(exc):
            spent = delivered - min(rate_limited, delivered - 1)
            reason = f"retries exhausted after {spent} deliveries: {reason}"
        else:
            self.log.exception("stage failed", reason=reason)
        envelope.cost = envelope.cost.add(spent_by(exc))
        emit = reject(envelope, self.stage, reason, final_error_class(exc, self.stage))
        await publish_sample(self.broker, emit)
        self.metrics.samples.labels(self.stage.value, Outcome.REJECTED.value).inc()
        await self._ack(msg, delivery)

    async def _count(self, key: str, *, add: bool) -> int:
        """Rate-limit naks of this message so far (after adding one, when `add`)."""
        if self.counter is None:
            try:
                kv = await self.broker.key_value(
                    DELIVERY_BUCKET, ttl=DELIVERY_BUCKET_TTL_S, replicas=kv_replicas()
                )
                self.counter = KvNakCounter(kv)
            except (NatsError, OSError) as exc:
                self.log.warning("nak counts kept in memory", error=str(exc))
                self.counter = self.fallback
        try:
            return await (self.counter.add(key) if add else self.counter.get(key))
        except (NatsError, OSError) as exc:
            self.log.warning("nak count unavailable, using this process's", error=str(exc))
            return await (self.fallback.add(key) if add else self.fallback.get(key))

    async def _cap(self, consumer: str | None) -> int:
        """The consumer's real max_deliver: a consumer created by an older version keeps its
        config (nats-py binds to an existing durable without updating it), and the helper
        must reject before *that* cap, not the one it would configure today."""
        expected = consumer_max_deliver(self.settings)
        if consumer is None:
            return expected
        if consumer not in self.caps:
            try:
                info = await self.broker.connection.jetstream().consumer_info(
                    subjects.STREAM, consumer
                )
                cap = int(info.config.max_deliver or -1)
            except (NatsError, OSError) as exc:
                self.log.warning("consumer info unavailable", consumer=consumer, error=str(exc))
                return expected
            if 0 < cap <= self.settings.max_deliver:
                self.log.warning(
                    "consumer max_deliver leaves no room for rate-limit naks; recreate it",
                    consumer=consumer,
                    max_deliver=cap,
                    wanted=expected,
                )
            self.caps[consumer] = cap
        return self.caps[consumer]

    async def _poison(self, msg: NatsMessage, exc: Exception) -> None:
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
