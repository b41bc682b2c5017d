"""Live review: the app consumes `sample.awaiting_review` and sends each decision on.

A durable pull consumer ("review") feeds the store: a message is acked only after its envelope
is stored, so an app stopped mid-queue loses nothing (the broker redelivers what was not stored,
the store keeps what was). A decision is published to `sample.accepted` or `sample.rejected`
with the sample's Nats-Msg-Id, then marked published; at start-up every decision stored but not
marked is published again (the message id makes a repeat harmless), so the run still ends.
"""

from __future__ import annotations

import asyncio
import contextlib

import nats
import structlog
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeout
from nats.js.client import JetStreamContext
from pydantic import ValidationError

from proto import subjects
from proto.sample import SampleEnvelope
from services.common.broker import ensure_stream
from services.review.context import ReviewContext
from shared.review.held import HeldSamples
from shared.review.live import settle

DURABLE = "review"
FETCH_BATCH = 32


class LiveQueue:
    def __init__(self, nats_url: str, context: ReviewContext) -> None:
        self.nats_url = nats_url
        self.context = context
        self.held = HeldSamples(context.store)
        self.log = structlog.get_logger(component="review-live")
        self._nc: Client | None = None
        self._task: asyncio.Task[None] | None = None
        context.on_decided = self.send_decision
        self.refresh()

    @property
    def js(self) -> JetStreamContext:
        assert self._nc is not None, "the live queue is not started"
        return self._nc.jetstream()

    def refresh(self) -> None:
        self.context.show_held(self.held.list(self.context.fixed_run_id))

    async def start(self) -> None:
        self._nc = await nats.connect(self.nats_url, max_reconnect_attempts=-1)
        await ensure_stream(self.js)
        await self.send_unsent()
        subscription = await self.js.pull_subscribe(
            subjects.SAMPLE_AWAITING_REVIEW, durable=DURABLE, stream=subjects.STREAM
        )
        self._task = asyncio.create_task(self._consume(subscription))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._nc is not None:
            await self._nc.drain()
        self._task, self._nc = None, None

    async def _consume(self, subscription: JetStreamContext.PullSubscription) -> None:
        while True:
            try:
                messages = await subscription.fetch(FETCH_BATCH, timeout=1.0)
            except (NatsTimeout, TimeoutError):  # nothing waiting (the client raises either)
                continue
            except Exception as exc:  # a broker hiccup: the consumer is durable, try again
                self.log.warning("fetch failed", error=repr(exc))
                await asyncio.sleep(1.0)
                continue
            for msg in messages:
                await self._take(msg)
            self.refresh()

    async def _take(self, msg: Msg) -> None:
        try:
            envelope = SampleEnvelope.model_validate_json(msg.data)
        except ValidationError as exc:
            # Kept with its reason on the poison subject, never dropped (as every service does).
            await self.js.publish(
                subjects.POISON,
                msg.data,
                headers={"sqlsynth-error": str(exc).replace("\n", " ")[:500]},
            )
            await msg.ack()
            return
        # Stored first, acked after: a crash in between is a redelivery, and hold() keeps the
        # first copy.
        await asyncio.to_thread(self.held.hold, envelope)
        await msg.ack()

    async def send_decision(self, record_id: str) -> None:
        """Publish the record's latest decision to the pipeline and mark it sent."""
        context = self.context
        decision = context.store.latest_decisions(context.run_id).get(record_id)
        sample = next(
            (h for h in self.held.list(context.run_id) if h.envelope.sample_id == record_id), None
        )
        if decision is None or sample is None:
            return
        settled = settle(sample.envelope, decision)
        await self.js.publish(
            settled.subject,
            settled.envelope.model_dump_json().encode(),
            headers={"Nats-Msg-Id": settled.envelope.message_id(settled.outcome)},
        )
        self.held.mark_published(context.run_id, record_id, context.store.now())
        context.sent.add(record_id)
        self.log.info("decision sent", record_id=record_id, subject=settled.subject)

    async def send_unsent(self) -> None:
        """Decisions stored before a stop but not yet published (the app died in between)."""
        for sample in self.held.list(self.context.fixed_run_id):
            run_id = sample.envelope.run_id
            decided = self.context.store.latest_decisions(run_id)
            if not sample.published and sample.envelope.sample_id in decided:
                await self.send_decision(sample.envelope.sample_id)
