"""`sqlsynth run --engine`: the choice and its reason, the preflight that stops a bad key before
anything starts, the LLM settings passed to the services, and the cost in progress and summary.
The runtime itself is replaced by a stub that records whether it was started."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import services.cli.run as cli_module
from proto.run import RunPlan, RunStatus
from proto.sample import TokenCost
from services.cli.main import cli
from services.runner.run import ProgressFn, RunConfig, RunResult, service_env, write_summary
from shared.llm.ledger import format_cost_line
from shared.runtime.local import LocalStack
from tests.fakes.llm import FakeAnthropic
from tests.fakes.scripted import ScriptedModel

KEY = "sk-ant-test-key"
NO_KEY: dict[str, str | None] = {
    "ANTHROPIC_API_KEY": None,
    "SQLSYNTH_LLM_API_KEY": None,
    "ANTHROPIC_BASE_URL": None,
}
COST = TokenCost(
    calls=14,
    input_tokens=4_000,
    output_tokens=2_500,
    cache_creation_input_tokens=9_000,
    cache_read_input_tokens=60_000,
    usd=0.0312,
)


class Started:
    """Stands in for execute_run: remembers the config, reports one finished run."""

    def __init__(self) -> None:
        self.configs: list[RunConfig] = []

    async def __call__(self, config: RunConfig, progress: ProgressFn) -> RunResult:
        self.configs.append(config)
        request = config.request
        status = RunStatus(
            run_id=request.run_id, target=request.count, accepted=2, rejected=1, cost=COST
        )
        plan = RunPlan(request=request, planned=3, max_planned=10, done=True)
        progress(status, plan, 1.0)
        return RunResult(status, plan, 2.0, config.out_dir)


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> Started:
    stub = Started()
    monkeypatch.setattr(cli_module, "execute_run", stub)
    return stub


@pytest.fixture
def fake() -> Iterator[FakeAnthropic]:
    with FakeAnthropic(ScriptedModel()) as server:
        yield server


def words(text: str) -> str:
    """Rich wraps long lines at the terminal width; compare the words."""
    return " ".join(text.split())


def run(out: Path, *flags: str, env: Mapping[str, str | None]) -> Result:
    args = ["run", "--count", "2", "--engines", "sqlite", "--out", str(out), *flags]
    return CliRunner(env=env).invoke(cli, args)


def test_claude_without_a_key_stops_before_anything_starts(
    started: Started, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    result = run(out, "--engine", "claude", env=NO_KEY)
    assert result.exit_code == 1, result.output
    assert "generator: claude (--engine claude)" in result.output
    assert "needs an API key: export ANTHROPIC_API_KEY" in result.output
    assert started.configs == [] and not out.exists()


def test_a_rejected_key_stops_before_anything_starts(
    started: Started, fake: FakeAnthropic, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    env = {**NO_KEY, "ANTHROPIC_API_KEY": "sk-ant-wrong", "ANTHROPIC_BASE_URL": fake.base_url}
    result = run(out, "--engine", "claude", env=env)
    assert result.exit_code == 1 and "rejected the key" in result.output
    assert started.configs == [] and not out.exists()


def test_a_key_in_the_environment_chooses_claude_and_reaches_the_services(
    started: Started, fake: FakeAnthropic, tmp_path: Path
) -> None:
    env = {
        "ANTHROPIC_API_KEY": KEY,
        "ANTHROPIC_BASE_URL": fake.base_url,
        "SQLSYNTH_LLM_CONCURRENCY_MAX": "12",
    }
    result = run(tmp_path / "run", env={**NO_KEY, **env})
    assert result.exit_code == 0, result.output
    assert "generator: claude (ANTHROPIC_API_KEY is set)" in result.output
    assert "key accepted" in result.output
    [config] = started.configs
    assert config.request.generator == "claude"
    # The summary line carries the spend and what one accepted sample cost.
    assert words(format_cost_line(COST, 2)) in words(result.output)
    services = service_env(config, LocalStack(base=tmp_path), {**env, "PATH": "/bin"})
    assert services["ANTHROPIC_API_KEY"] == KEY and services["SQLSYNTH_GENERATOR"] == "claude"
    assert services["ANTHROPIC_BASE_URL"] == fake.base_url
    assert services["SQLSYNTH_LLM_CONCURRENCY_MAX"] == "12" and "PATH" not in services


def test_generator_is_an_alias_and_template_needs_no_preflight(
    started: Started, fake: FakeAnthropic, tmp_path: Path
) -> None:
    env = {**NO_KEY, "ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": fake.base_url}
    result = run(tmp_path / "run", "--generator", "template", env=env)
    assert result.exit_code == 0, result.output
    assert "generator: template (--engine template)" in result.output
    assert [c.request.generator for c in started.configs] == ["template"]
    assert fake.calls == [] and "key accepted" not in result.output


def test_an_unknown_engine_is_a_usage_error(started: Started, tmp_path: Path) -> None:
    result = run(tmp_path / "run", "--engine", "gpt", env=NO_KEY)
    assert result.exit_code == 2 and "'gpt' is not one of" in result.output
    assert started.configs == []


def test_the_summary_has_calls_and_dollars_per_accepted(tmp_path: Path, started: Started) -> None:
    result = run(tmp_path / "run", "--engine", "template", env=NO_KEY)
    assert result.exit_code == 0, result.output
    [config] = started.configs
    status = RunStatus(run_id="r", target=2, accepted=4, duplicate=1, cost=COST)
    plan = RunPlan(request=config.request, planned=5, max_planned=10, done=True)
    write_summary(RunResult(status, plan, 3.0, tmp_path))
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["cost"]["calls"] == COST.calls
    assert summary["calls_per_accepted"] == pytest.approx(COST.calls / 4)
    assert summary["usd_per_accepted"] == pytest.approx(COST.usd / 4)
    per = summary["per_accepted"]
    assert per["cache_read_tokens_per_accepted"] == pytest.approx(COST.cache_read_input_tokens / 4)
