"""Several dedup replicas on a real nats-server: concurrent near-duplicates, leases, restarts.

The replicas run in this process, each with its own NATS connection, KV handles and lease owner
(as separate processes would have); they share one Qdrant index, standing in for the Qdrant
server that replicas need (local mode is single-process). A private nats-server keeps the
durable consumers and KV buckets of these tests away from the other end-to-end tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nats
import pytest
from nats.aio.msg import Msg
from nats.js.kv import KeyValue

from proto import subjects
from proto.common import Outcome, Stage
from proto.sample import SampleEnvelope
from services.common.app import Service, create_service
from services.dedup.kv import KvLease, LeaseTimeout, lock_key
from services.dedup.main import DedupSettings, build_lock, build_stage, saturation_key
from shared.pipeline.emit import Emit
from shared.pipeline.near_dedup import Candidate, CheckedHook, NearDedupStage
from shared.runtime.local import LocalStack
from shared.similarity.embedders import STATIC, Embedder, load_embedder
from shared.similarity.index import SimilarityIndex
from shared.similarity.locks import MemoryScopeLock
from shared.similarity.saturation import RunSaturation
from tests.fakes.clock import ManualClock
from tests.unit.pipeline.conftest import make_envelope

pytestmark = [pytest.mark.e2e]

PARIS = "List the names of customers from Paris."
PARAPHRASE = "List the names of the customers from Paris"
PARIS_SQL = "SELECT name FROM customers"
OTHER_SQL = "SELECT c.name FROM customers AS c WHERE c.city = 'Paris' ORDER BY c.name"


@pytest.fixture(scope="module")
def nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    stack = LocalStack.start(["nats"], base=tmp_path_factory.mktemp("dedup-nats"))
    try:
        url = stack.dsn("nats")
        if not url:
            pytest.fail(f"nats-server unavailable: {stack.unavailable}")
        yield url
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return load_embedder(STATIC)


@dataclass
class Replica:
    service: Service[DedupSettings, Any]
    stage: NearDedupStage
    kv: KeyValue


def provide(stage: NearDedupStage) -> Callable[[], NearDedupStage]:
    return lambda: stage


@contextlib.asynccontextmanager
async def replicas(
    nats_url: str,
    index: SimilarityIndex,
    embedder: Embedder,
    count: int = 2,
    *,
    lock: str = "kv",
    on_checked: CheckedHook | None = None,
    durable: str | None = None,
) -> AsyncIterator[list[Replica]]:
    started: list[Replica] = []
    try:
        for number in range(count):
            settings = DedupSettings(
                nats_url=nats_url,
                instance=f"dedup-{number}",
                lock=lock,
                workers=2,
                ack_wait_s=10,
                lock_ttl_s=5,
            )
            service = create_service("dedup", settings)
            await service.broker.connect()
            kv = await service.broker.key_value(subjects.DEDUP_BUCKET)
            stage = build_stage(settings, kv, service.metrics, embedder, index, on_checked)
            if durable:
                service.sample_subscriber(
                    subjects.SAMPLE_REVIEWED, durable, Stage.DEDUP, provide(stage)
                )
                await service.broker.start()
            started.append(Replica(service, stage, kv))
        yield started
    finally:
        for replica in started:
            await replica.service.broker.stop()


class Rendezvous:
    """Hold each arrival (after its search, before its commit) until all arrived or time ran out."""

    def __init__(self, parties: int = 2, patience: float = 1.5) -> None:
        self.parties = parties
        self.patience = patience
        self.arrivals: list[str] = []
        self.all_here = asyncio.Event()

    async def __call__(self, judged: Candidate) -> None:
        self.arrivals.append(judged.sample_id)
        if len(self.arrivals) >= self.parties:
            self.all_here.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.all_here.wait(), self.patience)


def pair(run_id: str, schema: str = "") -> tuple[SampleEnvelope, SampleEnvelope]:
    first = make_envelope(f"{run_id}-a", question=PARIS, sql=PARIS_SQL, run_id=run_id)
    second = make_envelope(f"{run_id}-b", question=PARAPHRASE, sql=OTHER_SQL, run_id=run_id)
    for envelope in (first, second):
        assert envelope.draft is not None
        envelope.draft.schema_ddl += schema  # a different schema per pair when asked
    return first, second


def outcome(emits: Sequence[Emit]) -> Outcome:
    [emit] = emits
    return emit.outcome


@pytest.mark.parametrize("lock", ["memory", "kv"])
async def test_two_replicas_and_two_concurrent_near_duplicates(
    nats_url: str, embedder: Embedder, lock: str
) -> None:
    """memory: each replica's own in-process lock (no protection across processes); kv: the
    lease. The rendezvous forces both judgements to search before either commits if it can."""
    index = SimilarityIndex.open(dim=embedder.dim, model=embedder.name)
    meeting = Rendezvous()
    run_id = f"race-{lock}-{uuid.uuid4().hex[:6]}"
    first, second = pair(run_id)
    async with replicas(nats_url, index, embedder, lock=lock, on_checked=meeting) as (a, b):
        emits = await asyncio.gather(a.stage(first), b.stage(second))
    outcomes = sorted(outcome(e) for e in emits)
    if lock == "memory":
        assert len(meeting.arrivals) == 2
        assert outcomes == [Outcome.ACCEPTED, Outcome.ACCEPTED]  # the race, both accepted
    else:
        assert len(meeting.arrivals) == 1  # the other replica waited on the lease
        assert outcomes == [Outcome.ACCEPTED, Outcome.DUPLICATE]
        duplicate = first if first.dedup and first.dedup.duplicate else second
        accepted = second if duplicate is first else first
        assert duplicate.dedup is not None and duplicate.dedup.layer == "question"
        assert duplicate.dedup.nearest_sample_id == accepted.sample_id
    await index.close()


class Outcomes:
    """Final envelopes of one run as the replicas publish them (a plain NATS subscription)."""

    def __init__(self, run_id: str, expected: int) -> None:
        self.run_id = run_id
        self.expected = expected
        self.found: dict[str, SampleEnvelope] = {}
        self.done = asyncio.Event()

    async def on_message(self, msg: Msg) -> None:
        envelope = SampleEnvelope.model_validate_json(msg.data)
        if envelope.run_id == self.run_id:
            self.found[envelope.sample_id] = envelope
            if len(self.found) >= self.expected:
                self.done.set()

    @contextlib.asynccontextmanager
    async def listening(self, nats_url: str) -> AsyncIterator[Outcomes]:
        client = await nats.connect(nats_url)
        try:
            for subject in (
                subjects.SAMPLE_ACCEPTED,
                subjects.SAMPLE_DUPLICATE,
                subjects.SAMPLE_REJECTED,
            ):
                await client.subscribe(subject, cb=self.on_message)
            await client.flush()
            yield self
        finally:
            await client.close()

    async def wait(self, timeout_s: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.done.wait(), timeout_s)


def handled(replica: Replica) -> float:
    registry = replica.service.metrics.registry
    return sum(
        registry.get_sample_value(
            "sqlsynth_samples_total", {"stage": Stage.DEDUP.value, "outcome": o.value}
        )
        or 0.0
        for o in (Outcome.ACCEPTED, Outcome.DUPLICATE)
    )


async def test_replicas_on_one_stream_accept_one_sample_per_near_duplicate_pair(
    nats_url: str, embedder: Embedder
) -> None:
    pairs = 12
    run_id = f"stream-{uuid.uuid4().hex[:6]}"
    index = SimilarityIndex.open(dim=embedder.dim, model=embedder.name)

    async def widen(judged: Candidate) -> None:
        # A slower commit makes interleavings across replicas likely, as under load.
        await asyncio.sleep(0.05)

    envelopes = [e for i in range(pairs) for e in pair(run_id, schema=f"\n-- schema {i}")]
    for number, envelope in enumerate(envelopes):
        envelope.sample_id = f"{run_id}-{number:03d}"
    outcomes = Outcomes(run_id, len(envelopes))
    async with (
        replicas(nats_url, index, embedder, on_checked=widen, durable=run_id) as reps,
        outcomes.listening(nats_url),
    ):
        publisher = reps[0].service.broker
        for envelope in envelopes:
            body = envelope.model_dump_json().encode()
            await publisher.publish(body, subjects.SAMPLE_REVIEWED, stream=subjects.STREAM)
        await outcomes.wait(90)
        work = [handled(replica) for replica in reps]
    await index.close()
    found = outcomes.found
    assert len(found) == len(envelopes), f"missing {len(envelopes) - len(found)}"
    assert all(count > 0 for count in work), work  # both replicas judged samples
    for i in range(pairs):
        one, two = found[envelopes[2 * i].sample_id], found[envelopes[2 * i + 1].sample_id]
        verdicts = sorted(bool(e.dedup and e.dedup.duplicate) for e in (one, two))
        assert verdicts == [False, True], (one.dedup, two.dedup)
        duplicate, kept = (one, two) if one.dedup and one.dedup.duplicate else (two, one)
        assert duplicate.dedup is not None
        assert duplicate.dedup.nearest_sample_id == kept.sample_id


@pytest.fixture
async def kv(nats_url: str) -> AsyncIterator[KeyValue]:
    client = await nats.connect(nats_url)
    bucket = await client.jetstream().create_key_value(bucket=f"leases_{uuid.uuid4().hex[:8]}")
    yield bucket
    await client.close()


async def test_a_lease_excludes_others_until_released(kv: KeyValue) -> None:
    holder, waiter = KvLease(kv, "a"), KvLease(kv, "b", wait_s=0.3)
    async with holder.hold("run.schema") as held:
        assert await held.still_held()
        with pytest.raises(LeaseTimeout):
            async with waiter.hold("run.schema"):
                pass
        async with waiter.hold("run.other-schema") as other:  # other schemas are not blocked
            assert await other.still_held()
    async with waiter.hold("run.schema") as taken:
        assert await taken.still_held()


async def test_a_dead_holders_lease_is_taken_over_and_the_holder_is_fenced(
    kv: KeyValue,
) -> None:
    clock = ManualClock(now_s=time.time())  # lease expiries are wall-clock times
    dead = KvLease(kv, "dead", ttl_s=0.5, clock=clock.now)
    stale = await dead._acquire(lock_key("run.schema"))  # never released: its holder died
    waiter = KvLease(kv, "live", wait_s=30, clock=clock.now)
    taking = asyncio.create_task(waiter._acquire(lock_key("run.schema")))
    await asyncio.sleep(0.2)  # the waiter polls the KV meanwhile; the manual clock stands still
    assert not taking.done()  # not before the dead holder's lease expired
    clock.advance(0.5)
    live = await taking
    try:
        assert await live.still_held()
        assert not await stale.still_held()  # a paused old holder must not commit now
        await dead._release(stale)  # its late release does not free the new holder's lease
        assert await live.still_held()
    finally:
        await waiter._release(live)


async def test_the_index_survives_a_restart_and_saturation_is_published(
    nats_url: str, embedder: Embedder, tmp_path: Path
) -> None:
    run_id = f"restart-{uuid.uuid4().hex[:6]}"
    first, second = pair(run_id)
    path = tmp_path / "qdrant"
    before = SimilarityIndex.open(dim=embedder.dim, model=embedder.name, path=path)
    async with replicas(nats_url, before, embedder, count=1, lock="memory") as [replica]:
        assert outcome(await replica.stage(first)) is Outcome.ACCEPTED
    await before.close()
    after = SimilarityIndex.open(dim=embedder.dim, model=embedder.name, path=path)
    async with replicas(nats_url, after, embedder, count=1, lock="memory") as [replica]:
        assert outcome(await replica.stage(second)) is Outcome.DUPLICATE
        entry = await replica.kv.get(saturation_key(run_id, "dedup-0"))
    await after.close()
    assert second.dedup is not None and second.dedup.nearest_sample_id == first.sample_id
    view = RunSaturation.from_json(json.loads(entry.value or b"{}"))
    assert view.run_id == run_id and view.run.seen == 1 and view.run.duplicate_rate == 1.0


def test_settings_put_the_local_index_beside_the_run_state_and_pick_the_lock(
    tmp_path: Path,
) -> None:
    local = DedupSettings(out_dir=tmp_path)
    assert local.index_path() == tmp_path / ".state" / "qdrant"
    assert isinstance(build_lock(local, kv=None), MemoryScopeLock)  # type: ignore[arg-type]
    server = DedupSettings(out_dir=tmp_path, qdrant_url="http://qdrant:6333")
    assert isinstance(build_lock(server, kv=None), KvLease)  # type: ignore[arg-type]
    weights = DedupSettings(weight_token=1, weight_ast=0, weight_embedding=0).near_config().weights
    assert (weights.token, weights.ast, weights.embedding) == (1, 0, 0)
