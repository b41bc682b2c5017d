"""The run waterfall and the end-of-run report on the fake run folder of conftest.run_folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.report.build import build_report
from shared.report.load import load_report_dataset
from shared.report.output import write_run_report


def test_waterfall_counts(run_folder: Path) -> None:
    document = build_report([load_report_dataset(run_folder)])
    assert document["format"] == "sqlsynth"
    assert document["rows"] == 3
    run = document["run"]
    steps = {s["step"]: s["samples"] for s in run["steps"]}
    # 7 planned; one never finished. Drafted: the 6 finished. Checked: 3 accepted, the
    # duplicate and the one rejected in review. Reviewed: 3 accepted and the duplicate.
    assert steps == {"planned": 7, "drafted": 6, "checked": 5, "reviewed": 4, "accepted": 3}
    assert [s.get("lost") for s in run["steps"]] == [None, 1, 1, 1, 1]
    assert run["outcomes"] == {"accepted": 3, "duplicate": 1, "rejected": 2, "unfinished": 1}
    assert run["rejection_reasons"] == {"query_error": 2}
    assert run["duplicate_layers"] == {"exact": 1}
    assert dict(run["rejection_messages"]) == {"rejected at reviser": 2}


def test_attempts_and_cost(run_folder: Path) -> None:
    run = build_report([load_report_dataset(run_folder)])["run"]
    # Accepted after 1, 2 and 1 attempts; the rejected ones took 3 and 1, the duplicate 1.
    assert run["attempts"]["histogram"] == {"1": 2, "2": 1}
    assert run["attempts"]["mean_accepted"] == pytest.approx(4 / 3)
    assert run["attempts"]["mean_finished"] == pytest.approx((1 + 2 + 1 + 3 + 1 + 1) / 6)
    cost = run["cost"]
    assert cost["usd"] == pytest.approx(0.06)
    assert cost["usd_per_accepted"] == pytest.approx(0.02)
    assert cost["tokens_per_accepted"] == pytest.approx(900 / 3)
    assert run["stages"] == {"planner.planned": 7, "validator.failed": 4}


def test_cost_from_records_without_summary(run_folder: Path) -> None:
    (run_folder / "summary.json").unlink()
    run = build_report([load_report_dataset(run_folder / "dataset.jsonl")])["run"]
    assert run is None  # a bare dataset.jsonl without summary.json is not read as a run
    run = build_report([load_report_dataset(run_folder)])["run"]
    # Six finished samples at 0.01 USD each, over three accepted.
    assert run["cost"]["usd"] == pytest.approx(0.06)
    assert run["cost"]["usd_per_accepted"] == pytest.approx(0.02)
    assert run["steps"][0]["samples"] == 6  # planned: only the finished ones are known


def test_validity_from_the_records(run_folder: Path) -> None:
    validity = build_report([load_report_dataset(run_folder)])["validity"]
    assert validity["source"] == "records"
    assert validity["engines"] == ["sqlite", "postgres", "mysql"]
    assert validity["query_valid"] == {
        "sqlite": 1.0,
        "postgres": 1.0,
        "mysql": 1.0,
        "any": 1.0,
        "all": 1.0,
    }
    assert set(validity["levels"]) == {"syntax", "schema", "full"}


def test_write_run_report(run_folder: Path) -> None:
    html = write_run_report(run_folder, None)
    assert html == run_folder / "report.html"
    assert html.read_text().count("<svg") > 5
    metrics = json.loads((run_folder / "metrics.json").read_text())
    assert metrics["rows"] == 3
    # run.json asked for the default spec ({}), so the spec section compares against it.
    assert metrics["report"]["spec"] == "default"
    assert metrics["spec"]["properties"]
    planned = {p["property"]: p for p in metrics["spec"]["properties"]}
    assert planned["prompt_style"]["source"] == "label"
    assert planned["prompt_style"]["counts"]["terse_keyword"] == 3


def test_write_run_report_with_nothing_accepted(run_folder: Path) -> None:
    (run_folder / "dataset.jsonl").write_text("")
    html = write_run_report(run_folder, {})
    metrics = json.loads((run_folder / "metrics.json").read_text())
    assert metrics["rows"] == 0
    assert metrics["complexity"]["tables"] is None
    assert metrics["run"]["outcomes"]["accepted"] == 0
    assert "waterfall" in html.read_text()
