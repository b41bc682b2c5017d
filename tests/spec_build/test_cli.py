"""`sqlsynth spec`, `spec diff` and `spec check` through the real command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from services.cli.main import cli
from shared.spec import load_spec, validate_spec

KEYS = ("ANTHROPIC_API_KEY", "SQLSYNTH_LLM_API_KEY")


@pytest.fixture
def no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in KEYS:
        monkeypatch.delenv(key, raising=False)


def test_seeds_to_a_valid_spec_file(gretel_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "spec.yaml"
    result = CliRunner().invoke(cli, ["spec", "--seeds", str(gretel_path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# sqlsynth spec: measured from 992 seeds")
    assert validate_spec(yaml.safe_load(text)) == []
    assert load_spec(out).by_name["join_kind"].depends_on == ("num_tables",)
    assert "measured on 992 seeds" in result.stderr
    assert "RIGHT or FULL JOIN" in result.stderr


def test_spec_goes_to_stdout_without_out(spider_path: Path) -> None:
    result = CliRunner().invoke(cli, ["spec", "--seeds", str(spider_path), "--strict"])
    assert result.exit_code == 0, result.stderr
    document = yaml.safe_load(result.stdout)
    assert validate_spec(document) == []
    assert document["evidence"]["smoothing"] == {"alpha": 0.0, "prior_strength": 0.0}


def test_json_summary(spider_path: Path) -> None:
    result = CliRunner().invoke(cli, ["spec", "--seeds", str(spider_path), "--json"])
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["seeds"] == 1034
    assert summary["measured"]["task_type"]["analytics and reporting"] == pytest.approx(551 / 1034)
    assert validate_spec(summary["spec"]) == []


def test_objectives_without_a_key_are_refused_before_any_work(
    no_key: None, gretel_path: Path, tmp_path: Path
) -> None:
    objectives = tmp_path / "objectives.txt"
    objectives.write_text("More joins.\n")
    out = tmp_path / "spec.yaml"
    args = ["spec", "--seeds", str(gretel_path), "--objectives", str(objectives), "--out", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert "ANTHROPIC_API_KEY is not set" in result.stderr
    assert "measured on" not in result.stderr  # refused before the seeds were read
    assert not out.exists()


def test_nothing_to_build_from_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["spec"])
    assert result.exit_code == 2
    assert "--seeds" in result.stderr


def test_diff_human_and_json(gretel_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "spec.yaml"
    runner = CliRunner()
    assert (
        runner.invoke(cli, ["spec", "--seeds", str(gretel_path), "--out", str(out)]).exit_code == 0
    )
    human = runner.invoke(cli, ["spec", "diff", "default", str(out)])
    assert human.exit_code == 0, human.output
    assert "property join_kind:" in human.stdout
    assert "num_tables=2: p(inner) 0.78 ->" in human.stdout
    as_json = runner.invoke(cli, ["spec", "diff", "default", str(out), "--json"])
    payload = json.loads(as_json.stdout)
    assert payload["changed"] is True
    targets = {c["target"] for c in payload["changes"]}
    assert {"complexity", "prompt_style", "num_tables", "join_kind"} <= targets
    same = runner.invoke(cli, ["spec", "diff", str(out), str(out), "--json"])
    assert json.loads(same.stdout)["changes"] == []


def test_check_reports_problems_and_flags(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(
        "properties:\n  - name: num_tables\n    values: {1: 0.5, 2: 0.5}\n"
        "  - name: join_kind\n    depends_on: [num_tables]\n"
        "    conditional: {1: {none: 1.0}, 2: {inner: 0.5, right: 0.5}}\n"
        "  - name: mood\n    values: {calm: 1.0}\n"
    )
    result = CliRunner().invoke(cli, ["spec", "check", str(good)])
    assert result.exit_code == 0, result.output
    assert "valid" in result.stdout
    assert "'right' is drawn for 25.0%" in result.stderr
    assert "property 'mood' is not one the pipeline knows" in result.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("properties:\n  - name: complexity\n    values: {easy: 0.5, hard: 0.3}\n")
    result = CliRunner().invoke(cli, ["spec", "check", str(bad)])
    assert result.exit_code == 1
    assert "sum to 0.8" in result.output


def test_seeds_from_ingest_of_a_real_query_log(data_dir: Path, tmp_path: Path) -> None:
    seeds = tmp_path / "seeds.jsonl"
    log = data_dir / "querylogs" / "sdss_runtime.csv"
    runner = CliRunner()
    ingest = runner.invoke(cli, ["ingest", str(log), "--dialect", "tsql", "--out", str(seeds)])
    assert ingest.exit_code == 0, ingest.output
    out = tmp_path / "spec.yaml"
    args = ["spec", "--seeds", str(seeds), "--dialect", "tsql", "--out", str(out), "--json"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["spec"]["evidence"]["format"] == "seeds"
    measured = summary["seeds"]
    unparsed = summary["excluded"].get("SQL does not parse", 0)
    assert measured > 50 and unparsed < measured / 4
    assert validate_spec(yaml.safe_load(out.read_text(encoding="utf-8"))) == []
    # SDSS questions do not exist: the default prompt styles are kept, and said so.
    styles = next(p for p in summary["spec"]["properties"] if p["name"] == "prompt_style")
    assert styles["evidence"]["seeds"] == 0
