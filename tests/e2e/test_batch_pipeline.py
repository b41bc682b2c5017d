"""The generator in batch mode end to end: every service as a process on real nats-server,
PostgreSQL and MariaDB, the generator submitting Message Batches jobs to the fake Messages API.

Every planned sample ends exactly once; generation happens in batches only (no online
generation call for a batchable sample); no (sample, section) request is ever submitted twice,
even when the generator is killed while a batch runs; and the run's cost is what the server
billed, the batch calls at half price.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from anthropic.types import Usage

from services.runner.supervisor import Supervisor
from shared.generation.claude.generator import SECTIONS
from shared.llm.pricing import DEFAULT_MODEL, PriceBook
from shared.pipeline.batching import custom_id
from shared.runtime.local import LocalStack
from tests.e2e.harness import RunOutput, make_request, run_to_completion
from tests.e2e.test_claude_pipeline import asks_for, claude_services, scripted_spec, summarize
from tests.e2e.test_pipeline import assert_exactly_once
from tests.fakes.llm import FakeAnthropic, FakeConfig
from tests.fakes.scripted import ScriptedModel

pytestmark = [pytest.mark.e2e, pytest.mark.engines]
BATCH_ENV = {
    "SQLSYNTH_BATCH": "1",
    "SQLSYNTH_BATCH_SIZE": "12",
    "SQLSYNTH_BATCH_WAIT_S": "1.0",
    "SQLSYNTH_LLM_BATCH_POLL_S": "0.2",
}


def section_of(params: dict[str, Any]) -> str:
    name = str((params.get("tool_choice") or {}).get("name", ""))
    return name.removeprefix("submit_")


def batch_requests(fake: FakeAnthropic) -> Counter[tuple[str, str]]:
    """(custom_id, section) of every request submitted in any batch."""
    return Counter(
        (request["custom_id"], section_of(request["params"]))
        for batch in fake.batches.batches.values()
        for request in batch.requests
    )


def priced(fake: FakeAnthropic) -> tuple[float, float]:
    """USD of the batch calls and of the online ones, as billed (batch rates are half)."""
    prices = PriceBook()
    batch = online = 0.0
    for call in fake.calls:
        if call.usage is None:
            continue
        usd = prices.cost(DEFAULT_MODEL, Usage.model_validate(call.usage), batch=call.batch).usd
        if call.batch:
            batch += usd
        else:
            online += usd
    return batch, online


def assert_batched_and_billed(output: RunOutput, fake: FakeAnthropic) -> dict[str, Any]:
    assert_exactly_once(output)
    # Generation went through batches only: online calls are the reviser's (review, repair).
    online = [c for c in fake.calls if not c.batch and c.body is not None]
    for section in SECTIONS:
        assert not [c for c in online if asks_for(c.body or {}, f"submit_{section}")], section
    requests = batch_requests(fake)
    # Each section once per sample; the query twice for a sample whose first query failed its
    # check on the data (the fix round).
    assert requests and all(
        n == 1 or (section == "query" and n == 2) for (_, section), n in requests.items()
    ), requests.most_common(3)
    assert {section for _, section in requests} == set(SECTIONS)
    # Every planned sample was generated in a batch (and only planned samples were).
    run_id = output.request.run_id
    planned = {custom_id(f"{run_id}:{run_id}-{i:07d}:1") for i in range(output.plan.planned)}
    designs = {cid for cid, section in requests if section == "design"}
    # Named when it fails (it did once, beside stress-ng): which sample and attempt the stray
    # design belongs to, read back from the digests of nearby keys.
    known = {
        custom_id(f"{run_id}:{run_id}-{i:07d}:{a}"): f"sample {i} attempt {a}"
        for i in range(output.plan.planned + 64)
        for a in range(1, 4)
    }
    strays = [known.get(cid, cid) for cid in designs - planned]
    assert designs == planned, (strays, len(planned - designs), output.plan, output.status)
    # The run's cost (summed by the sink from the envelopes) is exactly what was billed.
    cost = output.status.cost
    assert cost.model_dump(exclude={"usd", "answer_retries"}) == fake.billed()
    batch_usd, online_usd = priced(fake)
    assert cost.usd == pytest.approx(batch_usd + online_usd, rel=1e-9)
    batch_calls = sum(1 for c in fake.calls if c.batch and c.usage is not None)
    return {
        "batches": fake.batches.created,
        "batch_calls": batch_calls,
        "batch_usd": round(batch_usd, 6),
        "batch_usd_at_online_price": round(2 * batch_usd, 6),
        "online_usd": round(online_usd, 6),
        "usd_per_accepted": round(cost.usd / max(1, output.status.accepted), 6),
        "generation_usd_per_planned": round(batch_usd / max(1, len(planned)), 6),
    }


def generation_usd(fake: FakeAnthropic) -> float:
    """What the drafts cost: batch calls, or online calls asking for a generation section."""
    prices = PriceBook()
    return sum(
        prices.cost(DEFAULT_MODEL, Usage.model_validate(call.usage), batch=call.batch).usd
        for call in fake.calls
        if call.usage is not None
        and (call.batch or any(asks_for(call.body or {}, f"submit_{s}") for s in SECTIONS))
    )


async def test_batch_run_ends_every_sample_once_at_the_batch_price(
    stack: LocalStack, tmp_path: Path
) -> None:
    def scripted() -> ScriptedModel:
        return ScriptedModel(wrong_sql_rate=0.3, use_tools_rate=0.0, review_fail_rate=0.1)

    config = FakeConfig(latency_s=(0.01, 0.03), batch_delay_s=0.3, keep_bodies=True)
    with FakeAnthropic(scripted(), config) as fake:
        with claude_services(stack, tmp_path, fake, **BATCH_ENV) as services:
            request = make_request(12, seed=41, spec=scripted_spec(), generator="claude")
            output = await run_to_completion(stack, services, request, tmp_path, timeout_s=180)
        figures = assert_batched_and_billed(output, fake)
        # The first job was the whole first wave of planned samples (the size trigger).
        first = min(fake.batches.batches.values(), key=lambda b: b.created_at)
        assert len(first.requests) == 12
        batch_per_sample = generation_usd(fake) / output.plan.planned
    # The same run online, for the price of generation per sample.
    online_dir = tmp_path / "online"
    with FakeAnthropic(scripted(), config) as fake_online:
        with claude_services(stack, online_dir, fake_online) as services:
            request = make_request(12, seed=41, spec=scripted_spec(), generator="claude")
            online = await run_to_completion(stack, services, request, online_dir, timeout_s=180)
        assert fake_online.batches.created == 0
        online_per_sample = generation_usd(fake_online) / online.plan.planned
    ratio = batch_per_sample / online_per_sample
    assert 0.4 < ratio < 0.6, (batch_per_sample, online_per_sample)
    figures.update(
        generation_usd_per_sample_batch=round(batch_per_sample, 6),
        generation_usd_per_sample_online=round(online_per_sample, 6),
        usd_per_accepted_online=round(online.status.cost.usd / max(1, online.status.accepted), 6),
    )
    summarize(output, fake, "batch_run", **figures)


async def kill_during_a_batch(
    services: Supervisor, fake: FakeAnthropic, state_dir: Path, figures: dict[str, Any]
) -> None:
    """Kill the generator once its second round is submitted and recorded, then restart it."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        recorded = len(list(state_dir.glob("*.batch.json"))) if state_dir.exists() else 0
        if fake.batches.created >= 2 and recorded == fake.batches.created:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the generator never got to its second round")
    in_flight = [b for b in fake.batches.batches.values() if b.ended_at is None]
    assert in_flight, "no batch was running when the generator was killed"
    figures["killed_with_batches"] = fake.batches.created
    services.kill("generator-0")
    services.start("generator", 0)


async def test_a_generator_killed_mid_batch_resumes_without_paying_twice(
    stack: LocalStack, tmp_path: Path
) -> None:
    config = FakeConfig(latency_s=(0.01, 0.03), batch_delay_s=1.5, keep_bodies=True)
    with FakeAnthropic(ScriptedModel(use_tools_rate=0.0), config) as fake:
        with claude_services(stack, tmp_path, fake, **BATCH_ENV) as services:
            figures: dict[str, Any] = {}
            killer = asyncio.create_task(
                kill_during_a_batch(services, fake, tmp_path / ".state" / "llm-batches", figures)
            )
            request = make_request(12, seed=43, spec=scripted_spec(), generator="claude")
            output = await run_to_completion(stack, services, request, tmp_path, timeout_s=180)
            await killer
        figures.update(assert_batched_and_billed(output, fake))
        assert figures["killed_with_batches"] >= 2
        summarize(output, fake, "batch_restart", **figures)
