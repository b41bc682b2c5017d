"""Rate limits and the retry budget: the policy as a pure function, then on a real JetStream
(a private nats-server): rate-limit naks do not spend the budget, other retries do, a consumer
with a low max_deliver still never drops a sample, and long handlers keep their message."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any

import nats
import pytest
from nats.js.api import AckPolicy, ConsumerConfig, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from proto import subjects
from proto.common import Outcome, Stage
from proto.sample import ErrorClass, SampleEnvelope, TokenCost
from services.common.app import Service, create_service
from services.common.broker import DELIVERY_BUCKET, RATE_LIMIT_DELIVERIES, consumer_max_deliver
from services.common.delivery import final_error_class, retry_delay
from shared.errors import EngineUnavailable, GenerationError, RateLimited
from shared.llm.errors import LlmRateLimited, LlmUnavailable
from shared.pipeline.emit import Emit
from shared.runtime.local import LocalStack
from shared.settings import ServiceSettings
from tests.unit.pipeline.conftest import make_envelope

SETTINGS = ServiceSettings(max_deliver=3, backoff_base_s=0.5, backoff_max_s=8.0)
CAP = consumer_max_deliver(SETTINGS)


def limited(after: float | None = 2.0) -> LlmRateLimited:
    return LlmRateLimited("429 rate_limit_error", status=429, retry_after_s=after)


def delay(
    exc: BaseException, delivered: int, rate_limited: int = 0, cap: int = CAP
) -> float | None:
    return retry_delay(
        exc, delivered=delivered, rate_limited=rate_limited, settings=SETTINGS, cap=cap
    )


# --- the policy, pure ------------------------------------------------------------------------


def test_the_consumer_cap_leaves_room_for_rate_limits_above_the_budget() -> None:
    assert CAP == SETTINGS.max_deliver + RATE_LIMIT_DELIVERIES > SETTINGS.max_deliver


def test_rate_limit_naks_wait_the_retry_after_and_spend_no_budget() -> None:
    # Delivery 50, all 49 before it rate limited: still retried, never "exhausted".
    assert delay(limited(2.0), delivered=50, rate_limited=49) == 8.0  # backoff cap > 2 s
    assert delay(limited(2.0), delivered=1) == 2.0  # the provider's retry-after beats 0.5 s
    assert delay(limited(30.0), delivered=3, rate_limited=2) == 30.0
    assert delay(limited(None), delivered=1) == 0.5
    jittered = retry_delay(
        limited(2.0), delivered=1, rate_limited=0, settings=SETTINGS, cap=CAP, jitter=0.2
    )
    assert jittered is not None and 2.0 <= jittered <= 2.4


def test_other_retries_spend_the_budget_whatever_rate_limits_came_before() -> None:
    down = EngineUnavailable("postgres: connection refused")
    assert delay(down, delivered=1) == 0.5
    assert delay(down, delivered=2) == 1.0
    assert delay(down, delivered=3) is None  # the third delivery was the last of the budget
    # Ten rate-limit naks first: the same three deliveries for the outage.
    assert delay(down, delivered=11, rate_limited=10) == 0.5
    assert delay(down, delivered=13, rate_limited=10) is None
    # A count larger than possible (a stale key) never grants more than the budget.
    assert delay(down, delivered=3, rate_limited=7) == 0.5


def test_the_last_delivery_jetstream_allows_is_never_nakked() -> None:
    assert delay(limited(), delivered=CAP, rate_limited=CAP - 1) is None
    assert delay(limited(), delivered=CAP - 1, rate_limited=CAP - 2) is not None
    assert delay(limited(), delivered=500, rate_limited=499, cap=-1) is not None  # unlimited


def test_final_errors_are_not_retried_and_are_classified() -> None:
    assert delay(GenerationError("bad blueprint"), delivered=1) is None
    assert delay(ValueError("bug"), delivered=1) is None
    assert final_error_class(limited(), Stage.GENERATOR) is ErrorClass.LLM
    assert final_error_class(LlmUnavailable("500", status=500), Stage.REVISER) is ErrorClass.LLM
    assert final_error_class(RateLimited("429"), Stage.REVISER) is ErrorClass.LLM
    down = EngineUnavailable("x")
    assert final_error_class(down, Stage.VALIDATOR) is ErrorClass.ENGINE_UNAVAILABLE
    assert final_error_class(ValueError("bug"), Stage.GENERATOR) is ErrorClass.GENERATION
    assert final_error_class(ValueError("bug"), Stage.DEDUP) is ErrorClass.MALFORMED


# --- on a real JetStream -----------------------------------------------------------------------

StageFn = Callable[[SampleEnvelope], Awaitable[Sequence[Emit]]]


@pytest.fixture(scope="module")
def nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    stack = LocalStack.start(["nats"], base=tmp_path_factory.mktemp("nats"))
    try:
        if stack.unavailable:
            pytest.fail(f"nats-server unavailable: {stack.unavailable}")
        yield stack.dsn("nats") or ""
    finally:
        stack.stop()


class Harness:
    """One subscriber under the delivery policy, on its own subjects and durable."""

    def __init__(self, url: str, ack_wait_s: float = 1.0, workers: int = 8) -> None:
        token = uuid.uuid4().hex[:8]
        self.url = url
        self.inbox = f"{subjects.PREFIX}.test.{token}.in"
        self.outbox = f"{subjects.PREFIX}.test.{token}.out"
        self.durable = f"test-{token}"
        self.settings = ServiceSettings(
            nats_url=url,
            max_deliver=3,
            workers=workers,
            ack_wait_s=ack_wait_s,
            backoff_base_s=0.02,
            backoff_max_s=0.1,
        )
        self.service: Service[ServiceSettings, Any] = create_service("test", self.settings)
        self.sample_id = f"s-{token}"

    async def run(
        self,
        fn: StageFn,
        done: Callable[[], bool],
        timeout_s: float = 20.0,
        samples: int = 1,
    ) -> None:
        self.service.sample_subscriber(self.inbox, self.durable, Stage.DEDUP, lambda: fn)
        broker = self.service.broker
        await broker.start()
        try:
            for i in range(samples):
                sample_id = self.sample_id if samples == 1 else f"{self.sample_id}-{i}"
                envelope = make_envelope(sample_id, run_id="delivery-test")
                await broker.publish(
                    envelope.model_dump_json().encode(), self.inbox, stream=subjects.STREAM
                )
            deadline = asyncio.get_running_loop().time() + timeout_s
            while not done():
                assert asyncio.get_running_loop().time() < deadline, "stage never finished"
                await asyncio.sleep(0.05)
            await self.wait_settled(deadline)
        finally:
            await broker.stop()

    async def wait_settled(self, deadline: float) -> None:
        """Until JetStream holds nothing undelivered or unacked for the consumer: every copy was
        handled or skipped and acked (outputs are published before the ack), and an acked
        message is never redelivered, so nothing can happen after this."""
        nc = await nats.connect(self.url)
        try:
            js = nc.jetstream()
            while True:
                info = await js.consumer_info(subjects.STREAM, self.durable)
                if not info.num_ack_pending and not info.num_pending:
                    return
                assert asyncio.get_running_loop().time() < deadline, f"never settled: {info}"
                await asyncio.sleep(0.05)
        finally:
            await nc.close()

    def emit(self, envelope: SampleEnvelope) -> list[Emit]:
        envelope.record(Stage.DEDUP, Outcome.ACCEPTED)
        return [Emit(self.outbox, envelope, Outcome.ACCEPTED)]


async def stream_envelopes(url: str, subject: str, sample_id: str) -> list[SampleEnvelope]:
    nc = await nats.connect(url)
    try:
        sub = await nc.jetstream().pull_subscribe(subject, stream=subjects.STREAM)
        found: list[SampleEnvelope] = []
        while True:
            try:
                batch = await sub.fetch(100, timeout=0.5)
            except TimeoutError:
                break
            for msg in batch:
                envelope = SampleEnvelope.model_validate_json(msg.data)
                if envelope.sample_id == sample_id:
                    found.append(envelope)
                await msg.ack()
        return found
    finally:
        await nc.close()


async def nak_count(url: str, key: str) -> int:
    nc = await nats.connect(url)
    try:
        kv = await nc.jetstream().key_value(DELIVERY_BUCKET)
        entry = await kv.get(key)
        return int(entry.value or b"0")
    finally:
        await nc.close()


@pytest.fixture
def harness(nats_url: str) -> Harness:
    return Harness(nats_url)


async def test_a_storm_longer_than_the_budget_loses_nothing(harness: Harness) -> None:
    storm = 8  # well past max_deliver=3
    calls = 0

    async def flaky(envelope: SampleEnvelope) -> Sequence[Emit]:
        nonlocal calls
        calls += 1
        if calls <= storm:
            raise limited(0.05)
        return harness.emit(envelope)

    await harness.run(flaky, lambda: calls > storm)
    out = await stream_envelopes(harness.url, harness.outbox, harness.sample_id)
    rejected = await stream_envelopes(harness.url, subjects.SAMPLE_REJECTED, harness.sample_id)
    assert len(out) == 1 and rejected == [] and calls == storm + 1
    metrics = harness.service.metrics
    assert metrics.retries.labels("dedup", "LlmRateLimited")._value.get() == storm
    nc = await nats.connect(harness.url)
    try:
        info = await nc.jetstream().consumer_info(subjects.STREAM, harness.durable)
        assert info.config.max_deliver == consumer_max_deliver(harness.settings)
        seq = info.delivered.stream_seq
    finally:
        await nc.close()
    assert await nak_count(harness.url, f"{harness.durable}.{seq}") == storm


async def test_other_failures_spend_the_whole_budget_after_a_storm(harness: Harness) -> None:
    calls = 0

    async def storm_then_outage(envelope: SampleEnvelope) -> Sequence[Emit]:
        nonlocal calls
        calls += 1
        if calls <= 4:
            raise limited(0.05)
        error = LlmUnavailable("500 api_error: injected", status=500)
        error.cost = TokenCost(calls=2, output_tokens=40, usd=0.01)
        raise error

    async def rejected() -> list[SampleEnvelope]:
        return await stream_envelopes(harness.url, subjects.SAMPLE_REJECTED, harness.sample_id)

    await harness.run(storm_then_outage, lambda: calls >= 4 + 3)
    [envelope] = await rejected()
    last = envelope.history[-1]
    assert calls == 4 + 3  # four free rate-limit naks, then the budget of three deliveries
    assert last.outcome is Outcome.REJECTED and last.error_class is ErrorClass.LLM
    assert (last.reason or "").startswith("retries exhausted after 3 deliveries: LlmUnavailable")
    assert envelope.cost.calls == 2 and envelope.cost.output_tokens == 40  # the spend stays


async def test_a_consumer_with_a_low_cap_still_never_drops_a_sample(harness: Harness) -> None:
    # A durable created by an older version: max_deliver 4 and nats-py will not update it.
    nc = await nats.connect(harness.url)
    try:
        js = nc.jetstream()
        with pytest.raises(NotFoundError):
            await js.consumer_info(subjects.STREAM, harness.durable)
        try:
            await js.stream_info(subjects.STREAM)
        except NotFoundError:
            await js.add_stream(
                StreamConfig(
                    name=subjects.STREAM,
                    subjects=subjects.STREAM_SUBJECTS,
                    storage=StorageType.FILE,
                    duplicate_window=600,
                )
            )
        await js.add_consumer(
            subjects.STREAM,
            ConsumerConfig(
                durable_name=harness.durable,
                filter_subject=harness.inbox,
                ack_policy=AckPolicy.EXPLICIT,
                max_deliver=4,
            ),
        )
    finally:
        await nc.close()
    calls = 0

    async def always_limited(envelope: SampleEnvelope) -> Sequence[Emit]:
        nonlocal calls
        calls += 1
        raise limited(0.05)

    await harness.run(always_limited, lambda: calls >= 4)
    [envelope] = await stream_envelopes(harness.url, subjects.SAMPLE_REJECTED, harness.sample_id)
    assert calls == 4
    reason = envelope.history[-1].reason or ""
    assert reason.startswith("rate limited on all 4 deliveries JetStream allows")


async def test_a_handler_longer_than_the_ack_wait_keeps_its_message(nats_url: str) -> None:
    harness = Harness(nats_url, ack_wait_s=1.0)
    calls = 0
    finished = asyncio.Event()

    async def slow(envelope: SampleEnvelope) -> Sequence[Emit]:
        nonlocal calls
        calls += 1
        await asyncio.sleep(3.5)  # three and a half ack waits
        finished.set()
        return harness.emit(envelope)

    await harness.run(slow, finished.is_set)
    assert calls == 1
    assert len(await stream_envelopes(nats_url, harness.outbox, harness.sample_id)) == 1


async def test_a_message_that_waited_past_its_ack_wait_is_handled_once(nats_url: str) -> None:
    # Two workers busy for 2.5 s each: the third message waits for one of them (already
    # fetched, so JetStream redelivers it after 1 s) and its redelivery arrives while the first
    # copy is being handled.
    harness = Harness(nats_url, ack_wait_s=1.0, workers=2)
    calls: Counter[str] = Counter()

    async def slow(envelope: SampleEnvelope) -> Sequence[Emit]:
        calls[envelope.sample_id] += 1
        await asyncio.sleep(2.5)
        return harness.emit(envelope)

    await harness.run(slow, lambda: len(calls) == 3, samples=3)
    assert sorted(calls.values()) == [1, 1, 1], calls
    for i in range(3):
        sample_id = f"{harness.sample_id}-{i}"
        assert len(await stream_envelopes(nats_url, harness.outbox, sample_id)) == 1
    skipped = harness.service.metrics.samples.labels("dedup", "redelivery_skipped")._value.get()
    assert skipped >= 1  # the situation really arose
