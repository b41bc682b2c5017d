"""`sqlsynth report` through click's CliRunner: JSON keys, side-by-side compare, flags."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from services.cli.main import cli

COMPLEXITY = {
    "tables",
    "joins",
    "functions",
    "tokens",
    "aggregates",
    "subqueries",
    "window_functions",
    "ctes",
    "nesting",
}
SHARES = {
    "query_tables_3_to_5",
    "schema_tables_3_to_5",
    "non_inner_join",
    "primary_key",
    "foreign_key",
    "cte",
    "set_operation",
    "window_function",
    "subquery",
}
DATASET_KEYS = {
    "name",
    "path",
    "format",
    "rows",
    "malformed",
    "parsed",
    "parse_errors",
    "with_schema",
    "with_question",
    "validity",
    "sense",
    "shares",
    "complexity",
    "histograms",
    "patterns",
    "coverage",
    "embedding",
    "question_mean_cosine",
    "vendi",
    "hybrid_similarity",
    "feature_usage",
    "distributions",
    "spec",
    "run",
    "elapsed_s",
}


def invoke(args: list[str]) -> Result:
    return CliRunner().invoke(cli, ["report", *args, "--no-progress"], catch_exceptions=False)


def assert_dataset_keys(metrics: dict[str, Any]) -> None:
    assert set(metrics) >= DATASET_KEYS
    assert set(metrics["complexity"]) >= COMPLEXITY
    assert set(metrics["shares"]) >= SHARES
    assert {"unique", "entropy"} <= set(metrics["patterns"])
    assert {"tables", "columns", "table_share", "column_share"} <= set(metrics["coverage"])
    assert {"sql", "question", "embedding"} <= set(metrics["vendi"])
    assert {"mean", "token_sort", "ast", "embedding", "pairs"} <= set(metrics["hybrid_similarity"])
    assert metrics["embedding"] == "tfidf-char"


def test_json_keys_and_side_by_side(run_folder: Path, small_dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "metrics.json"
    page = tmp_path / "report.html"
    result = invoke(
        [
            str(run_folder),
            "--compare",
            str(small_dataset),
            "--json",
            str(out),
            "--html",
            str(page),
            "--spec",
            "default",
        ]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    assert_dataset_keys(document)
    assert document["rows"] == 3 and document["name"] == "run"
    assert len(document["compare"]) == 1
    other = document["compare"][0]
    assert_dataset_keys(other)
    assert other["rows"] == 7 and other["name"] == "small"
    # The same keys for every dataset, so the columns line up.
    assert set(other) == set(document) - {"report", "compare"}
    assert document["report"]["datasets"] == ["run", "small"]
    assert document["report"]["spec"] == "default"
    assert document["spec"] is not None and other["spec"] is not None
    assert document["run"] is not None and other["run"] is None
    # The headline table on stdout has one column per dataset.
    header = next(line for line in result.stdout.splitlines() if "metric" in line)
    assert "run" in header and "small" in header
    assert page.is_file() and "<svg" in page.read_text()


def test_json_to_stdout_names_and_limit(small_dataset: Path) -> None:
    result = invoke(
        [str(small_dataset), "--compare", str(small_dataset), "--name", "seeds", "--json", "-"]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["name"] == "seeds"
    assert document["compare"][0]["name"] == "small"
    limited = json.loads(invoke([str(small_dataset), "--limit", "2", "--json", "-"]).stdout)
    assert limited["rows"] == 2


def test_field_and_label_flags(tmp_path: Path) -> None:
    path = tmp_path / "custom.jsonl"
    rows = [
        {"statement_text": "SELECT a FROM t", "ask": "all a", "tier": "easy"},
        {
            "statement_text": "SELECT a FROM t JOIN u ON t.a = u.a",
            "ask": "a in both",
            "tier": "hard",
        },
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = invoke(
        [
            str(path),
            "--field",
            "sql=statement_text",
            "--field",
            "question=ask",
            "--label",
            "complexity=tier",
            "--json",
            "-",
        ]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["rows"] == 2 and document["parsed"] == 2
    assert document["with_question"] == 2
    assert document["distributions"]["complexity"]["counts"] == {"easy": 1, "hard": 1}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--label", "colour=x"], "unknown label"),
        (["--spec", "/nonexistent/spec.yaml"], "cannot read"),
        (["--embedder", "nope"], "unknown embedding model"),
    ],
)
def test_bad_flags(small_dataset: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["report", str(small_dataset), *args])
    assert result.exit_code != 0
    assert message in result.output
