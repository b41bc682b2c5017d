"""The OpenAI-compatible provider end to end: every service as a process on real nats-server,
PostgreSQL and MariaDB, the generator and reviser talking to the fake Chat Completions API
(tests.fakes.openai_api) through the real `openai` SDK, with the same scripted model and the same
narrowed spec as the Claude run (tests/e2e/test_claude_pipeline.py).

Every planned sample ends exactly once; the run's cost is exactly what the fake billed; bad
answers (cut off, arguments that are not JSON, a broken schema) and a rate limit end as retries,
and any rejection names its reason. Then `sqlsynth pairs` takes its weak model from the same
endpoint (--weak-engine openai).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from proto.common import Engine
from services.cli.main import cli
from shared.runtime.local import LocalStack
from tests.e2e.harness import make_request, run_to_completion, start_services
from tests.e2e.test_claude_pipeline import scripted_spec
from tests.e2e.test_pipeline import assert_exactly_once
from tests.fakes.llm.types import ModelTurn
from tests.fakes.openai_api import ChatFakeConfig, ChatFault, FakeOpenAI
from tests.fakes.scripted import ScriptedModel
from tests.llm.test_openai_provider import KEY, LOCAL

pytestmark = [pytest.mark.e2e, pytest.mark.engines]
ALL = [Engine.SQLITE, Engine.POSTGRES, Engine.MYSQL]
MODEL = "gpt-4o-mini"


class Responder:
    """The scripted model for the pipeline's prompts; a weak model for the pairs' prompts (a
    count of the first table: plausible and wrong)."""

    def __init__(self, scripted: ScriptedModel) -> None:
        self.scripted = scripted
        self.weak_answers = 0

    def __call__(self, body: dict[str, Any]) -> ModelTurn:
        text = body["messages"][0]["content"][0].get("text", "")
        if "Answer with one SQL query" not in text:
            return self.scripted(body)
        self.weak_answers += 1
        table = text.split("CREATE TABLE ", 1)[1].split()[0].strip('"(`')
        return ModelTurn([{"type": "text", "text": f"```sql\nSELECT COUNT(*) FROM {table}\n```"}])


async def test_openai_run_ends_every_sample_once_at_the_billed_cost(
    stack: LocalStack, tmp_path: Path
) -> None:
    scripted = ScriptedModel(
        wrong_sql_rate=0.3,
        use_tools_rate=0.4,
        review_fail_rate=0.1,
        truncated_rate=0.1,
        malformed_rate=0.1,
    )
    responder = Responder(scripted)
    config = ChatFakeConfig(latency_s=(0.01, 0.05), keep_bodies=True)
    with FakeOpenAI(responder, config) as fake:
        fake.inject(ChatFault("bad_json"), times=3)
        fake.inject(ChatFault("rate_limit", retry_after_s=0.2), times=2)
        env = {
            "SQLSYNTH_GENERATOR": "openai",
            "SQLSYNTH_OPENAI_API_KEY": KEY,
            "SQLSYNTH_OPENAI_BASE_URL": fake.base_url,
            "SQLSYNTH_OPENAI_MODEL": MODEL,
            "SQLSYNTH_LLM_TIMEOUT_S": "30",
        }
        services = start_services(stack, tmp_path, ALL, extra_env=env)
        try:
            request = make_request(6, seed=31, spec=scripted_spec(), generator="openai")
            output = await run_to_completion(stack, services, request, tmp_path, timeout_s=150)
        finally:
            services.stop_all()
        assert_exactly_once(output)
        # Every billed completion is in exactly one envelope (the sink's sum).
        cost = output.status.cost
        assert cost.model_dump(exclude={"usd", "answer_retries"}) == fake.billed()
        assert cost.usd > 0 and cost.cache_read_input_tokens > 0
        assert cost.answer_retries > 0  # cut-off and malformed answers were asked again
        assert fake.state.violations == []
        statuses = Counter(c.status for c in fake.calls)
        assert statuses[429] == 2 and set(statuses) == {200, 429}
        accepted = output.records("dataset.jsonl")
        assert {r["generator"] for r in accepted} == {"openai"}
        assert {r["review"]["reviewer"] for r in accepted} == {f"rules+openai:{MODEL}"}
        for record in output.records("rejected.jsonl"):
            assert record["reason"] and record["error_class"], record["id"]
        figures = {
            "planned": output.plan.planned,
            "accepted": output.status.accepted,
            "rejected": output.status.rejected,
            "rejection_reasons": output.status.rejection_reasons,
            "cost": cost.model_dump(),
            "http": dict(statuses),
            "broken_first_answers": scripted.broken,
            "elapsed_s": round(output.elapsed_s, 1),
        }
        (tmp_path / "openai_run.json").write_text(json.dumps(figures, indent=2))
        print("openai_run", json.dumps(figures))

        # The weak model of preference pairs from the same endpoint, through the CLI.
        weak_env = {"SQLSYNTH_OPENAI_BASE_URL": fake.base_url, "SQLSYNTH_OPENAI_API_KEY": KEY}
        args = ["pairs", str(tmp_path), "--engines", "sqlite", "--json"]
        args += ["--weak-model", LOCAL, "--weak-engine", "openai", "--weak-samples", "1"]
        # In a thread: the command runs its own event loop.
        result = await asyncio.to_thread(CliRunner().invoke, cli, args, env=weak_env)
        assert result.exit_code == 0, result.output
        summary = json.loads(result.stdout)
        assert responder.weak_answers == len(accepted)
        assert summary["pairs"].get("weak_model", 0) > 0, summary
        weak_calls = [c for c in fake.calls if c.body and c.body["model"] == LOCAL]
        assert len(weak_calls) == len(accepted)
