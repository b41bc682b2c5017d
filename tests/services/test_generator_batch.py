"""The generator's batch mode on FastStream's in-memory broker, against the fake Messages API:
planned messages are held until their job ends, then published and acked once each; what the
batch cannot do (seed samples, provider failures) goes online; the template engine ignores it."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faststream.message import AckStatus
from faststream.nats import NatsBroker, TestNatsBroker
from faststream.nats.annotations import NatsMessage

from proto import subjects
from proto.sample import SampleEnvelope
from services.generator import main as generator_main
from shared.generation.claude.engine import ClaudeDraftEngine
from shared.generation.claude.generator import SECTIONS
from shared.pipeline.batching import custom_id, sample_key
from tests.fakes.llm import FakeAnthropic, FakeConfig
from tests.fakes.scripted import ScriptedModel
from tests.llm.conftest import KEY, blueprints


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAnthropic]:
    config = FakeConfig(batch_delay_s=0.05, keep_bodies=True)
    with FakeAnthropic(ScriptedModel(use_tools_rate=0.0), config) as server:
        monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
        monkeypatch.setenv("SQLSYNTH_LLM_BATCH_POLL_S", "0.02")
        yield server


def settings(tmp_path: Path, **overrides: Any) -> generator_main.GeneratorSettings:
    values: dict[str, Any] = {
        "generator": "claude",
        "engines": "sqlite",
        "tools_on_engines": False,
        "batch": True,
        "batch_size": 3,
        "batch_wait_s": 0.3,
        "batch_state_dir": tmp_path,
    }
    return generator_main.GeneratorSettings(**{**values, **overrides})


class Outputs:
    """What the generator published, and the planned messages its handler saw."""

    def __init__(self, service: generator_main.GeneratorService) -> None:
        self.envelopes: dict[str, list[SampleEnvelope]] = {}
        self.received: list[NatsMessage] = []
        for subject in (subjects.SAMPLE_DRAFTED, subjects.SAMPLE_REJECTED):
            self._collect(service, subject)

    def _collect(self, service: generator_main.GeneratorService, subject: str) -> None:
        @service.broker.subscriber(subject, stream=service.stream)
        async def collect(msg: NatsMessage) -> None:
            envelope = SampleEnvelope.model_validate_json(msg.body)
            self.envelopes.setdefault(subject, []).append(envelope)

    def all(self) -> list[SampleEnvelope]:
        return [e for envelopes in self.envelopes.values() for e in envelopes]

    async def wait_for(self, n: int, timeout_s: float = 20.0) -> None:
        deadline = time.monotonic() + timeout_s
        while len(self.all()) < n:
            assert time.monotonic() < deadline, f"only {len(self.all())} of {n} published"
            await asyncio.sleep(0.02)


def planned(n: int, **blueprint: Any) -> list[SampleEnvelope]:
    return [
        SampleEnvelope(
            run_id="r-gen", sample_id=f"r-gen-{i:07d}", blueprint=bp.model_copy(update=blueprint)
        )
        for i, bp in enumerate(blueprints(n, seed=31))
    ]


def claude_engine(service: generator_main.GeneratorService) -> ClaudeDraftEngine:
    engine = service.state.engine.engine
    assert isinstance(engine, ClaudeDraftEngine)
    return engine


def spy(service: generator_main.GeneratorService, outputs: Outputs) -> None:
    intake = service.state.intake
    assert intake is not None
    handle = intake.handle

    async def seen(msg: NatsMessage) -> None:
        outputs.received.append(msg)
        await handle(msg)

    intake.handle = seen  # type: ignore[method-assign]


async def publish(broker: NatsBroker, envelopes: list[SampleEnvelope]) -> None:
    for envelope in envelopes:
        body = envelope.model_dump_json().encode()
        await broker.publish(body, subjects.SAMPLE_PLANNED, stream=subjects.STREAM)


def online_generation(fake: FakeAnthropic) -> list[str]:
    """The opening text of every online (not batch) generation conversation."""
    return [
        c.body["messages"][0]["content"][0]["text"]
        for c in fake.calls
        if not c.batch and c.body is not None and c.tool_choice == "submit_design"
    ]


async def test_planned_samples_are_drafted_in_batches_and_acked_once(
    fake: FakeAnthropic, tmp_path: Path
) -> None:
    service, _ = generator_main.create_generator(settings(tmp_path))
    outputs = Outputs(service)
    envelopes = planned(4)
    async with TestNatsBroker(service.broker) as broker:
        await generator_main.start(service)
        spy(service, outputs)
        await publish(broker, envelopes)
        await outputs.wait_for(4)
        ledger_total = claude_engine(service).client.ledger.total
        await generator_main.stop(service)
    drafted = outputs.envelopes[subjects.SAMPLE_DRAFTED]
    assert sorted(e.sample_id for e in drafted) == [e.sample_id for e in envelopes]
    assert all((e.history[-1].reason or "").startswith("engine=claude batch=gen-") for e in drafted)
    # One job of three (size), one of the last sample (time): two rounds each, nothing online.
    assert fake.batches.created == 2 * len(SECTIONS)
    assert online_generation(fake) == []
    jobs = Counter(e.history[-1].reason for e in drafted)
    assert sorted(jobs.values()) == [1, 3]  # the size trigger (3), then the wait (the last one)
    # Each message acked once its draft was published; the job journal is gone.
    assert [m.committed for m in outputs.received] == [AckStatus.ACKED] * 4
    assert list(tmp_path.glob("*.group.json")) == []
    # Every billed token is on a sample, at the batch price.
    billed = fake.billed()
    assert sum(e.cost.calls for e in drafted) == billed["calls"] == 4 * len(SECTIONS)
    assert sum(e.cost.output_tokens for e in drafted) == billed["output_tokens"]
    assert sum(e.cost.usd for e in drafted) == pytest.approx(ledger_total.usd)


async def test_seed_samples_and_provider_failures_go_online(
    fake: FakeAnthropic, tmp_path: Path
) -> None:
    envelopes = planned(4)
    failing = custom_id(sample_key(envelopes[2]))

    def error_fn(cid: str, params: dict[str, Any]) -> str | None:
        # The provider keeps failing one sample's query: after the retry batches, it goes online.
        rows = params.get("tool_choice", {}).get("name") == "submit_query"
        return "overloaded_error" if cid == failing and rows else None

    fake.batches.error_fn = error_fn
    service, _ = generator_main.create_generator(settings(tmp_path, batch_size=4))
    outputs = Outputs(service)
    async with TestNatsBroker(service.broker) as broker:
        await generator_main.start(service)
        spy(service, outputs)
        engine = claude_engine(service)
        await publish(broker, envelopes)
        await outputs.wait_for(4)
        ledger_total = engine.client.ledger.total
        await generator_main.stop(service)
    done = {e.sample_id: e for e in outputs.all()}
    assert sorted(done) == sorted(e.sample_id for e in envelopes)
    fallback = done[envelopes[2].sample_id]
    assert fallback.draft is not None
    assert fallback.history[-1].reason == "engine=claude"  # drafted online
    # Its cost holds the batch round it had (the design) and the online calls.
    assert fallback.cost.calls == 1 + len(SECTIONS)
    assert len(online_generation(fake)) == 1
    assert sum(e.cost.usd for e in done.values()) == pytest.approx(ledger_total.usd)
    assert ledger_total.calls == fake.billed()["calls"]
    assert all(m.committed is AckStatus.ACKED for m in outputs.received)


async def test_a_seed_schema_is_batched_and_a_kept_seed_query_stays_online(
    fake: FakeAnthropic, tmp_path: Path
) -> None:
    schema_seed, sql_seed = planned(2)
    schema = "CREATE TABLE shop (id INTEGER PRIMARY KEY, name TEXT);"
    schema_seed.blueprint = schema_seed.blueprint.model_copy(update={"seed_schema": schema})
    sql_seed.blueprint = sql_seed.blueprint.model_copy(
        update={"seed_schema": schema, "seed_sql": "SELECT name FROM shop"}
    )
    service, _ = generator_main.create_generator(settings(tmp_path, batch_size=1))
    outputs = Outputs(service)
    async with TestNatsBroker(service.broker) as broker:
        await generator_main.start(service)
        spy(service, outputs)
        await publish(broker, [schema_seed, sql_seed])
        await outputs.wait_for(2)
        await generator_main.stop(service)
    done = {e.sample_id: e for e in outputs.all()}
    batched = done[schema_seed.sample_id]
    assert (batched.history[-1].reason or "").startswith("engine=claude batch=gen-")
    assert batched.draft is not None and batched.draft.schema_ddl == schema  # as given
    # The scripted query is written for its own catalogue, not this seed's schema: the batch's
    # check runs it on the sample's data, finds it failing, and one fix round follows.
    assert fake.batches.created == len(SECTIONS) + 1
    # The kept query is worded and verified online (one online generation conversation).
    assert len(online_generation(fake)) == 1
    assert done[sql_seed.sample_id].history[-1].reason == "engine=claude"


async def test_template_engine_with_batch_mode_runs_online(tmp_path: Path) -> None:
    service, _ = generator_main.create_generator(settings(tmp_path, generator="template"))
    outputs = Outputs(service)
    async with TestNatsBroker(service.broker) as broker:
        await generator_main.start(service)
        assert service.state.intake is None
        await publish(broker, planned(3))
        await outputs.wait_for(3)
        await generator_main.stop(service)
    drafted = outputs.envelopes[subjects.SAMPLE_DRAFTED]
    assert {e.history[-1].reason for e in drafted} == {"engine=template"}
