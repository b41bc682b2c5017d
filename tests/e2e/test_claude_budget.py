"""A run's spending limit, enforced across replicas through the shared KV counter: planning
stops once the run spent its token budget, the samples in flight finish (each ends exactly
once), and the plan (summary.json's `budget_reached`) says why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from proto import subjects
from services.runner.client import RunClient
from shared.pipeline.budget import tokens_of
from shared.runtime.local import LocalStack
from tests.e2e.harness import make_request, run_to_completion
from tests.e2e.test_claude_pipeline import claude_services, scripted_spec
from tests.fakes.llm import FakeAnthropic, FakeConfig
from tests.fakes.scripted import ScriptedModel

pytestmark = [pytest.mark.e2e, pytest.mark.engines]


async def test_token_budget_stops_planning_and_in_flight_samples_finish(
    stack: LocalStack, tmp_path: Path
) -> None:
    scripted = ScriptedModel(use_tools_rate=0.0)
    config = FakeConfig(latency_s=(0.01, 0.03))
    with (
        FakeAnthropic(scripted, config) as fake,
        claude_services(stack, tmp_path, fake) as services,
    ):
        services.start("generator", 1)  # two generator replicas add to the same counter
        # About 4 samples' worth of tokens (a sample is ~50K with the cached prefix).
        request = make_request(
            40,
            seed=5,
            spec=scripted_spec(),
            generator="claude",
            max_in_flight=2,
            budget_tokens=200_000,
        )
        output = await run_to_completion(stack, services, request, tmp_path, timeout_s=150)
        client = await RunClient.connect(stack.dsn("nats") or "")
        kv = await client.nc.jetstream().key_value(subjects.RUN_SPEND_BUCKET)
        spent = json.loads((await kv.get(request.run_id)).value or b"{}")
        await client.close()
    plan = output.plan
    assert plan.budget_reasons and "token budget" in plan.budget_reasons[0]
    assert plan.planned < 40 and output.status.accepted < 40
    # The samples in flight finished: every planned id ended exactly once (fewer than count).
    ended = [r["id"] for name in ("dataset.jsonl", "rejected.jsonl") for r in output.records(name)]
    status = output.status
    assert status.finished == plan.planned and status.accepted > 0
    assert len(set(ended)) == len(ended) == status.accepted + status.rejected
    # Every billed token went through the shared counter, from both replicas and the reviser.
    assert spent["tokens"] == tokens_of(output.status.cost) >= 200_000
    assert spent["usd"] == pytest.approx(output.status.cost.usd, rel=1e-9)
    logs = {p.name for p in (tmp_path / "logs").glob("generator-*.log")}
    assert logs == {"generator-0.log", "generator-1.log"}
