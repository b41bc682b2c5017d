"""The Claude path end to end: every service as a process on real nats-server, PostgreSQL and
MariaDB, talking HTTP to the fake Messages API (tests.fakes.llm) in this process.

Every planned sample ends exactly once; the run's cost (summed by the sink from the envelopes)
is exactly what the fake server billed; a rate-limit storm mid-run loses and rejects nothing
while the clients' concurrency drops and recovers; malformed answers end as a fallback or a
rejection that names them.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from anthropic.types import Usage

from proto.common import Engine
from services.runner.supervisor import Supervisor
from shared.llm.pricing import DEFAULT_MODEL, PriceBook
from shared.runtime.local import LocalStack
from shared.spec import load_spec
from tests.e2e.harness import RunOutput, make_request, run_to_completion, start_services
from tests.e2e.test_pipeline import assert_exactly_once
from tests.fakes.llm import FakeAnthropic, FakeConfig, Fault
from tests.fakes.scripted import ScriptedModel

pytestmark = [pytest.mark.e2e, pytest.mark.engines]
ALL = [Engine.SQLITE, Engine.POSTGRES, Engine.MYSQL]
KEY = "sk-ant-test-key"
# Features the scripted model's join/aggregate query has; a plan asking for others could only
# end rejected, which tests nothing here (test_full_path covers that case).
SCRIPTED_FEATURES = {"uses_aggregate", "uses_group_by", "uses_order_by", "uses_limit"}


def scripted_spec() -> dict[str, Any]:
    """The default spec narrowed to what the scripted model writes: two tables, inner or left
    join, aggregate/group/order/limit, a SELECT."""
    doc = load_spec(None).to_document()
    flat: dict[str, dict[str, Any]] = {
        "task_type": {
            "values": {
                "analytics and reporting": 0.6,
                "data retrieval": 0.4,
                "data manipulation": 0,
            }
        },
        "num_tables": {"values": {"2": 1.0}},
        "join_kind": {"values": {"inner": 0.75, "left": 0.25}},
        "declares_foreign_keys": {"bernoulli": 1.0},
    }
    properties = []
    for prop in doc["properties"]:
        base = {key: prop[key] for key in ("name", "description", "type")}
        if prop["name"] in flat:
            properties.append({**base, **flat[prop["name"]]})
        elif prop["name"].startswith("uses_") and prop["name"] not in SCRIPTED_FEATURES:
            properties.append({**base, "bernoulli": 0.0})
        else:
            properties.append(prop)
    return {**doc, "name": "scripted", "properties": properties}


@contextmanager
def claude_services(
    stack: LocalStack, out_dir: Path, fake: FakeAnthropic, **extra: str
) -> Iterator[Supervisor]:
    env = {
        "SQLSYNTH_GENERATOR": "claude",
        "ANTHROPIC_API_KEY": KEY,
        "ANTHROPIC_BASE_URL": fake.base_url,
        "SQLSYNTH_LLM_TIMEOUT_S": "30",
        **extra,
    }
    supervisor = start_services(stack, out_dir, ALL, extra_env=env)
    try:
        yield supervisor
    finally:
        supervisor.stop_all()


def assert_cost_is_billed(output: RunOutput, fake: FakeAnthropic) -> None:
    """Every call the server billed is in exactly one envelope, and priced as billed."""
    billed = fake.billed()
    cost = output.status.cost
    assert cost.model_dump(exclude={"usd", "answer_retries"}) == billed, (cost, billed)
    # Priced call by call, as the client does (a long prompt's surcharge is per call).
    prices = PriceBook()
    usd = sum(
        prices.cost(DEFAULT_MODEL, Usage.model_validate(call.usage)).usd
        for call in fake.calls
        if call.usage is not None
    )
    assert cost.usd == pytest.approx(usd, rel=1e-9)


def summarize(output: RunOutput, fake: FakeAnthropic, name: str, **extra: Any) -> None:
    """Figures for the report, next to the run's files."""
    figures = {
        "elapsed_s": round(output.elapsed_s, 1),
        "planned": output.plan.planned,
        "accepted": output.status.accepted,
        "rejected": output.status.rejected,
        "rejection_reasons": output.status.rejection_reasons,
        "stages": output.status.stages,
        "cost": output.status.cost.model_dump(),
        "http": dict(Counter(c.status for c in fake.calls)),
        **extra,
    }
    (output.out_dir / f"{name}.json").write_text(json.dumps(figures, indent=2, default=str))
    print(name, json.dumps(figures, default=str))


def first_text(body: dict[str, Any]) -> str:
    """The opening block of a conversation: the plan of a generation, the sample of a review."""
    content = body["messages"][0]["content"]
    return str(content[0].get("text", "")) if isinstance(content, list) else str(content)


def asks_for(body: dict[str, Any], tool: str) -> bool:
    choice = body.get("tool_choice") or {}
    if choice.get("name") == tool:
        return True
    last = body["messages"][-1]["content"]
    return choice.get("type") == "any" and f"Call {tool}" in json.dumps(last)


async def test_claude_run_ends_every_sample_once_at_the_billed_cost(
    stack: LocalStack, tmp_path: Path
) -> None:
    scripted = ScriptedModel(wrong_sql_rate=0.3, use_tools_rate=0.4, review_fail_rate=0.1)
    config = FakeConfig(latency_s=(0.01, 0.05), keep_bodies=True)
    with FakeAnthropic(scripted, config) as fake:
        with claude_services(stack, tmp_path, fake) as services:
            request = make_request(30, seed=21, spec=scripted_spec(), generator="claude")
            output = await run_to_completion(stack, services, request, tmp_path, timeout_s=150)
        assert_exactly_once(output)
        assert_cost_is_billed(output, fake)
        accepted = output.records("dataset.jsonl")
        assert {r["generator"] for r in accepted} == {"claude"}
        assert {r["review"]["reviewer"] for r in accepted} == {f"rules+claude:{DEFAULT_MODEL}"}
        # Wrong first SQL came back through the engines' errors and a repair.
        assert output.status.stages.get("reviser.repaired", 0) > 0
        assert any(r["attempts"] > 1 for r in accepted)
        for record in output.records("rejected.jsonl"):
            assert record["reason"] and record["error_class"], record["id"]
        # The model's run_query tool ran on the real engines (validator_run_query), not SQLite.
        tool_results = [
            block.get("content", "")
            for call in fake.calls
            if call.body
            for message in call.body["messages"]
            if message["role"] == "user" and isinstance(message["content"], list)
            for block in message["content"]
            if block.get("type") == "tool_result"
        ]
        assert any("postgres: " in str(text) and "mysql: " in str(text) for text in tool_results)
        summarize(output, fake, "claude_run")


@dataclass
class Storm:
    """Every message call answered 429 for a while, once `start_after` calls went through.

    The storm lasts at least `min_s` and until some sample was refused `per_sample` times (more
    than its retry budget), so the test shows rate limits do not spend that budget.
    """

    start_after: int
    min_s: float
    per_sample: int
    max_s: float = 20.0
    retry_after_s: float = 0.1
    t0: float = 0.0
    started: float | None = None
    ended: float | None = None
    refused: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, index: int, body: dict[str, Any]) -> Fault | None:
        with self.lock:
            now = time.monotonic() - self.t0
            if self.ended is not None or index < self.start_after:
                return None
            if self.started is None:
                self.started = now
            lasted = now - self.started
            worst = max(self.refused.values(), default=0)
            if (lasted >= self.min_s and worst >= self.per_sample) or lasted >= self.max_s:
                self.ended = now
                return None
            self.refused[first_text(body)] += 1
            return Fault("rate_limit", retry_after_s=self.retry_after_s)


async def test_rate_limit_storm_mid_run_loses_and_rejects_nothing(
    stack: LocalStack, tmp_path: Path
) -> None:
    budget = 3
    config = FakeConfig(latency_s=(0.05, 0.12), keep_bodies=True)
    with FakeAnthropic(ScriptedModel(use_tools_rate=0.0), config) as fake:
        storm = Storm(start_after=50, min_s=3.0, per_sample=budget + 2, t0=fake.t0)
        fake.set_fault_fn(storm)
        env = {
            "SQLSYNTH_MAX_DELIVER": str(budget),
            "SQLSYNTH_BACKOFF_BASE_S": "0.05",
            "SQLSYNTH_BACKOFF_MAX_S": "0.5",
            "SQLSYNTH_LLM_CONCURRENCY_INITIAL": "8",
            "SQLSYNTH_LLM_CONCURRENCY_MAX": "8",
            "SQLSYNTH_LLM_MAX_PAUSE_S": "1",
        }
        with claude_services(stack, tmp_path, fake, **env) as services:
            request = make_request(30, seed=23, spec=scripted_spec(), generator="claude")
            output = await run_to_completion(stack, services, request, tmp_path, timeout_s=150)
        assert storm.started is not None and storm.ended is not None, "no storm happened"
        assert_exactly_once(output)
        assert_cost_is_billed(output, fake)
        for record in output.records("rejected.jsonl"):
            reason = (record["reason"] or "").lower()
            # "rate limit", not any "rate": a scripted schema has an hourly_rate column.
            assert "rate limit" not in reason and record["error_class"] != "llm", record["reason"]
        # Some sample was refused more often than its whole retry budget, and still finished.
        assert max(storm.refused.values()) > budget
        calls = fake.calls
        limited = [c for c in calls if c.status == 429]
        assert len(limited) == sum(storm.refused.values())
        # Concurrency seen by the provider: high before, down to the floor (one call per
        # process: generator and reviser) in the later half of the storm's calls, back up after
        # it. The later half is counted in calls, not seconds, and judged by most of its calls:
        # on a starved machine a request admitted under the old limit can reach the provider
        # seconds late, and that straggler says nothing about the limiter.
        start, end = storm.started, storm.ended
        before = max(c.in_flight for c in calls if c.started < start)
        in_storm = sorted((c for c in calls if start <= c.started < end), key=lambda c: c.started)
        later_half = in_storm[len(in_storm) // 2 :]
        at_floor = sum(c.in_flight <= 2 for c in later_half) / len(later_half)
        after = max(c.in_flight for c in calls if c.started >= end + 1.0)
        assert len(later_half) >= 10, len(later_half)
        assert before >= 4 and at_floor >= 0.8 and after >= 3, (before, at_floor, after)
        summarize(
            output,
            fake,
            "storm",
            storm_s=round(end - start, 2),
            http_429=len(limited),
            most_refused_sample=max(storm.refused.values()),
            in_flight={
                "before": before,
                "later_storm_at_floor": round(at_floor, 2),
                "after": after,
            },
        )


async def test_malformed_answers_end_as_fallback_or_rejection_with_reason(
    stack: LocalStack, tmp_path: Path
) -> None:
    breaks = {"submit_design": 2, "submit_review": 2, "submit_repair": 1}
    broken: Counter[str] = Counter()
    lock = threading.Lock()

    def malformed(index: int, body: dict[str, Any]) -> Fault | None:
        with lock:
            for tool, times in breaks.items():
                if asks_for(body, tool) and broken[tool] < times:
                    broken[tool] += 1
                    return Fault("malformed_tool_input")
        return None

    scripted = ScriptedModel(wrong_sql_rate=0.4, use_tools_rate=0.0)
    with FakeAnthropic(scripted, FakeConfig(latency_s=(0.01, 0.03), keep_bodies=True)) as fake:
        fake.set_fault_fn(malformed)
        # Without answer retries (they are tested in tests/llm/test_answer_retries.py): the path
        # where a bad answer is final must still end with a reason.
        retries = {"SQLSYNTH_LLM_ANSWER_RETRIES": "0"}
        with claude_services(stack, tmp_path, fake, **retries) as services:
            request = make_request(12, seed=29, spec=scripted_spec(), generator="claude")
            output = await run_to_completion(stack, services, request, tmp_path, timeout_s=150)
        assert broken == breaks
        assert_exactly_once(output)
        assert_cost_is_billed(output, fake)
        rejected = output.records("rejected.jsonl")
        rows = [r for r in rejected if (r["reason"] or "").startswith("malformed design answer:")]
        assert len(rows) == 2 and {r["error_class"] for r in rows} == {"generation_error"}
        assert all("unexpected_field" in r["reason"] for r in rows)
        assert all(r["envelope"]["cost"]["calls"] >= 1 for r in rows)  # the design, paid
        repairs = [r for r in rejected if "repair impossible: malformed repair" in r["reason"]]
        assert len(repairs) == 1
        # A judge that answered nonsense leaves the rules' verdict, and says so (the sample may
        # still turn out to be a duplicate of another).
        reviews = [r["review"] for r in output.records("dataset.jsonl")]
        reviews += [r["envelope"]["review"] for r in output.records("duplicates.jsonl")]
        assert [r["reviewer"] for r in reviews].count("rules (judge failed)") == 2
        summarize(output, fake, "malformed", broken=dict(broken))
