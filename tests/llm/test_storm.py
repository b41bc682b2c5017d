"""A rate-limit storm: the provider accepts only 3 calls at once for a while and answers 429
to the rest. Every sample still finishes, the limiter's concurrency drops and then recovers,
and no successful call is paid for twice (the reply memo keeps work across redeliveries)."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path
from typing import Any

from proto.sample import Blueprint, Draft, SampleEnvelope, TokenCost
from shared.errors import RateLimited, is_retryable
from shared.generation.claude.engine import ClaudeDraftEngine, build_claude_engine
from shared.pipeline.generate import GeneratorStage
from tests.fakes.llm import FakeAnthropic, FakeConfig, Fault
from tests.fakes.scripted import ScriptedModel
from tests.llm.conftest import blueprints, make_settings

SAMPLES = 60  # two calls per draft: enough calls after the storm for the limiter to grow
REFUSED = 24  # samples whose first query call is refused (each refusal also cuts the limit)
STORM_S = 2.0


async def deliver(
    claude: ClaudeDraftEngine, blueprint: Blueprint, seed: int, naks: list[float]
) -> tuple[Draft, TokenCost]:
    """What the generator service does: on RateLimited, a delayed nak and a redelivery."""
    while True:
        try:
            return await claude.generate(blueprint, seed=seed)
        except RateLimited as exc:
            delay = getattr(exc, "retry_after_s", None) or 0.2
            naks.append(delay)
            await asyncio.sleep(delay)


async def test_storm_slows_the_run_but_loses_nothing(tmp_path: Path) -> None:
    config = FakeConfig(latency_s=(0.04, 0.1), capacity=3, capacity_retry_after_s=0.2)
    with FakeAnthropic(ScriptedModel(use_tools_rate=0.0), config) as fake:
        settings = make_settings(fake, concurrency_initial=16, concurrency_max=16, max_pause_s=0.3)
        claude = build_claude_engine(settings)
        limiter = claude.client.limiter
        loop = asyncio.get_running_loop()
        calm: list[float] = []

        async def end_storm() -> None:
            await asyncio.sleep(STORM_S)
            fake.set_capacity(None)
            calm.append(limiter.clock())

        # Besides the capacity storm, the first query call of REFUSED samples is refused: its
        # redelivery must replay the design call from the memo, not pay for it again.
        refused: set[str] = set()
        lock = threading.Lock()

        def refuse_first_query(index: int, body: dict[str, Any]) -> Fault | None:
            if (body.get("tool_choice") or {}).get("type") != "any":  # the query turn
                return None
            plan = str(body["messages"][0]["content"][0]["text"])
            with lock:
                if plan in refused or len(refused) >= REFUSED:
                    return None
                refused.add(plan)
            return Fault("rate_limit", retry_after_s=0.1)

        fake.set_fault_fn(refuse_first_query)
        naks: list[float] = []
        started = loop.time()
        results = await asyncio.gather(
            *(deliver(claude, bp, 1000 + i, naks) for i, bp in enumerate(blueprints(SAMPLES))),
            end_storm(),
        )
        elapsed = loop.time() - started
        drafts = [r for r in results if r is not None]
        assert len(drafts) == SAMPLES  # nobody lost
        assert naks  # there was a storm, and it went back to the "broker"

        trace = list(limiter.trace)
        storm = [e for e in trace if e.at < calm[0]]
        after = [e for e in trace if e.at >= calm[0]]
        low = min(e.limit for e in storm)
        assert any(e.kind == "decrease" for e in storm) and low <= 16 / 2
        assert any(e.kind == "increase" for e in after)
        assert limiter.limit > low
        # Every successful call was billed once: 2 sections per sample, nothing paid twice.
        billed = fake.billed()
        assert billed["calls"] == SAMPLES * 2 == claude.client.ledger.total.calls
        assert sum(cost.calls for _, cost in drafts) >= billed["calls"]
        assert len(refused) == REFUSED and claude.runner.memo.hits >= REFUSED  # designs replayed
        rejected = [c for c in fake.calls if c.status == 429]
        assert rejected and max(c.in_flight for c in fake.calls if c.status == 200) >= 4
        (tmp_path / "limiter_trace.json").write_text(
            json.dumps(
                {
                    "elapsed_s": elapsed,
                    "naks": len(naks),
                    "http_429": len(rejected),
                    "memo_hits": claude.runner.memo.hits,
                    "trace": [
                        (round(e.at - trace[0].at, 3), e.kind, round(e.limit, 2)) for e in trace
                    ],
                }
            )
        )
        await claude.aclose()


async def test_rate_limit_reaches_the_service_as_retryable(
    engine: ClaudeDraftEngine, fake: FakeAnthropic
) -> None:
    fake.inject(Fault("overloaded", retry_after_s=3))
    envelope = SampleEnvelope(run_id="r", sample_id="s", blueprint=blueprints(1)[0])
    try:
        await GeneratorStage(engine)(envelope)
    except RateLimited as exc:
        assert is_retryable(exc) and getattr(exc, "retry_after_s", None) == 3
    else:
        raise AssertionError("a 529 must reach the delivery policy as a retryable error")
    assert envelope.history == []  # nothing recorded: the message is nak'ed, not rejected
