"""`sqlsynth run` options of seeds, saturation, batching and replicas: what reaches the run
request and the services, and the clear refusals before anything starts. The runtime is the
recording stand-in of test_cli_engine (execute_run is tested end to end in tests/e2e)."""

from __future__ import annotations

from pathlib import Path

import pytest

import services.cli.run as cli_module
from proto.run import RunPlan, RunStatus
from services.runner.run import ProgressFn, RunConfig, RunResult, service_env
from shared.runtime.local import LocalStack
from tests.fakes.llm import FakeAnthropic
from tests.services.test_cli_engine import KEY, NO_KEY, Started, fake, run, started  # noqa: F401

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


def test_seeds_go_to_the_run_pool_with_their_schemas(started: Started, tmp_path: Path) -> None:  # noqa: F811
    result = run(
        tmp_path / "run",
        "--seeds",
        str(DATA / "querylogs" / "googleplus_queries.csv"),
        "--until-saturated",
        env=NO_KEY,
    )
    assert result.exit_code == 0, result.output
    [config] = started.configs
    request = config.request
    assert request.seed_pool == request.run_id and request.seed_count == len(config.seeds) > 100
    assert request.until_saturated and request.seeds_file
    assert {seed.pool for seed in config.seeds} == {request.run_id}
    with_schema = sum(1 for seed in config.seeds if seed.schema_ddl)
    assert with_schema >= 0.9 * len(config.seeds)  # inferred from the statements themselves
    assert f"{with_schema} with a schema to write on" in " ".join(result.output.split())


def test_unreadable_seeds_are_refused_before_anything_starts(
    started: Started,  # noqa: F811
    tmp_path: Path,
) -> None:
    garbage = tmp_path / "seeds.jsonl"
    garbage.write_bytes(b"\x00\x01 not a log {{{\n" * 20)
    out = tmp_path / "run"
    result = run(out, "--seeds", str(garbage), env=NO_KEY)
    assert result.exit_code == 2 and "no usable seed" in result.output, result.output
    assert started.configs == [] and not out.exists()


def test_dedup_replicas_need_a_qdrant_server(started: Started, tmp_path: Path) -> None:  # noqa: F811
    result = run(
        tmp_path / "run", "--replicas", "dedup=2", env={**NO_KEY, "SQLSYNTH_QDRANT_URL": None}
    )
    assert result.exit_code == 2 and "SQLSYNTH_QDRANT_URL" in result.output
    assert started.configs == []
    ok = run(
        tmp_path / "run2",
        "--replicas",
        "dedup=2",
        env={**NO_KEY, "SQLSYNTH_QDRANT_URL": "http://127.0.0.1:6333"},
    )
    assert ok.exit_code == 0, ok.output
    assert started.configs[0].replicas == {"dedup": 2}


def test_batch_is_for_claude(started: Started, tmp_path: Path) -> None:  # noqa: F811
    result = run(tmp_path / "run", "--batch", env=NO_KEY)
    assert result.exit_code == 2 and "--batch is for the Claude engine" in result.output
    assert started.configs == []


def test_batch_mode_reaches_the_generator_and_waits_for_slow_rounds(
    started: Started,  # noqa: F811
    fake: FakeAnthropic,  # noqa: F811
    tmp_path: Path,
) -> None:
    env = {**NO_KEY, "ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": fake.base_url}
    result = run(tmp_path / "run", "--engine", "claude", "--batch", env=env)
    assert result.exit_code == 0, result.output
    [config] = started.configs
    assert config.extra_env["SQLSYNTH_BATCH"] == "1"
    # None in a CliRunner env unsets the variable; the services see only what is set.
    present = {name: value for name, value in env.items() if value is not None}
    services = service_env(config, LocalStack(base=tmp_path), present)
    assert services["SQLSYNTH_BATCH"] == "1"
    assert config.stall_timeout_s >= 24 * 3600  # a batch round may take the API's full day


def test_a_run_that_could_plan_nothing_fails_with_the_planners_reason(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    async def nothing_planned(config: RunConfig, progress: ProgressFn) -> RunResult:
        request = config.request
        plan = RunPlan(
            request=request,
            max_planned=10,
            done=True,
            problems=[f"no usable seed in pool {request.seed_pool!r}"],
        )
        return RunResult(RunStatus(run_id=request.run_id, target=2), plan, 1.0, config.out_dir)

    monkeypatch.setattr(cli_module, "execute_run", nothing_planned)
    seeds = DATA / "querylogs" / "googleplus_queries.csv"
    result = run(tmp_path / "run", "--seeds", str(seeds), env=NO_KEY)
    assert result.exit_code == 1
    assert "nothing could be planned: no usable seed in pool" in " ".join(result.output.split())


def test_explore_expand_mode_reaches_the_request(started: Started, tmp_path: Path) -> None:  # noqa: F811
    default = run(tmp_path / "run", "--mode", "explore-expand", env=NO_KEY)
    assert default.exit_code == 0, default.output
    assert started.configs[0].request.expand_ratio == 0.5
    assert started.configs[0].request.round_size == 0
    given = run(
        tmp_path / "run2",
        *("--mode", "explore-expand", "--expand-ratio", "0.3", "--round-size", "7"),
        *("--evolve-share", "0.5"),
        env=NO_KEY,
    )
    assert given.exit_code == 0, given.output
    assert started.configs[1].request.expand_ratio == 0.3
    assert started.configs[1].request.round_size == 7
    assert started.configs[1].request.evolve_share == 0.5
    assert started.configs[0].request.evolve_share == 0.0
    plain = run(tmp_path / "run3", env=NO_KEY)
    assert plain.exit_code == 0 and started.configs[2].request.expand_ratio == 0.0


def test_round_options_without_the_mode_are_a_one_line_error(
    started: Started,  # noqa: F811
    tmp_path: Path,
) -> None:
    result = run(tmp_path / "run", "--expand-ratio", "0.4", env=NO_KEY)
    assert result.exit_code == 2 and "need --mode explore-expand" in result.output
    assert "Traceback" not in result.output and started.configs == []
