"""Issue 14 §5: input the CLI cannot use ends with one clear error line and an honest exit
code, never a traceback and never a table of n/a figures."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from services.cli.main import cli
from tests.services.test_cli_engine import NO_KEY, Started, run, started  # noqa: F401

PROBABILITIES = {
    "sum above 1": "values: {easy: 0.9, medium: 0.8}",
    "negative": "values: {easy: -0.5, medium: 1.5}",
}


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def error_lines(result: Result) -> list[str]:
    return [line for line in result.output.splitlines() if line.startswith("Error:")]


@pytest.fixture
def empty(tmp_path: Path) -> Path:
    path = tmp_path / "empty.jsonl"
    path.write_text("")
    return path


@pytest.fixture
def junk(tmp_path: Path) -> Path:
    path = tmp_path / "junk.jsonl"
    path.write_text('{"x": 1}\nnot json at all\n')
    return path


@pytest.mark.parametrize("command", [["validate", "--engines", "sqlite"], ["report"]])
def test_an_empty_file_is_a_clear_error(command: list[str], empty: Path) -> None:
    result = invoke(*command, str(empty))
    assert result.exit_code == 1 and result.exception is not None
    assert error_lines(result) == [f"Error: {empty}: no records (the file is empty)"]
    assert "Traceback" not in result.output and "n/a" not in result.output


@pytest.mark.parametrize("command", [["validate", "--engines", "sqlite"], ["report"]])
def test_a_file_without_a_valid_row_names_the_first_bad_one(command: list[str], junk: Path) -> None:
    result = invoke(*command, str(junk))
    assert result.exit_code == 1
    [line] = error_lines(result)
    assert "no valid record; 2 malformed row(s), the first at line 1: no SQL field" in line


@pytest.mark.parametrize("count", ["0", "-5"])
def test_run_count_below_one_is_a_usage_error(
    started: Started,  # noqa: F811
    tmp_path: Path,
    count: str,
) -> None:
    result = run(tmp_path / "run", "--count", count, env=NO_KEY)
    assert result.exit_code == 2, result.output
    [line] = error_lines(result)
    assert "--count" in line and count in line
    assert started.configs == []


def test_a_spec_that_is_not_yaml_is_one_usage_line(
    started: Started,  # noqa: F811
    tmp_path: Path,
) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text("properties: [\n  {name: complexity,\n")
    result = run(tmp_path / "run", "--spec", str(spec), env=NO_KEY)
    assert result.exit_code == 2, result.output
    [line] = error_lines(result)
    assert "not valid YAML" in line and "Traceback" not in result.output
    assert started.configs == []


@pytest.mark.parametrize("values", PROBABILITIES.values(), ids=list(PROBABILITIES))
def test_a_spec_with_bad_probabilities_is_one_usage_line(
    started: Started,  # noqa: F811
    tmp_path: Path,
    values: str,
) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(f"version: 1\nname: bad\nproperties:\n  - name: complexity\n    {values}\n")
    result = run(tmp_path / "run", "--spec", str(spec), env=NO_KEY)
    assert result.exit_code == 2, result.output
    [line] = error_lines(result)
    assert "bad spec" in line and "probabilit" in line
    assert started.configs == []
