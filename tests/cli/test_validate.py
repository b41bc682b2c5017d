"""`sqlsynth validate` through click's CliRunner on small slices of the real data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from proto.common import Engine
from services.cli.main import cli
from shared.runtime.local import LocalStack, free_port
from shared.runtime.servers import servers_for

ENGINES = ["sqlite", "postgres", "mysql"]


def invoke(args: list[str]) -> Result:
    return CliRunner().invoke(cli, ["validate", *args, "--no-progress"], catch_exceptions=False)


def dsn_flags(stack: LocalStack) -> list[str]:
    return ["--postgres-dsn", str(stack.dsn("postgres")), "--mysql-dsn", str(stack.dsn("mysql"))]


def assert_consistent(figures: dict[str, Any], engines: list[str]) -> None:
    """Fractions in [0, 1]; on all engines <= on each engine <= on any engine."""
    assert set(figures) == {*engines, "any", "all"}
    for key, value in figures.items():
        assert value is not None and 0.0 <= value <= 1.0, key
    for engine in engines:
        assert figures["all"] <= figures[engine] <= figures["any"], engine


def gretel_slice(data_dir: Path, tmp_path: Path, count: int) -> Path:
    lines = (data_dir / "gretel" / "gretel_sample_1000.jsonl").read_text().splitlines()[:count]
    path = tmp_path / f"gretel_{count}.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.engines
def test_gretel_slice_on_three_engines(stack: LocalStack, data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    result = invoke(
        [
            str(data_dir / "gretel" / "gretel_sample_1000.jsonl"),
            "--limit",
            "50",
            "--json",
            "--out",
            str(out),
            *dsn_flags(stack),
        ]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["rows"] == 50
    assert report["format"] == "gretel"
    assert report["engines"] == ENGINES
    assert report["unavailable"] == {} and report["malformed"] == 0
    for key in ("schema_valid", "query_valid", "non_empty"):
        assert_consistent(report[key], ENGINES)
    # DataFramer counts a query valid when it executes; a non-empty result is a stricter bar.
    for engine in [*ENGINES, "any"]:
        assert report["non_empty"][engine] <= report["query_valid"][engine]
    # Gretel's context was printed for SQLite and its SQL mostly runs there.
    assert report["schema_valid"]["sqlite"] > 0.5
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 50
    assert [line["id"] for line in lines] == [str(n) for n in range(50)]
    first = lines[0]
    assert first["kind"] == "record"
    assert {c["engine"] for c in first["schema_checks"]} == set(ENGINES)
    assert {c["engine"] for c in first["query_checks"]} == set(ENGINES)
    per_engine = sum(line["query_valid"]["postgres"] for line in lines) / 50
    assert per_engine == pytest.approx(report["query_valid"]["postgres"])


@pytest.mark.engines
@pytest.mark.parametrize(
    ("name", "engine"), [("sqlite", "sqlite"), ("mysql", "mysql"), ("postgresql", "postgres")]
)
def test_bird_gold_sql_on_its_own_engine(
    stack: LocalStack, data_dir: Path, tmp_path: Path, name: str, engine: str
) -> None:
    items = json.loads((data_dir / "bird_minidev" / f"mini_dev_{name}.json").read_text())[:30]
    path = tmp_path / f"mini_dev_{name}.json"
    path.write_text(json.dumps(items))
    schemas = data_dir / "bird_minidev" / "schemas"
    result = invoke(
        [str(path), "--engines", engine, "--json", "--schema-dir", str(schemas), *dsn_flags(stack)]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["format"] == "bird" and report["rows"] == 30
    assert report["engines"] == [engine]
    for key in ("schema_valid", "query_valid", "non_empty"):
        assert_consistent(report[key], [engine])
        assert report[key]["any"] == report[key]["all"] == report[key][engine]
    # BIRD ships DDL without rows: every schema is empty, and its DDL must build everywhere.
    assert report["with_rows"] == 0.0
    assert report["schema_valid"][engine] == 1.0
    if engine == "sqlite":  # the DDL's own dialect: no rendering stands between gold SQL and it
        assert report["query_valid"][engine] > 0.5


@pytest.mark.engines
def test_table_output_names_engines_and_summary_rows(
    stack: LocalStack, data_dir: Path, tmp_path: Path
) -> None:
    path = gretel_slice(data_dir, tmp_path, 10)
    result = invoke([str(path), *dsn_flags(stack)])
    assert result.exit_code == 0, result.output
    for text in ("schema valid", "query valid", "any engine", "all engines", "postgres", "mysql"):
        assert text in result.stdout


def test_malformed_rows_are_counted_and_listed(data_dir: Path, tmp_path: Path) -> None:
    path = gretel_slice(data_dir, tmp_path, 5)
    with path.open("a") as handle:
        handle.write("this is not json\n")
        handle.write(json.dumps({"sql_prompt": "no sql", "sql_context": "CREATE TABLE t (a int)"}))
        handle.write("\n")
    out = tmp_path / "out.jsonl"
    result = invoke([str(path), "--engines", "sqlite", "--json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["rows"] == 5 and report["malformed"] == 2
    assert_consistent(report["query_valid"], ["sqlite"])
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    malformed = [line for line in lines if line["kind"] == "malformed"]
    assert [m["line"] for m in malformed] == [6, 7]
    assert all(m["message"] for m in malformed)


def test_table_mentions_malformed_rows(data_dir: Path, tmp_path: Path) -> None:
    path = gretel_slice(data_dir, tmp_path, 3)
    with path.open("a") as handle:
        handle.write("{broken\n")
    result = invoke([str(path), "--engines", "sqlite"])
    assert result.exit_code == 0
    assert "1 malformed row(s)" in result.stderr and "line 4" in result.stderr


def test_unreachable_engine_is_reported_not_skipped(data_dir: Path, tmp_path: Path) -> None:
    path = gretel_slice(data_dir, tmp_path, 5)
    closed = f"postgresql://nobody:nothing@127.0.0.1:{free_port()}/postgres"
    result = invoke([str(path), "--engines", "sqlite,postgres", "--postgres-dsn", closed, "--json"])
    assert result.exit_code == 3
    report = json.loads(result.stdout)
    assert list(report["unavailable"]) == ["postgres"]
    assert report["engines"] == ["sqlite"]
    assert report["query_valid"]["postgres"] is None
    assert report["query_valid"]["sqlite"] is not None


def test_bad_options_are_usage_errors(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text(json.dumps({"sql": "SELECT 1"}) + "\n")
    assert invoke([str(path), "--engines", "oracle"]).exit_code == 2
    assert invoke([str(path), "--field", "sql"]).exit_code == 2
    assert invoke([str(path), "--field", "answer=x", "--engines", "sqlite"]).exit_code == 1


@pytest.mark.engines
def test_private_stack_is_stopped_on_interrupt() -> None:
    with pytest.raises(KeyboardInterrupt), servers_for([Engine.POSTGRES], {}) as servers:
        assert servers.stack is not None
        base = servers.stack.base
        process = servers.stack.servers["postgres"].proc
        assert process.poll() is None
        raise KeyboardInterrupt
    assert process.poll() is not None
    assert not base.exists()
