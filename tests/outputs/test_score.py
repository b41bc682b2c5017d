"""`sqlsynth score` on the real engines, and `sqlsynth overlap` against Spider dev."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from services.cli.main import cli
from shared.runtime.local import LocalStack
from shared.scoring.dataset import read_export
from tests.outputs.conftest import engine_args

pytestmark = [pytest.mark.e2e]
SPIDER = Path(__file__).resolve().parents[3] / "shared" / "data" / "spider"


@pytest.fixture(scope="module")
def exported(run_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("score-export")
    result = CliRunner().invoke(cli, ["export", str(run_dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def score(args: list[str], stack: LocalStack) -> dict[str, Any]:
    # A generous statement budget: on a loaded 2-core machine a 2 s limit turns some correct
    # predictions into timeouts, and what is scored here is correctness.
    timeout = ["--statement-timeout-ms", "10000"]
    result = CliRunner().invoke(cli, ["score", *args, "--json", *timeout, *engine_args(stack)])
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def write_predictions(path: Path, predictions: dict[str, str]) -> Path:
    path.write_text("".join(json.dumps({"id": k, "sql": v}) + "\n" for k, v in predictions.items()))
    return path


def test_gold_sql_scores_full_marks_and_order_counts_only_when_gold_orders(
    exported: Path, stack: LocalStack, tmp_path: Path
) -> None:
    records = read_export(exported)
    predictions = {}
    for record in records:
        sql = record["sql"]
        unordered = all(not (g or {}).get("ordered", True) for g in record["gold"].values())
        if unordered and sql.startswith("SELECT") and " LIMIT " not in sql and " UNION" not in sql:
            sql = f"{sql} ORDER BY 1"  # an order the question did not ask for is not an error
        predictions[record["id"]] = sql
    out = tmp_path / "per-record.jsonl"
    path = write_predictions(tmp_path / "gold.jsonl", predictions)
    report = score([str(path), "--dataset", str(exported), "--out", str(out)], stack)
    errors = [json.loads(line) for line in out.read_text().splitlines()]
    assert report["execution_accuracy"] == {"sqlite": 1.0, "postgres": 1.0, "mysql": 1.0}, [
        e for e in errors if not all(e["correct"].values())
    ]
    assert report["missing_predictions"] == 0
    assert sum(v["n"] for v in report["by"]["complexity"].values()) == len(records)


def test_wrong_and_missing_predictions_lose_points(
    exported: Path, stack: LocalStack, tmp_path: Path
) -> None:
    records = read_export(exported)
    half = len(records) // 2
    # An answer no gold result holds ("SELECT 1" is right for a gold count of one).
    predictions = {r["id"]: "SELECT 'not the answer' AS wrong" for r in records[:half]}
    path = write_predictions(tmp_path / "bad.jsonl", predictions)
    report = score([str(path), "--dataset", str(exported)], stack)
    assert report["missing_predictions"] == len(records) - half
    assert report["execution_accuracy"] == {"sqlite": 0.0, "postgres": 0.0, "mysql": 0.0}


def test_same_schema_baseline_is_scored_per_dialect(exported: Path, stack: LocalStack) -> None:
    report = score(["--dataset", str(exported), "--baseline", "same-schema"], stack)
    assert set(report["execution_accuracy"]) == {"sqlite", "postgres", "mysql"}
    assert all(0.0 <= v < 1.0 for v in report["execution_accuracy"].values())


def test_a_bad_predictions_file_is_a_one_line_error(exported: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "sql": "SELECT 1"}\nnot json\n')
    result = CliRunner().invoke(cli, ["score", str(bad), "--dataset", str(exported)])
    assert result.exit_code == 1 and "bad.jsonl:2: not JSON" in result.output


def test_overlap_finds_a_benchmark_in_itself_and_none_in_a_generated_run(
    exported: Path, tmp_path: Path
) -> None:
    dev = json.loads((SPIDER / "dev.json").read_text())
    subset = tmp_path / "dev.json"
    subset.write_text(json.dumps(dev[:40]))
    (tmp_path / "tables.json").write_text((SPIDER / "tables.json").read_text())
    args = ["--against", str(SPIDER / "dev.json"), "--json"]
    itself = CliRunner().invoke(cli, ["overlap", str(subset), *args])
    assert itself.exit_code == 0, itself.output
    report = json.loads(itself.stdout)
    for layer in ("schema", "question", "sql"):
        assert report[layer]["exact"] == 1.0 and report[layer]["near"] == 1.0, layer
    generated = CliRunner().invoke(cli, ["overlap", str(exported), *args])
    assert generated.exit_code == 0, generated.output
    report = json.loads(generated.stdout)
    assert report["question"]["exact"] == 0.0 and report["sql"]["exact"] == 0.0
    assert report["schema"]["exact"] == 0.0
