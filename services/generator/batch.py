"""The generator's batch mode on the broker: planned messages held (unacked, kept alive) while
their samples wait in a Message Batches job, then published and acked one by one.

The handler does not wait for the job: it hands the sample to the BatchCollector
(shared.pipeline.batching) and returns, so the consumer keeps fetching while jobs run (a job
takes one batch round per section, minutes to hours at the provider). How many messages can be
held is the consumer's max_ack_pending (services.common.broker.consumer_config). One task sends
in-progress acks for every held message for as long as this process holds it; there is no
deadline as for online handlers (services.common.delivery.KEEP_ALIVE_MAX_S), because a batch is
legitimately slow. If the process dies the beats stop, JetStream redelivers after the ack wait
and the collector regroups the samples under their journaled job name: BatchRunner resumes
polling instead of submitting again.

What the batch cannot do goes through the online path with the ordinary delivery policy
(SampleDelivery): SQL-only seeds at once, and samples the provider failed (with what the batch
already spent on them added to their cost).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict
from dataclasses import dataclass

import structlog
from faststream.nats import NatsBroker
from faststream.nats.annotations import NatsMessage
from nats.errors import Error as NatsError
from nats.errors import NotJSMessageError
from pydantic import ValidationError

from proto.common import Stage
from proto.sample import SampleEnvelope
from services.common.delivery import FINISHED_MEMORY, SampleDelivery, StageFn, publish_sample
from shared.logging import bind_sample
from shared.metrics import Metrics
from shared.pipeline.batching import (
    BatchCollector,
    BatchGeneratorStage,
    BatchJournal,
    GoOnline,
    Publish,
    Resolution,
    batchable,
    sample_key,
)
from shared.pipeline.emit import Emit

STAGE = Stage.GENERATOR


@dataclass
class Held:
    """A planned message waiting for its batch job (the newest delivery, if redelivered)."""

    msg: NatsMessage
    envelope: SampleEnvelope
    since: float


class BatchIntake:
    def __init__(
        self,
        broker: NatsBroker,
        metrics: Metrics,
        delivery: SampleDelivery,
        online: StageFn,
        stage: BatchGeneratorStage,
        journal: BatchJournal,
        *,
        size: int,
        wait_s: float,
        beat_s: float,
    ) -> None:
        self.broker = broker
        self.metrics = metrics
        self.delivery = delivery
        self.online = online
        self.journal = journal
        self.beat_s = beat_s
        self.log = structlog.get_logger(stage=STAGE.value, mode="batch")
        self.collector: BatchCollector[SampleEnvelope, Resolution] = BatchCollector(
            stage, self._settle, size=size, wait_s=wait_s, journal=journal
        )
        self.held: dict[str, Held] = {}
        # Samples acked here: a stale redelivery of one is acked again, not batched again.
        self.finished: OrderedDict[str, None] = OrderedDict()
        self.closed = False
        self._beater: asyncio.Task[None] | None = None

    async def handle(self, msg: NatsMessage) -> None:
        if self.closed:  # shutting down: leave it unacked, the next generator gets it
            return
        try:
            envelope = SampleEnvelope.model_validate_json(msg.body)
        except ValidationError:
            await self.delivery.handle(msg, self.online)  # poison, with the reason
            return
        if not batchable(envelope):
            await self.delivery.handle(msg, self.online)
            return
        key = sample_key(envelope)
        if key in self.finished:
            await msg.ack()
            return
        if key in self.held:  # redelivered while waiting (beats lost): keep the newest delivery
            self.held[key].msg = msg
            return
        if not self.collector.add(key, envelope):
            # Being settled right now (published, or online): left unacked, it comes back
            # after the ack wait and is acked as finished or queued again.
            self.log.warning("redelivery of a sample being settled", sample=key)
            return
        self.held[key] = Held(msg, envelope, time.perf_counter())
        self.metrics.in_flight.labels(STAGE.value).inc()
        self._ensure_beating()

    async def _settle(
        self, name: str, key: str, envelope: SampleEnvelope, outcome: Resolution | BaseException
    ) -> None:
        held = self.held.pop(key, None)
        if held is None:  # pragma: no cover - every added key is held until settled here
            return
        self.metrics.in_flight.labels(STAGE.value).dec()
        bind_sample(envelope.run_id, envelope.sample_id, attempt=envelope.attempt, batch=name)
        if isinstance(outcome, Publish):
            await self._publish(held, outcome.emits)
            self.journal.settle(name, key)
            self._finish(key)
            return
        if isinstance(outcome, GoOnline):
            reason, spent = outcome.reason, outcome.spent
        else:
            reason, spent = f"batch job failed: {type(outcome).__name__}: {outcome}", None
        self.log.warning("generating online instead", batch=name, reason=reason)
        self.metrics.samples.labels(STAGE.value, "batch_fallback").inc()
        done = False

        async def online(planned: SampleEnvelope) -> list[Emit]:
            nonlocal done
            if spent is not None:
                planned.cost = planned.cost.add(spent)
            emits = list(await self.online(planned))
            done = True
            return emits

        await self.delivery.handle(held.msg, online)
        if done:  # published and acked; a retry (nak) comes back and regroups under `name`
            self.journal.settle(name, key)
            self._finish(key)

    async def _publish(self, held: Held, emits: list[Emit]) -> None:
        for emit in emits:
            await publish_sample(self.broker, emit)
            self.metrics.samples.labels(STAGE.value, emit.outcome.value).inc()
        await held.msg.ack()
        self.metrics.stage_seconds.labels(STAGE.value).observe(time.perf_counter() - held.since)

    def _finish(self, key: str) -> None:
        self.finished[key] = None
        while len(self.finished) > FINISHED_MEMORY:
            self.finished.popitem(last=False)

    def _ensure_beating(self) -> None:
        if self._beater is None or self._beater.done():
            self._beater = asyncio.create_task(self._beat())

    async def _beat(self) -> None:
        while self.held:
            await asyncio.sleep(self.beat_s)
            for key, held in list(self.held.items()):
                try:
                    await held.msg.in_progress()
                except (NatsError, NotJSMessageError, OSError) as exc:
                    # The message comes back after its ack wait and rejoins its job by name.
                    self.log.warning("in-progress ack failed", sample=key, error=str(exc))

    async def aclose(self) -> None:
        """Stop the jobs here; nak what is held so the next generator resumes it at once."""
        self.closed = True
        await self.collector.aclose()
        if self._beater is not None:
            self._beater.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._beater
        for held in self.held.values():
            self.metrics.in_flight.labels(STAGE.value).dec()
            with contextlib.suppress(NatsError, NotJSMessageError, OSError):
                await held.msg.nack()
        self.held.clear()
