"""The avoid-settings list shared by generator replicas through a real NATS KV bucket: a setting
one replica produced twice is avoided by another replica's next prompt; concurrent records from
two replicas all count (compare-and-set)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from faststream.nats import NatsBroker

from services.common.avoid_list import KvAvoidStore, domain_key
from shared.generation.claude.domains import SettingTally
from shared.generation.claude.engine import ClaudeDraftEngine
from shared.llm.client import LlmClient
from shared.runtime.local import LocalStack
from tests.fakes.llm import FakeAnthropic, FakeConfig
from tests.fakes.scripted import ScriptedModel
from tests.llm.conftest import blueprints, make_settings


@pytest.fixture(scope="module")
def nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    stack = LocalStack.start(["nats"], base=Path(tmp_path_factory.mktemp("avoid-nats")))
    try:
        if stack.unavailable:
            pytest.fail(f"nats-server unavailable: {stack.unavailable}")
        yield stack.dsn("nats") or ""
    finally:
        stack.stop()


@pytest.fixture
async def brokers(nats_url: str) -> AsyncIterator[list[NatsBroker]]:
    pair = [NatsBroker(nats_url), NatsBroker(nats_url)]  # two replicas, two connections
    for broker in pair:
        await broker.connect()
    yield pair
    for broker in pair:
        await broker.stop()


def replica(fake: FakeAnthropic, broker: NatsBroker) -> ClaudeDraftEngine:
    tally = SettingTally(store=KvAvoidStore(broker))
    return ClaudeDraftEngine(LlmClient(make_settings(fake)), tally=tally)


def first_prompt(body: dict[str, object]) -> str:
    return json.dumps(body["messages"])


async def test_a_setting_frequent_on_one_replica_is_avoided_by_another(
    brokers: list[NatsBroker],
) -> None:
    blueprint = blueprints(1, seed=31)[0]
    with FakeAnthropic(ScriptedModel(use_tools_rate=0.0), FakeConfig(keep_bodies=True)) as fake:
        one, two = replica(fake, brokers[0]), replica(fake, brokers[1])
        await one.generate(blueprint, seed=1)
        await one.generate(blueprint, seed=2)  # the scripted setting is the same both times
        before = len(fake.calls)
        await two.generate(blueprint, seed=3)
        designs = [c.body for c in fake.calls[before:] if c.tool_choice == "submit_design"]
        await one.aclose()
        await two.aclose()
    assert designs and designs[0] is not None
    assert "<avoid_settings>" in first_prompt(designs[0])  # replica two never saw it itself
    counts = await KvAvoidStore(brokers[1]).load(blueprint.domain)
    assert sum(counts.values()) == 3


async def test_concurrent_records_from_two_replicas_all_count(brokers: list[NatsBroker]) -> None:
    stores = [KvAvoidStore(b) for b in brokers]
    await asyncio.gather(*(stores[i % 2].record("ferries", "harbour") for i in range(20)))
    assert (await stores[0].load("ferries"))["harbour"] == 20
    assert domain_key("a/b c") != domain_key("a b/c")  # cleaned alike, kept apart


async def test_an_unreachable_store_leaves_the_local_counts() -> None:
    class Down:
        async def load(self, domain: str) -> dict[str, int]:
            raise ConnectionError("no NATS")

        async def record(self, domain: str, setting: str) -> None:
            raise ConnectionError("no NATS")

    tally = SettingTally(store=Down())
    for _ in range(2):
        await tally.record("retail", "a corner bakery")
    await tally.refresh("retail")
    assert tally.avoid("retail") == ["corner bakery"]
