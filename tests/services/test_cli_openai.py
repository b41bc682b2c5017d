"""`sqlsynth run --engine openai`: the choice, the preflight against the server's model list
(a refused key or a model the server does not serve stops the run before anything starts), the
endpoint settings passed to the services, and no batch mode. The runtime is the recording stub of
test_cli_engine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import services.cli.run as cli_module
from services.runner.run import service_env
from shared.runtime.local import LocalStack
from tests.fakes.openai_api import FakeOpenAI
from tests.fakes.scripted import ScriptedModel
from tests.services.test_cli_engine import NO_KEY, Started, run

KEY = "sk-openai-test-key"
NO_OPENAI: dict[str, str | None] = {
    **NO_KEY,
    "OPENAI_API_KEY": None,
    "OPENAI_BASE_URL": None,
    "SQLSYNTH_OPENAI_API_KEY": None,
    "SQLSYNTH_OPENAI_BASE_URL": None,
    "SQLSYNTH_OPENAI_MODEL": None,
}


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> Started:
    stub = Started()
    monkeypatch.setattr(cli_module, "execute_run", stub)
    return stub


@pytest.fixture
def chat_fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(ScriptedModel()) as server:
        yield server


def test_the_endpoint_in_the_environment_chooses_openai_and_reaches_the_services(
    started: Started, chat_fake: FakeOpenAI, tmp_path: Path
) -> None:
    env = {
        "SQLSYNTH_OPENAI_BASE_URL": chat_fake.base_url,
        "OPENAI_API_KEY": KEY,
        "SQLSYNTH_OPENAI_MODEL": "qwen2.5-coder:7b",
    }
    result = run(tmp_path / "run", env={**NO_OPENAI, **env})
    assert result.exit_code == 0, result.output
    assert "generator: openai (SQLSYNTH_OPENAI_BASE_URL is set)" in result.output
    assert "OpenAI-compatible model qwen2.5-coder:7b: key accepted" in result.output
    [config] = started.configs
    assert config.request.generator == "openai"
    services = service_env(config, LocalStack(base=tmp_path), {**env, "PATH": "/bin"})
    assert services["SQLSYNTH_GENERATOR"] == "openai" and services["OPENAI_API_KEY"] == KEY
    assert services["SQLSYNTH_OPENAI_BASE_URL"] == chat_fake.base_url
    assert services["SQLSYNTH_OPENAI_MODEL"] == "qwen2.5-coder:7b" and "PATH" not in services


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"OPENAI_API_KEY": "sk-wrong-key-0000"}, "rejected the key (401)"),
        ({"OPENAI_API_KEY": KEY, "SQLSYNTH_OPENAI_MODEL": "gpt-9"}, "'gpt-9' is not served"),
    ],
)
def test_a_bad_key_or_model_stops_before_anything_starts(
    started: Started, chat_fake: FakeOpenAI, tmp_path: Path, extra: dict[str, str], expected: str
) -> None:
    out = tmp_path / "run"
    env = {**NO_OPENAI, "SQLSYNTH_OPENAI_BASE_URL": chat_fake.base_url, **extra}
    result = run(out, "--engine", "openai", env=env)
    assert result.exit_code == 1 and expected in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert started.configs == [] and not out.exists()


def test_no_key_for_api_openai_com_and_no_batch(started: Started, tmp_path: Path) -> None:
    result = run(tmp_path / "run", "--engine", "openai", env=NO_OPENAI)
    assert result.exit_code == 1 and "OPENAI_API_KEY is not set" in result.output
    result = run(tmp_path / "run", "--engine", "openai", "--batch", env=NO_OPENAI)
    assert result.exit_code != 0 and started.configs == []
